/**
 * What a syscall handler may touch. The syscall modules depend on this interface only, so each
 * can be read and tested on its own (Qiling-style per-topic modules).
 */
import { AddressSpace } from '../memory/address-space';
import { ModelClock } from '../model/model-clock';
import { DeviceProfile } from '../model/profiles';
import { Vfs } from '../vfs/vfs';
import { FdTable } from './fd-table';
import { GuestRandom } from './rng';
import type { PrctlState } from './syscalls/prctl';
import type { SignalState } from './syscalls/signals';

/** Register access a syscall needs (the engine, or a fake in tests). */
export interface CpuAccess {
  r(n: number): number;
  setR(n: number, value: number): void;
  /** Set the user read-only thread ID register TPIDRURO (what __ARM_NR_set_tls does). */
  setTls(value: number): void;
}

/** Per-process kernel state that checkpoints capture. */
export interface ProcessState {
  pid: number;
  ppid: number;
  uid: number;
  gid: number;
  cwd: string;
  /** Page-aligned start of the heap (end of the program image). */
  brkStart: number;
  /** Current program break. */
  brk: number;
  /** Lowest address for mmap placement. */
  mmapBase: number;
  /** Highest address (exclusive) for mmap placement: below the stack. */
  mmapTop: number;
  clearChildTid: number;
  umask: number;
  signals: SignalState;
  /** Name, dumpable flag and other prctl settings; absent in older checkpoints. */
  prctl?: PrctlState;
}

/** The state and services syscall handlers use. */
export interface KernelContext {
  readonly space: AddressSpace;
  readonly cpu: CpuAccess;
  readonly clock: ModelClock;
  readonly rng: GuestRandom;
  readonly fds: FdTable;
  readonly vfs: Vfs;
  readonly proc: ProcessState;
  readonly profile: DeviceProfile;
  /** End the process with an exit status (exit/exit_group) or a signal number. */
  exit(status: number, signal?: number): void;
}

/** A syscall implementation: takes r0..r5, returns the value for r0 (negative errno on failure). */
export type SyscallHandler = (k: KernelContext, a: number[]) => number;

/** A topic module's syscalls, by name. */
export type SyscallTable = Record<string, SyscallHandler>;
