/** Small deterministic integer hashing and a seeded generator; stable across platforms and runs. */

/** Finalizer with good avalanche (lowbias32), so neighbouring inputs give unrelated outputs. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Hash of three 32-bit words, chained through mix32. */
export function hash3(a: number, b: number, c: number): number {
  return mix32(mix32(mix32(a ^ 0x9e3779b9) ^ b) + c);
}

/** Fold a safe integer (possibly negative or above 2^32) into 32 bits without losing its high half. */
export function fold53(n: number): number {
  const lo = n >>> 0;
  const hi = Math.floor(n / 4294967296) >>> 0;
  return mix32(lo ^ mix32(hi + 0x632be5ab));
}

/** FNV-1a over the UTF-16 units of a string, finished with mix32. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** Seeded 32-bit generator (splitmix-style counter hashed by mix32). */
export class Rng {
  private state: number;

  /** Start a sequence from a 32-bit seed. */
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Next 32-bit value. */
  next(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    return mix32(this.state);
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.unit() * n);
  }

  /** Uniform float in [0, 1). */
  unit(): number {
    return this.next() / 4294967296;
  }

  /** Standard normal variate (Box-Muller); one draw per call keeps the sequence simple. */
  normal(): number {
    const u = 1 - this.unit();
    const v = this.unit();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
