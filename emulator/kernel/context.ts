/**
 * What the kernel layer is built on: register access for the calling task, and the services
 * every task of the machine shares (memory, modelled clock, randomness, files, device profile).
 */
import { CoreClocks } from '../model/core-clocks';
import { DeviceProfile } from '../model/profiles';
import { Persist } from '../persist';
import { CpuContextState } from '../unicorn/cpu-context';
import { Vfs } from '../vfs/vfs';
import { GuestRandom } from './rng';

/** Register access a syscall needs (the engine, or a fake in tests). */
export interface CpuAccess {
  r(n: number): number;
  setR(n: number, value: number): void;
  /** Set the user read-only thread ID register TPIDRURO (what __ARM_NR_set_tls does). */
  setTls(value: number): void;
}

/** A task's CPU: register access while it runs, and its context for snapshots. */
export interface TaskCpu extends CpuAccess, Persist<CpuContextState> {}

/** The machine-wide services syscall handlers reach through their task. */
export interface KernelServices {
  readonly clock: CoreClocks;
  readonly rng: GuestRandom;
  readonly vfs: Vfs;
  readonly profile: DeviceProfile;
}
