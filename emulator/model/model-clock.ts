/**
 * Modelled time and energy. Nothing here reads the host clock: a run's modelled time follows from
 * its instruction count and the device profile alone, so runs are reproducible.
 */
import { Persist } from '../persist';
import { DeviceProfile } from './profiles';

/** Wall-clock epoch the guest sees at boot (2009-05-18 00:00 UTC) unless an image says otherwise. */
export const DEFAULT_EPOCH_SECONDS = 1242604800;

/**
 * Serializable clock state (for checkpoints); bigints as decimal strings. Part of the snapshot
 * format: changing it needs a bump of the snapshot version (machine/state-version.ts).
 */
export interface ClockState {
  /** The profile the time so far was priced at. */
  profile: DeviceProfile;
  epochSeconds: number;
  sleptNs: string;
  /** Busy time, instruction count, sleep and energy when the current profile took over. */
  base: { instructions: string; busyNs: string; sleptNs: string; energyJoules: number };
}

/** Turns instruction counts and sleeps into modelled seconds and joules. */
export class ModelClock implements Persist<ClockState> {
  sleptNs = 0n;
  // A run restored onto another profile keeps what it spent before on the old one.
  private base = { instructions: 0n, busyNs: 0n, sleptNs: 0n, energyJoules: 0 };
  private readonly rate: bigint;

  constructor(
    readonly profile: DeviceProfile,
    private readonly instructions: () => bigint,
    public epochSeconds = DEFAULT_EPOCH_SECONDS,
  ) {
    this.rate = BigInt(Math.round(profile.clockHz * profile.ipc));
  }

  /** Nanoseconds the CPU has been busy: instructions / (clock x IPC). */
  busyNs(): bigint {
    return this.base.busyNs + ((this.instructions() - this.base.instructions) * 1_000_000_000n) / this.rate;
  }

  /** Seconds the CPU has been busy. */
  busySeconds(): number {
    return Number(this.busyNs()) / 1e9;
  }

  /** Nanoseconds since boot (busy time plus time slept). */
  monotonicNs(): bigint {
    return this.busyNs() + this.sleptNs;
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
    const busy = Number(this.busyNs() - this.base.busyNs) / 1e9;
    const slept = Number(this.sleptNs - this.base.sleptNs) / 1e9;
    return this.base.energyJoules + busy * this.profile.cpuActiveW + slept * this.profile.cpuIdleW;
  }

  /** State to persist. */
  save(): ClockState {
    const b = this.base;
    return {
      profile: { ...this.profile },
      epochSeconds: this.epochSeconds,
      sleptNs: this.sleptNs.toString(),
      base: { instructions: b.instructions.toString(), busyNs: b.busyNs.toString(), sleptNs: b.sleptNs.toString(), energyJoules: b.energyJoules },
    };
  }

  /**
   * Continue after this CPU sat idle for `waitNs` while the work went on elsewhere (an offloaded
   * call ran on the clone): time and energy are `saved`'s as of when the counter read `at`, plus
   * `waitNs` at idle power; the instructions the counter shows beyond `at` ran elsewhere and cost
   * this CPU nothing.
   */
  continueAfterWait(saved: ClockState, at: bigint, waitNs: bigint): void {
    const old = new ModelClock(saved.profile, () => at, saved.epochSeconds);
    old.sleptNs = BigInt(saved.sleptNs);
    old.base = {
      instructions: BigInt(saved.base.instructions),
      busyNs: BigInt(saved.base.busyNs),
      sleptNs: BigInt(saved.base.sleptNs),
      energyJoules: saved.base.energyJoules,
    };
    this.epochSeconds = saved.epochSeconds;
    const wait = waitNs > 0n ? waitNs : 0n;
    this.sleptNs = old.sleptNs + wait;
    this.base = {
      instructions: this.instructions(),
      busyNs: old.busyNs(),
      sleptNs: this.sleptNs,
      energyJoules: old.energyJoules() + (Number(wait) / 1e9) * this.profile.cpuIdleW,
    };
  }

  /**
   * Continue from a history priced elsewhere (several cores folded into this one): `timeNs` since
   * boot so far and `energyJoules` spent; from here on, instructions and sleeps add as usual.
   */
  continueFrom(profileEpochSeconds: number, timeNs: bigint, energyJoules: number): void {
    this.epochSeconds = profileEpochSeconds;
    this.sleptNs = 0n;
    this.base = { instructions: this.instructions(), busyNs: timeNs, sleptNs: 0n, energyJoules };
  }

  /**
   * Continue from a saved state, at the instruction count the counter shows now (restore it
   * first). When the saved profile ran at the same rate, the saved base is kept so the figures
   * are exactly those of an uninterrupted run; otherwise what was spent so far becomes the base
   * and the rest is priced at this profile's rate and power.
   */
  restore(s: ClockState): void {
    const savedProfile = s.profile;
    const instructionsNow = this.instructions();
    this.epochSeconds = s.epochSeconds;
    const old = new ModelClock(savedProfile, () => instructionsNow, s.epochSeconds);
    old.sleptNs = BigInt(s.sleptNs);
    old.base = {
      instructions: BigInt(s.base.instructions),
      busyNs: BigInt(s.base.busyNs),
      sleptNs: BigInt(s.base.sleptNs),
      energyJoules: s.base.energyJoules,
    };
    this.sleptNs = old.sleptNs;
    const sameModel = old.rate === this.rate && savedProfile.cpuActiveW === this.profile.cpuActiveW && savedProfile.cpuIdleW === this.profile.cpuIdleW;
    this.base = sameModel ? old.base : { instructions: instructionsNow, busyNs: old.busyNs(), sleptNs: old.sleptNs, energyJoules: old.energyJoules() };
  }
}
