/**
 * A process's interval timers (setitimer/getitimer, alarm): ITIMER_REAL counts modelled time
 * since boot and raises SIGALRM, ITIMER_VIRTUAL and ITIMER_PROF count the CPU's busy time and
 * raise SIGVTALRM and SIGPROF. Deadlines are absolute on their clock; 0 means disarmed.
 */
import { Persist } from '../persist';

export const ITIMER_REAL = 0;
export const ITIMER_VIRTUAL = 1;
export const ITIMER_PROF = 2;

/** One timer: absolute deadline on its clock (0n = off) and reload interval (0n = one shot). */
export interface IntervalTimer {
  deadline: bigint;
  interval: bigint;
}

/** The three timers as plain data, bigints as decimal strings: [deadline, interval] per timer. */
export type IntervalTimersState = [string, string][];

/** ITIMER_REAL, ITIMER_VIRTUAL and ITIMER_PROF of one process. */
export class IntervalTimers implements Persist<IntervalTimersState> {
  readonly timers: IntervalTimer[] = [0, 1, 2].map(() => ({ deadline: 0n, interval: 0n }));

  /** Arm (value > 0) or disarm timer `which` at `now` on its clock; returns the old timer's remaining value and interval. */
  set(which: number, now: bigint, value: bigint, interval: bigint): { remaining: bigint; interval: bigint } {
    const old = this.get(which, now);
    const t = this.timers[which];
    t.deadline = value > 0n ? now + value : 0n;
    t.interval = value > 0n ? interval : 0n;
    return old;
  }

  /** Time left on timer `which` at `now` (at least 1 µs while armed, as Linux reports) and its interval. */
  get(which: number, now: bigint): { remaining: bigint; interval: bigint } {
    const t = this.timers[which];
    if (t.deadline === 0n) return { remaining: 0n, interval: t.interval };
    const left = t.deadline - now;
    return { remaining: left > 0n ? left : 1000n, interval: t.interval };
  }

  /** If timer `which` has expired at `now`, reload or disarm it and return true (its signal is due). */
  expire(which: number, now: bigint): boolean {
    const t = this.timers[which];
    if (t.deadline === 0n || t.deadline > now) return false;
    if (t.interval > 0n) {
      // Missed periods are overruns: the next deadline is the first one after now.
      const missed = (now - t.deadline) / t.interval + 1n;
      t.deadline += missed * t.interval;
    } else {
      t.deadline = 0n;
    }
    return true;
  }

  /** The deadline of timer `which`, or undefined when it is off. */
  deadline(which: number): bigint | undefined {
    const d = this.timers[which].deadline;
    return d === 0n ? undefined : d;
  }

  /** The timers as plain data. */
  save(): IntervalTimersState {
    return this.timers.map((t) => [t.deadline.toString(), t.interval.toString()]);
  }

  /** Replace the timers with `s`'s. */
  restore(s: IntervalTimersState): void {
    s.forEach(([d, i], n) => {
      this.timers[n].deadline = BigInt(d);
      this.timers[n].interval = BigInt(i);
    });
  }
}
