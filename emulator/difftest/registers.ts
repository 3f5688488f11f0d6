/** Comparing ARM register files between the emulator under test and the reference (pure). */

/** Names of the 17 compared values: r0..r12, sp, lr, pc, cpsr. */
export const REG_NAMES = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11', 'r12', 'sp', 'lr', 'pc', 'cpsr'];

/**
 * CPSR bits compared: N Z C V Q, GE[3:0] and T. Mode and mask bits are the same by construction
 * in user mode, and the IT bits are only kept up to date at block boundaries by QEMU-derived
 * engines, so comparing them mid-block would report differences that are not there.
 */
export const CPSR_COMPARED = 0xf80f0020;

/** A register whose values differ. */
export interface RegisterDifference {
  name: string;
  dut: number;
  ref: number;
}

/** Differences between two register files (r0..r15, cpsr), r15 included unless `skipPc`. */
export function diffRegisters(dut: Uint32Array, ref: Uint32Array, skipPc = false): RegisterDifference[] {
  const out: RegisterDifference[] = [];
  for (let i = 0; i < 16; i++) {
    if (skipPc && i === 15) continue;
    if (dut[i] !== ref[i]) out.push({ name: REG_NAMES[i], dut: dut[i], ref: ref[i] });
  }
  if (((dut[16] ^ ref[16]) & CPSR_COMPARED) !== 0) out.push({ name: 'cpsr', dut: dut[16], ref: ref[16] });
  return out;
}

/** Differences between d0..d31 + FPSCR sets. */
export function diffFpRegisters(dut: BigUint64Array, ref: BigUint64Array): { name: string; dut: bigint; ref: bigint }[] {
  const out: { name: string; dut: bigint; ref: bigint }[] = [];
  for (let i = 0; i < 32; i++) if (dut[i] !== ref[i]) out.push({ name: `d${i}`, dut: dut[i], ref: ref[i] });
  if (dut[32] !== ref[32]) out.push({ name: 'fpscr', dut: dut[32], ref: ref[32] });
  return out;
}

/** 0x-prefixed 8-digit hex. */
export function hex32(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}
