/**
 * VFP templates (VFPv4, 32 double registers): arithmetic, fused multiply-add, square root,
 * comparisons copied to the APSR, every conversion (float/double, integer, fixed point, half
 * precision), moves between core and VFP registers, and VFP loads/stores from the scratch buffer.
 * They read and obey the FPSCR the program set (rounding mode, flush-to-zero, default NaN).
 */
import { GenContext, Insn, Template, template } from './insn';
import { randomFpscr } from './initial-state';
import { BASE, floatImm, hex, offset, reg, regs, WORK } from './operands';

function vfp(op: string, dt: string | undefined, args: string): Insn {
  return { op, dt, args, conditional: true };
}

const sreg = (c: GenContext): string => `s${c.r.int(0, 31)}`;
const dreg = (c: GenContext): string => `d${c.r.int(0, 31)}`;

/** A register of the given precision. */
function fr(c: GenContext, double: boolean): string {
  return double ? dreg(c) : sreg(c);
}

/** Two- and three-operand arithmetic in single and double precision. */
const arithmetic = template('vfp-arith', (c) => {
  const d = c.r.chance(0.5);
  const op = c.r.pick(['vadd', 'vsub', 'vmul', 'vnmul', 'vdiv', 'vmla', 'vmls', 'vnmla', 'vnmls', 'vfma', 'vfms', 'vfnma', 'vfnms']);
  return vfp(op, d ? 'f64' : 'f32', `${fr(c, d)}, ${fr(c, d)}, ${fr(c, d)}`);
});

/** One-operand operations. */
const unary = template('vfp-unary', (c) => {
  const d = c.r.chance(0.5);
  return vfp(c.r.pick(['vabs', 'vneg', 'vsqrt', 'vmov']), d ? 'f64' : 'f32', `${fr(c, d)}, ${fr(c, d)}`);
});

/** A VFP modified immediate: ±(16..31)/16 × 2^(-3..4). */
const immediate = template('vfp-imm', (c) => {
  const d = c.r.chance(0.5);
  return vfp('vmov', d ? 'f64' : 'f32', `${fr(c, d)}, ${floatImm(c.r)}`);
});

/** Comparisons, sometimes with zero, and the flags copied to the APSR. */
const compare = template('vfp-cmp', (c) => {
  if (c.r.chance(0.35)) return vfp('vmrs', undefined, 'APSR_nzcv, fpscr');
  const d = c.r.chance(0.5);
  const other = c.r.chance(0.2) ? '#0' : fr(c, d);
  return vfp(c.r.pick(['vcmp', 'vcmpe']), d ? 'f64' : 'f32', `${fr(c, d)}, ${other}`);
});

/** Conversions between precisions and to and from 32-bit integers (truncating and FPSCR-rounded). */
const convert = template('vfp-cvt', (c) => {
  switch (c.r.int(0, 3)) {
    case 0:
      return c.r.chance(0.5) ? vfp('vcvt', 'f64.f32', `${dreg(c)}, ${sreg(c)}`) : vfp('vcvt', 'f32.f64', `${sreg(c)}, ${dreg(c)}`);
    case 1: {
      const d = c.r.chance(0.5);
      return vfp(c.r.pick(['vcvt', 'vcvtr']), `${c.r.pick(['s32', 'u32'])}.${d ? 'f64' : 'f32'}`, `${sreg(c)}, ${fr(c, d)}`);
    }
    case 2: {
      const d = c.r.chance(0.5);
      return vfp('vcvt', `${d ? 'f64' : 'f32'}.${c.r.pick(['s32', 'u32'])}`, `${fr(c, d)}, ${sreg(c)}`);
    }
    default:
      return vfp(c.r.pick(['vcvtb', 'vcvtt']), c.r.pick(['f32.f16', 'f16.f32']), `${sreg(c)}, ${sreg(c)}`);
  }
});

/** Fixed-point conversions (in place, as the encoding requires). */
const fixed = template('vfp-fixed', (c) => {
  const d = c.r.chance(0.5);
  const fx = c.r.pick(['s16', 'u16', 's32', 'u32']);
  const bits = c.r.int(fx.endsWith('16') ? 0 : 1, fx.endsWith('16') ? 16 : 32);
  const r = fr(c, d);
  const f = d ? 'f64' : 'f32';
  // libunicorn 2.1.4 (QEMU 5.0) rounds fixed-to-float conversions by the FPSCR rounding mode; the
  // ARM ARM says round to nearest, as qemu-arm 7.2 does (QEMU commit "AArch32 VCVT fixed-point to
  // float is always round-to-nearest", 5.2). So that form is only drawn when FPSCR says nearest too.
  const toFloat = c.r.chance(0.5) && ((c.fpscr >>> 22) & 3) === 0;
  return vfp('vcvt', toFloat ? `${f}.${fx}` : `${fx}.${f}`, `${r}, ${r}, #${bits}`);
});

/** Moves between core and VFP registers. */
const transfer = template('vfp-vmov', (c) => {
  const [a, b] = regs(c.r, 2);
  switch (c.r.int(0, 4)) {
    case 0:
      return vfp('vmov', undefined, `${reg(c.r)}, ${sreg(c)}`);
    case 1:
      return vfp('vmov', undefined, `${sreg(c)}, ${reg(c.r)}`);
    case 2:
      return vfp('vmov', undefined, `${dreg(c)}, ${a}, ${b}`);
    case 3:
      return vfp('vmov', undefined, `${a}, ${b}, ${dreg(c)}`);
    default: {
      const s = c.r.int(0, 30);
      return vfp('vmov', undefined, `s${s}, s${s + 1}, ${a}, ${b}`);
    }
  }
});

/** VFP loads and stores, single and multiple; word-aligned, since libunicorn 2.1.4 does not fault on unaligned ones as qemu-arm does. */
const memory = template('vfp-ldst', (c) => {
  const d = c.r.chance(0.5);
  if (c.r.chance(0.6)) {
    const off = offset(c.r, 4);
    return vfp(c.r.chance(0.5) ? 'vldr' : 'vstr', undefined, `${fr(c, d)}, [${BASE}${off ? `, #${off}` : ''}]`);
  }
  const n = c.r.int(1, 4);
  const first = c.r.int(0, 32 - n);
  const prefix = d ? 'd' : 's';
  const list = n === 1 ? `${prefix}${first}` : `${prefix}${first}-${prefix}${first + n - 1}`;
  const load = c.r.chance(0.5);
  if (c.r.chance(0.6)) return vfp(load ? 'vldmia' : 'vstmia', undefined, `${BASE}, {${list}}`);
  // Decrement-before exists only with writeback, so it goes through the work register.
  const insn = vfp(load ? 'vldmdb' : 'vstmdb', undefined, `${WORK}!, {${list}}`);
  return { ...insn, pre: [`add ${WORK}, ${BASE}, #${c.r.int(0, 8) * 4}`] };
});

/**
 * A new FPSCR in mid-sequence (rounding mode, flush-to-zero, default NaN, flags), so translated
 * code must pick up a changed mode. Never conditional: later draws rely on knowing the mode.
 */
const setFpscr = template('vfp-vmsr', (c) => {
  const v = randomFpscr(c.r);
  return {
    op: 'vmsr',
    args: `fpscr, ${WORK}`,
    conditional: false,
    pre: [`movw ${WORK}, #${hex(v & 0xffff)}`, `movt ${WORK}, #${hex(v >>> 16)}`],
    setsFpscr: v,
  };
});

/** Every VFP template, and the weight it is drawn with. */
export const VFP_TEMPLATES: [Template, number][] = [
  [arithmetic, 8],
  [unary, 3],
  [immediate, 1],
  [compare, 3],
  [convert, 4],
  [fixed, 2],
  [transfer, 2],
  [memory, 2],
  [setFpscr, 1],
];
