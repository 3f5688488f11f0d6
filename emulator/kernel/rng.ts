import { Persist } from '../persist';

/**
 * The guest's source of randomness (getrandom, AT_RANDOM): xoshiro128** seeded from the image
 * seed, so that runs are reproducible and the state can be checkpointed.
 */
export class GuestRandom implements Persist<number[]> {
  private s = new Uint32Array(4);

  /** Seed deterministically (splitmix32 expands one seed into the 128-bit state). */
  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
  }

  /** Next 32 random bits. */
  next(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Fill `out` with random bytes. */
  fill(out: Uint8Array): void {
    for (let i = 0; i < out.length; i += 4) {
      const v = this.next();
      for (let j = 0; j < 4 && i + j < out.length; j++) out[i + j] = (v >>> (8 * j)) & 0xff;
    }
  }

  /**
   * The 128-bit state, for checkpoints (four 32-bit words; part of the snapshot format: changing
   * it needs a bump of the snapshot version, machine/state-version.ts).
   */
  save(): number[] {
    return Array.from(this.s);
  }

  /** Restore a state produced by save(). */
  restore(state: number[]): void {
    this.s = Uint32Array.from(state);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
