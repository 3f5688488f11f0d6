/**
 * Random starting states for sequences. Plain random bits rarely hit the interesting cases, so
 * values are drawn from a mix: random words, boundary integers, and for the vector registers
 * float and double special values (zeros, infinities, quiet and signalling NaNs, denormals).
 */
import { Rand } from './rand';

/** The state a sequence starts from. */
export interface SequenceInit {
  /** r0–r12 (r11 is overwritten with the scratch address by the program). */
  core: number[];
  /** APSR: NZCVQ and GE bits. */
  apsr: number;
  fpscr: number;
  /** d0–d31. */
  d: bigint[];
}

const BOUNDARY_WORDS = [0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0x80000001, 0xffffffff, 0xfffffffe];
const FLOAT_SPECIALS = [
  0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0x7fa00000, 0x00000001, 0x807fffff, 0x00800000,
  0x7f7fffff, 0x4f000000, 0xcf000000, 0x4f800000, 0x3effffff, 0x3f000000, 0x5f000000,
];
const DOUBLE_SPECIALS = [
  0x0000000000000000n,
  0x8000000000000000n,
  0x3ff0000000000000n,
  0x7ff0000000000000n,
  0xfff0000000000000n,
  0x7ff8000000000000n,
  0x7ff0000000000001n,
  0x7ff4000000000000n,
  0x0000000000000001n,
  0x800fffffffffffffn,
  0x0010000000000000n,
  0x7fefffffffffffffn,
  0x41e0000000000000n,
  0xc1e0000000000000n,
  0x41f0000000000000n,
  0x3fe0000000000000n,
  0x36a0000000000000n,
  0x47efffffe0000000n,
];

const BOUNDARY_HALVES = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0x8001, 0xffff];
const BOUNDARY_BYTES = [0, 1, 0x7f, 0x80, 0x81, 0xff];

/**
 * A 32-bit value: random, boundary, small, a float (exponent kept near the interesting range),
 * or halves and bytes at their own boundaries, which the DSP, parallel and saturating
 * instructions need to overflow and saturate (e.g. 0x80008000).
 */
function word(r: Rand): number {
  switch (r.int(0, 7)) {
    case 0:
      return r.pick(BOUNDARY_WORDS);
    case 1:
      return r.int(0, 64);
    case 2:
      return r.pick(FLOAT_SPECIALS);
    case 3:
      return ((r.int(0x60, 0xa0) << 23) | (r.u32() & 0x807fffff)) >>> 0;
    case 4: {
      const half = (): number => (r.chance(0.7) ? r.pick(BOUNDARY_HALVES) : r.int(0, 0xffff));
      return ((half() << 16) | half()) >>> 0;
    }
    case 5: {
      const byte = (): number => (r.chance(0.7) ? r.pick(BOUNDARY_BYTES) : r.int(0, 0xff));
      return ((byte() << 24) | (byte() << 16) | (byte() << 8) | byte()) >>> 0;
    }
    default:
      return r.u32();
  }
}

/** r0–r12 and the APSR. */
export function randomCoreState(r: Rand): { core: number[]; apsr: number } {
  const core = Array.from({ length: 13 }, () => word(r));
  // NZCVQ (bits 27–31) and GE (16–19); the mode bits are not writable from user code.
  const apsr = (r.u32() & 0xf80f0000) >>> 0;
  return { core, apsr };
}

/** A 64-bit vector register value. */
function dword(r: Rand): bigint {
  switch (r.int(0, 4)) {
    case 0:
      return r.pick(DOUBLE_SPECIALS) ^ (r.chance(0.3) ? BigInt(r.int(0, 15)) : 0n);
    case 1:
      return (BigInt(r.int(0x380, 0x480)) << 52n) | (r.u64() & 0x800fffffffffffffn);
    case 2:
      return r.u64();
    default:
      return (BigInt(word(r)) << 32n) | BigInt(word(r));
  }
}

/** d0–d31. */
export function randomVectorState(r: Rand): bigint[] {
  return Array.from({ length: 32 }, () => dword(r));
}

/**
 * An FPSCR: random flags NZCV, QC, cumulative exception bits, AHP, DN, FZ and rounding mode.
 * Trap enables and the short-vector LEN/STRIDE fields stay zero: a Cortex-A15 has neither.
 */
export function randomFpscr(r: Rand): number {
  const FLAGS = 0xf8000000; // NZCV, QC
  const CONTROL = 0x07c00000; // AHP, DN, FZ, RMode
  const CUMULATIVE = 0x0000009f; // IDC, IXC, UFC, OFC, DZC, IOC
  return (r.u32() & (FLAGS | CONTROL | CUMULATIVE)) >>> 0;
}

/** A whole random starting state. */
export function randomInit(r: Rand): SequenceInit {
  return { ...randomCoreState(r), fpscr: randomFpscr(r), d: randomVectorState(r) };
}
