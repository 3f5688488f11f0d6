/**
 * Modelled time on a device with several cores. Each core has its own clock (a ModelClock priced
 * from the instructions that ran on it, plus the time it sat idle); a task sees the clock of the
 * core it runs on, and the machine's time is when the last core finishes. Energy counts the CPU
 * idle for the whole run plus, for every busy core, its active power over idle:
 *
 *   E = P_idle x T + sum over cores (busy_c x (P_active - P_idle))
 *
 * which for one core is exactly ModelClock's busy x P_active + idle x P_idle. The model has no
 * caches, memory bandwidth or contention: a core's instructions cost the same whatever the others
 * do. With one core (or one task that stays on core 0) every figure is the single clock's.
 */
import { Persist } from '../persist';
import { ClockState, ModelClock } from './model-clock';
import { DeviceProfile } from './profiles';

/** The per-core part of a saved clock: which core ran last, and each core's clock and instructions. */
export interface CoresState {
  active: number;
  clocks: ClockState[];
  /** Instructions each core ran (decimal). */
  instructions: string[];
}

/** A ModelClock's state, with the other cores' when more than core 0 ever ran. */
export type MultiClockState = ClockState & { cores?: CoresState };

/** The clocks of every core of the modelled CPU. */
export class CoreClocks implements Persist<MultiClockState> {
  readonly cores: ModelClock[];
  private readonly ran: bigint[];
  private active = 0;
  /** The machine's instruction count when the active core's current stretch began. */
  private since: bigint;

  constructor(
    readonly profile: DeviceProfile,
    private readonly instructions: () => bigint,
  ) {
    const n = Math.max(1, profile.cores);
    this.ran = new Array<bigint>(n).fill(0n);
    this.since = 0n;
    this.cores = Array.from({ length: n }, (_, i) => new ModelClock(profile, () => this.coreInstructions(i)));
  }

  /** Instructions core `i` has run, the running stretch included. */
  coreInstructions(i: number): bigint {
    return this.ran[i] + (i === this.active ? this.instructions() - this.since : 0n);
  }

  /** The core whose clock tasks see now. */
  get activeCore(): number {
    return this.active;
  }

  /** Instructions from now on run on core `i` (the ones so far stay with the core that ran them). */
  switchTo(i: number): void {
    if (i === this.active) return;
    const now = this.instructions();
    this.ran[this.active] += now - this.since;
    this.since = now;
    this.active = i;
  }

  /** Core `i`'s time (ns since boot). */
  coreNs(i: number): bigint {
    return this.cores[i].monotonicNs();
  }

  /** Let core `i` sit idle until its time reaches `ns` (no-op when it is already there). */
  idleUntil(i: number, ns: bigint): void {
    const c = this.cores[i];
    const now = c.monotonicNs();
    if (ns > now) c.sleep(ns - now);
  }

  /** Nanoseconds since boot as the active core sees them. */
  monotonicNs(): bigint {
    return this.cores[this.active].monotonicNs();
  }

  /** Nanoseconds since the Unix epoch as the active core sees them. */
  realtimeNs(): bigint {
    return this.cores[this.active].realtimeNs();
  }

  /** Let modelled time pass on the active core with it idle. */
  sleep(ns: bigint): void {
    this.cores[this.active].sleep(ns);
  }

  /** Nanoseconds all cores have been busy, added up. */
  busyNs(): bigint {
    return this.cores.reduce((n, c) => n + c.busyNs(), 0n);
  }

  /** Seconds all cores have been busy, added up. */
  busySeconds(): number {
    return Number(this.busyNs()) / 1e9;
  }

  /** The machine's time: when the last core finishes (seconds since boot). */
  seconds(): number {
    return Number(this.endNs()) / 1e9;
  }

  /** The latest core's time (ns since boot). */
  endNs(): bigint {
    return this.cores.reduce((m, c) => (c.monotonicNs() > m ? c.monotonicNs() : m), 0n);
  }

  /** Modelled CPU energy in joules (see the module comment). */
  energyJoules(): number {
    if (this.cores.length === 1) return this.cores[0].energyJoules();
    // Each core's own figure counts its idle stretches; idle is paid once, for the whole run.
    let sum = 0;
    let coreTime = 0n;
    for (const c of this.cores) {
      sum += c.energyJoules();
      coreTime += c.monotonicNs();
    }
    return sum - (Number(coreTime - this.endNs()) / 1e9) * this.profile.cpuIdleW;
  }

  /** True once any core but 0 has run or idled (the saved state then carries every core). */
  private usedOthers(): boolean {
    return this.active !== 0 || this.cores.some((c, i) => i > 0 && (this.ran[i] !== 0n || c.monotonicNs() !== 0n));
  }

  /** State to persist: core 0's clock as a single clock has it, the others beside it when used. */
  save(): MultiClockState {
    const base = this.cores[0].save();
    if (!this.usedOthers()) return base;
    return {
      ...base,
      cores: {
        active: this.active,
        clocks: this.cores.map((c) => c.save()),
        instructions: this.cores.map((_, i) => this.coreInstructions(i).toString()),
      },
    };
  }

  /** Continue from a saved state (restore the instruction count first). */
  restore(s: MultiClockState): void {
    const now = this.instructions();
    if (!s.cores) {
      // Core 0 ran everything.
      this.ran.fill(0n);
      this.active = 0;
      this.since = 0n;
      this.cores[0].restore(s);
      for (let i = 1; i < this.cores.length; i++)
        this.cores[i].restore({ ...s, sleptNs: '0', base: { instructions: '0', busyNs: '0', sleptNs: '0', energyJoules: 0 } });
      return;
    }
    const saved = s.cores;
    if (saved.clocks.length > this.cores.length) {
      // Fewer cores here: the history so far becomes core 0's (its end time and energy), and the
      // run goes on from there on this device's cores.
      const there = new CoreClocks({ ...s.profile, cores: saved.clocks.length }, () => now);
      there.restore(s);
      this.ran.fill(0n);
      this.active = 0;
      this.since = 0n;
      this.cores[0].continueFrom(s.epochSeconds, there.endNs(), there.energyJoules());
      for (let i = 1; i < this.cores.length; i++) this.cores[i].continueFrom(s.epochSeconds, 0n, 0);
      return;
    }
    // Core instructions add up to the machine's count; the active core's stretch starts now.
    this.active = saved.active;
    this.ran.fill(0n);
    saved.instructions.forEach((n, i) => (this.ran[i] = BigInt(n)));
    this.since = now;
    saved.clocks.forEach((c, i) => this.cores[i].restore(c));
  }

  /** After an offloaded call: see ModelClock.continueAfterWait (the active core waited). */
  continueAfterWait(saved: ClockState, at: bigint, waitNs: bigint): void {
    this.cores[this.active].continueAfterWait(saved, at, waitNs);
  }

  /** The profile the clocks price at. */
  get epochSeconds(): number {
    return this.cores[0].epochSeconds;
  }
}
