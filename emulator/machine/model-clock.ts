/**
 * Modelled time and energy. Nothing here reads the host clock: a run's modelled time follows from
 * its instruction count and the device profile alone, so runs are reproducible.
 */
import { DeviceProfile } from './profiles';

/** Wall-clock epoch the guest sees at boot (2009-05-18 00:00 UTC) unless an image says otherwise. */
export const DEFAULT_EPOCH_SECONDS = 1242604800;

/** Serializable clock state (for checkpoints). */
export interface ClockState {
  epochSeconds: number;
  sleptNs: bigint;
}

/** Turns instruction counts and sleeps into modelled seconds and joules. */
export class ModelClock {
  sleptNs = 0n;

  constructor(
    readonly profile: DeviceProfile,
    private readonly instructions: () => bigint,
    readonly epochSeconds = DEFAULT_EPOCH_SECONDS,
  ) {}

  /** Seconds the CPU has been busy: instructions / (clock x IPC). */
  busySeconds(): number {
    return Number(this.instructions()) / (this.profile.clockHz * this.profile.ipc);
  }

  /** Nanoseconds since boot (busy time plus time slept). */
  monotonicNs(): bigint {
    const busyNs = (this.instructions() * 1_000_000_000n) / BigInt(Math.round(this.profile.clockHz * this.profile.ipc));
    return busyNs + this.sleptNs;
  }

  /** Nanoseconds since the Unix epoch. */
  realtimeNs(): bigint {
    return BigInt(this.epochSeconds) * 1_000_000_000n + this.monotonicNs();
  }

  /** Let modelled time pass with the CPU idle (nanosleep). */
  sleep(ns: bigint): void {
    if (ns > 0n) this.sleptNs += ns;
  }

  /** Modelled seconds since boot. */
  seconds(): number {
    return Number(this.monotonicNs()) / 1e9;
  }

  /** Modelled CPU energy in joules: active power while busy, idle power while asleep. */
  energyJoules(): number {
    return this.busySeconds() * this.profile.cpuActiveW + (Number(this.sleptNs) / 1e9) * this.profile.cpuIdleW;
  }

  /** State to persist. */
  save(): ClockState {
    return { epochSeconds: this.epochSeconds, sleptNs: this.sleptNs };
  }
}
