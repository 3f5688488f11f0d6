/**
 * Operand pools and encodable immediates. r10 and r11 are reserved: r11 holds the scratch
 * buffer's middle for every load and store, r10 is the work register that memory templates set
 * right before use (writeback base, offset index). sp and pc never appear, so random code cannot
 * touch the record area or branch.
 */
import { IsaMode } from './insn';
import { Rand } from './rand';

/** Registers random instructions may read and write. */
export const GP = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r12'] as const;
/** The scratch base register (middle of the buffer, never written by random code). */
export const BASE = 'r11';
/** The work register set by memory templates just before the instruction that uses it. */
export const WORK = 'r10';
/** Scratch bytes reachable below and above BASE. */
export const SCRATCH_HALF = 128;

/** A random general-purpose register. */
export function reg(r: Rand): string {
  return r.pick(GP);
}

/** `n` distinct general-purpose registers. */
export function regs(r: Rand, n: number): string[] {
  return r.distinct(GP, n);
}

/** A register list for LDM/STM: 2–6 registers, ascending. */
export function regList(r: Rand): string {
  const picked = r.distinct(GP, r.int(2, 6));
  picked.sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  return `{${picked.join(', ')}}`;
}

/** Hex literal for assembly. */
export function hex(v: number): string {
  return '0x' + (v >>> 0).toString(16);
}

function rotr(v: number, n: number): number {
  return ((v >>> n) | (v << (32 - n))) >>> 0;
}

/** An A32 modified immediate: 8 bits rotated right by an even amount. */
export function armImm(r: Rand): number {
  return rotr(r.int(0, 255), (2 * r.int(0, 15)) % 32);
}

/** A T32 modified immediate: a byte, one of the three replicated patterns, or a rotated 1bcdefgh. */
export function thumbImm(r: Rand): number {
  const b = r.int(1, 255);
  switch (r.int(0, 4)) {
    case 0:
      return b;
    case 1:
      return (b | (b << 16)) >>> 0;
    case 2:
      return ((b << 8) | (b << 24)) >>> 0;
    case 3:
      return (b | (b << 8) | (b << 16) | (b << 24)) >>> 0;
    default:
      return rotr(0x80 | r.int(0, 127), r.int(8, 31));
  }
}

/** A modified immediate valid in `mode`. */
export function modImm(r: Rand, mode: IsaMode): string {
  return '#' + hex(mode === 'arm' ? armImm(r) : thumbImm(r));
}

/** An immediate shift suffix (', lsl #n' ...) or none; every shift type and range is drawn. */
export function shiftImm(r: Rand): string {
  switch (r.int(0, 5)) {
    case 0:
      return '';
    case 1:
      return `, lsl #${r.int(1, 31)}`;
    case 2:
      return `, lsr #${r.int(1, 32)}`;
    case 3:
      return `, asr #${r.int(1, 32)}`;
    case 4:
      return `, ror #${r.int(1, 31)}`;
    default:
      return ', rrx';
  }
}

/** A flexible second operand: immediate, register, register shifted by immediate, or (A32 only) by register. */
export function operand2(r: Rand, mode: IsaMode): string {
  const k = r.int(0, 3);
  if (k === 0) return modImm(r, mode);
  if (k === 3 && mode === 'arm') return `${reg(r)}, ${r.pick(['lsl', 'lsr', 'asr', 'ror'])} ${reg(r)}`;
  return reg(r) + shiftImm(r);
}

/** A byte offset from BASE inside the scratch buffer, a multiple of `align`, at most `limit` away. */
export function offset(r: Rand, align: number, limit = SCRATCH_HALF): number {
  const span = Math.min(limit, SCRATCH_HALF - 8);
  return r.int(-span / align, span / align) * align;
}

/** ', ror #8|16|24' or nothing, for the extend instructions. */
export function rotation(r: Rand): string {
  return r.pick(['', ', ror #8', ', ror #16', ', ror #24']);
}

/** A VFP/NEON float immediate ±(16..31)/16 × 2^(-3..4), written with a point so it reads as a float, not as bits. */
export function floatImm(r: Rand): string {
  const v = (r.chance(0.5) ? -1 : 1) * (r.int(16, 31) / 16) * 2 ** r.int(-3, 4);
  return '#' + (Number.isInteger(v) ? v.toFixed(1) : String(v));
}
