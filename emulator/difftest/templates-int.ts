/**
 * Integer templates for A32 and T32: data processing with every shift form and flag setting,
 * multiplies, saturating and parallel arithmetic, bit fields, extends, reverses, divides and
 * APSR moves. Forms the ARM ARM calls UNPREDICTABLE are not drawn (e.g. RdLo == RdHi).
 */
import { GenContext, Insn, Template, template } from './insn';
import { hex, operand2, reg, regs, rotation } from './operands';

function insn(op: string, args: string, conditional = true): Insn {
  return { op, args, conditional };
}

/** Optional 's' suffix. */
function s(c: GenContext, p = 0.5): string {
  return c.r.chance(p) ? 's' : '';
}

/** Data processing with three operands: every A32 opcode and T32's orn. */
const dataProcessing = template('dp', (c) => {
  const ops =
    c.mode === 'arm'
      ? ['and', 'eor', 'sub', 'rsb', 'add', 'adc', 'sbc', 'rsc', 'orr', 'bic']
      : ['and', 'eor', 'sub', 'rsb', 'add', 'adc', 'sbc', 'orr', 'bic', 'orn'];
  return insn(c.r.pick(ops) + s(c), `${reg(c.r)}, ${reg(c.r)}, ${operand2(c.r, c.mode)}`);
});

/** mov/mvn with any second operand. */
const moves = template('mov', (c) => insn(c.r.pick(['mov', 'mvn']) + s(c), `${reg(c.r)}, ${operand2(c.r, c.mode)}`));

/** Comparisons: flags only. */
const compares = template('cmp', (c) => insn(c.r.pick(['cmp', 'cmn', 'tst', 'teq']), `${reg(c.r)}, ${operand2(c.r, c.mode)}`));

/** Shift instructions by immediate or register, and rrx. */
const shifts = template('shift', (c) => {
  const k = c.r.int(0, 2);
  if (k === 0) return insn('rrx' + s(c), `${reg(c.r)}, ${reg(c.r)}`);
  const op = c.r.pick(['lsl', 'lsr', 'asr', 'ror']);
  if (k === 1) return insn(op + s(c), `${reg(c.r)}, ${reg(c.r)}, ${reg(c.r)}`);
  const amount = op === 'lsl' || op === 'ror' ? c.r.int(1, 31) : c.r.int(1, 32);
  return insn(op + s(c), `${reg(c.r)}, ${reg(c.r)}, #${amount}`);
});

/** movw/movt: 16-bit immediates. */
const wide = template('movw', (c) => insn(c.r.pick(['movw', 'movt']), `${reg(c.r)}, #${hex(c.r.int(0, 0xffff))}`));

/** 32-bit multiplies; T32 has no flag-setting 32-bit form. */
const multiply = template('mul', (c) => {
  const sf = c.mode === 'arm' ? s(c, 0.3) : '';
  switch (c.r.int(0, 2)) {
    case 0:
      return insn('mul' + sf, `${reg(c.r)}, ${reg(c.r)}, ${reg(c.r)}`);
    case 1:
      return insn('mla' + sf, `${reg(c.r)}, ${reg(c.r)}, ${reg(c.r)}, ${reg(c.r)}`);
    default:
      return insn('mls', `${reg(c.r)}, ${reg(c.r)}, ${reg(c.r)}, ${reg(c.r)}`);
  }
});

/** 64-bit multiplies (RdLo and RdHi distinct, as the ARM ARM requires). */
const longMultiply = template('mull', (c) => {
  const [lo, hi] = regs(c.r, 2);
  const op = c.r.pick(['umull', 'smull', 'umlal', 'smlal', 'umaal', 'smlald', 'smlaldx', 'smlsld', 'smlsldx', 'smlalbb', 'smlalbt', 'smlaltb', 'smlaltt']);
  const flags = c.mode === 'arm' && ['umull', 'smull', 'umlal', 'smlal'].includes(op) ? s(c, 0.3) : '';
  return insn(op + flags, `${lo}, ${hi}, ${reg(c.r)}, ${reg(c.r)}`);
});

/**
 * Halfword, word-by-halfword, dual and most-significant-word multiplies. Not SMLAD/SMLADX:
 * libunicorn 2.1.4 (QEMU 5.0) sets Q when the two products' sum overflows even if adding the
 * accumulator brings it back in range (0x80008000 squared twice, plus -1); the ARM ARM and
 * qemu-arm 7.2 (QEMU commit "target/arm: Fix SMLAD incorrect setting of Q bit", 5.2) do not.
 */
const dspMultiply = template('smulxy', (c) => {
  const three = ['smulbb', 'smulbt', 'smultb', 'smultt', 'smulwb', 'smulwt', 'smuad', 'smuadx', 'smusd', 'smusdx', 'smmul', 'smmulr'];
  const four = ['smlabb', 'smlabt', 'smlatb', 'smlatt', 'smlawb', 'smlawt', 'smlsd', 'smlsdx', 'smmla', 'smmlar', 'smmls', 'smmlsr', 'usada8'];
  if (c.r.chance(0.45)) return insn(c.r.pick(three), `${reg(c.r)}, ${reg(c.r)}, ${reg(c.r)}`);
  return insn(c.r.pick(four), `${reg(c.r)}, ${reg(c.r)}, ${reg(c.r)}, ${reg(c.r)}`);
});

/** Saturating add/subtract and saturate instructions (sets Q). */
const saturate = template('sat', (c) => {
  switch (c.r.int(0, 4)) {
    case 0:
      return insn(c.r.pick(['qadd', 'qsub', 'qdadd', 'qdsub']), `${reg(c.r)}, ${reg(c.r)}, ${reg(c.r)}`);
    case 1: {
      const sh = c.r.chance(0.5) ? `, lsl #${c.r.int(0, 31)}` : `, asr #${c.r.int(1, c.mode === 'arm' ? 32 : 31)}`;
      return insn('ssat', `${reg(c.r)}, #${c.r.int(1, 32)}, ${reg(c.r)}${sh}`);
    }
    case 2: {
      const sh = c.r.chance(0.5) ? `, lsl #${c.r.int(0, 31)}` : `, asr #${c.r.int(1, c.mode === 'arm' ? 32 : 31)}`;
      return insn('usat', `${reg(c.r)}, #${c.r.int(0, 31)}, ${reg(c.r)}${sh}`);
    }
    case 3:
      return insn('ssat16', `${reg(c.r)}, #${c.r.int(1, 16)}, ${reg(c.r)}`);
    default:
      return insn('usat16', `${reg(c.r)}, #${c.r.int(0, 15)}, ${reg(c.r)}`);
  }
});

/** Parallel (SIMD-in-register) add/subtract, sel and usad8 (set and read the GE flags). */
const parallel = template('parallel', (c) => {
  if (c.r.chance(0.15)) return insn(c.r.pick(['sel', 'usad8']), `${reg(c.r)}, ${reg(c.r)}, ${reg(c.r)}`);
  const prefix = c.r.pick(['s', 'q', 'sh', 'u', 'uq', 'uh']);
  const body = c.r.pick(['add16', 'asx', 'sax', 'sub16', 'add8', 'sub8']);
  return insn(prefix + body, `${reg(c.r)}, ${reg(c.r)}, ${reg(c.r)}`);
});

/** Bit-field extract, insert and clear. */
const bitfield = template('bitfield', (c) => {
  const lsb = c.r.int(0, 31);
  const width = c.r.int(1, 32 - lsb);
  const op = c.r.pick(['ubfx', 'sbfx', 'bfi', 'bfc']);
  if (op === 'bfc') return insn(op, `${reg(c.r)}, #${lsb}, #${width}`);
  return insn(op, `${reg(c.r)}, ${reg(c.r)}, #${lsb}, #${width}`);
});

/** Sign and zero extension, with and without accumulate, with rotations. */
const extend = template('extend', (c) => {
  if (c.r.chance(0.5)) {
    return insn(c.r.pick(['uxtb', 'uxth', 'sxtb', 'sxth', 'uxtb16', 'sxtb16']), `${reg(c.r)}, ${reg(c.r)}${rotation(c.r)}`);
  }
  return insn(c.r.pick(['uxtab', 'uxtah', 'sxtab', 'sxtah', 'uxtab16', 'sxtab16']), `${reg(c.r)}, ${reg(c.r)}, ${reg(c.r)}${rotation(c.r)}`);
});

/** Byte and bit reversal, count leading zeros. */
const reverse = template('rev', (c) => insn(c.r.pick(['rev', 'rev16', 'revsh', 'rbit', 'clz']), `${reg(c.r)}, ${reg(c.r)}`));

/** Halfword packing. */
const pack = template('pkh', (c) => {
  if (c.r.chance(0.5)) return insn('pkhbt', `${reg(c.r)}, ${reg(c.r)}, ${reg(c.r)}${c.r.chance(0.7) ? `, lsl #${c.r.int(1, 31)}` : ''}`);
  return insn('pkhtb', `${reg(c.r)}, ${reg(c.r)}, ${reg(c.r)}, asr #${c.r.int(1, 32)}`);
});

/** Integer divide (Cortex-A15 has it in both instruction sets; x/0 = 0). */
const divide = template('div', (c) => insn(c.r.pick(['sdiv', 'udiv']), `${reg(c.r)}, ${reg(c.r)}, ${reg(c.r)}`));

/** Reading and writing the APSR flags (NZCVQ and GE). */
const apsr = template('apsr', (c) => {
  if (c.r.chance(0.4)) return insn('mrs', `${reg(c.r)}, apsr`);
  return insn('msr', `${c.r.pick(['APSR_nzcvq', 'APSR_g', 'APSR_nzcvqg'])}, ${reg(c.r)}`);
});

/** Hints and barriers: no-ops for a single user thread, but YIELD/WFE end libunicorn's run (see machine/yield-hint.ts). */
const hint = template('hint', (c) => {
  if (c.r.chance(0.3)) return insn(c.r.pick(['dmb ish', 'dsb sy', 'isb', 'dmb ishst']), '', false);
  return insn(c.r.pick(['nop', 'yield', 'wfe', 'wfi', 'sev']), '');
});

/**
 * Reading the PC (ADR and its A32 forms): PC+8 in A32, Align(PC, 4)+4 in T32. Both sides run the
 * same ELF at the same addresses, so the values must agree. (PC is never written.)
 */
const pcRead = template('pc-read', (c) => {
  if (c.mode === 'thumb') return insn(c.r.pick(['addw', 'subw']), `${reg(c.r)}, pc, #${c.r.int(0, 4095)}`);
  if (c.r.chance(0.2)) return insn('mov', `${reg(c.r)}, pc`);
  return insn(c.r.pick(['add', 'sub']), `${reg(c.r)}, pc, #${hex(c.r.int(0, 255) << (2 * c.r.int(0, 4)))}`);
});

/** Every integer template, and the weight it is drawn with. */
export const INTEGER_TEMPLATES: [Template, number][] = [
  [dataProcessing, 10],
  [moves, 3],
  [compares, 3],
  [shifts, 3],
  [wide, 1],
  [multiply, 2],
  [longMultiply, 2],
  [dspMultiply, 3],
  [saturate, 2],
  [parallel, 3],
  [bitfield, 2],
  [extend, 2],
  [reverse, 2],
  [pack, 1],
  [divide, 1],
  [apsr, 1],
  [hint, 0.5],
  [pcRead, 0.5],
];
