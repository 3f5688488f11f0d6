/** The generator's random choices, drawn from one seeded stream so a seed names a program. */
import { GuestRandom } from '../kernel/rng';

/** Deterministic random choices for the instruction generator. */
export class Rand {
  private readonly g: GuestRandom;

  constructor(seed: number) {
    this.g = new GuestRandom(seed);
  }

  /** 32 random bits, unsigned. */
  u32(): number {
    return this.g.next();
  }

  /** A whole number in [lo, hi]. */
  int(lo: number, hi: number): number {
    // Multiply-shift keeps the draw unbiased enough for test generation without a rejection loop.
    return lo + Math.floor((this.g.next() / 0x1_0000_0000) * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.g.next() / 0x1_0000_0000 < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }

  /** `n` distinct elements of `items`. */
  distinct<T>(items: readonly T[], n: number): T[] {
    const pool = [...items];
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(pool.splice(this.int(0, pool.length - 1), 1)[0]);
    return out;
  }

  /** A 64-bit value. */
  u64(): bigint {
    return (BigInt(this.g.next()) << 32n) | BigInt(this.g.next());
  }
}
