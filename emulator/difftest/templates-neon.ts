/**
 * Advanced SIMD (NEON) templates: integer, polynomial and float vector arithmetic, saturating
 * and rounding forms, long/wide/narrow forms, shifts by register and immediate, by-scalar
 * multiplies, permutations (vzip/vuzp/vtrn/vext/vtbl), immediates, lane moves and structure
 * loads/stores. NEON instructions are never conditional (in T32 they are kept out of IT blocks).
 */
import { GenContext, Insn, Template, template } from './insn';
import { BASE, floatImm, hex, reg, WORK } from './operands';

function neon(op: string, dt: string | undefined, args: string): Insn {
  return { op, dt, args, conditional: false };
}

const dreg = (c: GenContext): string => `d${c.r.int(0, 31)}`;
const qreg = (c: GenContext): string => `q${c.r.int(0, 15)}`;
/** A D or Q register, as `quad` says. */
const vreg = (c: GenContext, quad: boolean): string => (quad ? qreg(c) : dreg(c));

const S8_32 = ['s8', 's16', 's32', 'u8', 'u16', 'u32'];
const S8_64 = [...S8_32, 's64', 'u64'];
const I8_32 = ['i8', 'i16', 'i32'];
const S16_64 = ['s16', 's32', 's64', 'u16', 'u32', 'u64'];

/** Element size in bits of a data type such as 'u16' or 'i8'. */
function bits(dt: string): number {
  return Number(dt.replace(/^\D+/, ''));
}

/** [mnemonic, data types ('' = none), D registers only]. */
const THREE_SAME: [string, string[], boolean][] = [
  ['vadd', [...I8_32, 'i64', 'f32'], false],
  ['vsub', [...I8_32, 'i64', 'f32'], false],
  ['vmul', [...I8_32, 'p8', 'f32'], false],
  ['vmla', [...I8_32, 'f32'], false],
  ['vmls', [...I8_32, 'f32'], false],
  ['vqadd', S8_64, false],
  ['vqsub', S8_64, false],
  ['vhadd', S8_32, false],
  ['vrhadd', S8_32, false],
  ['vhsub', S8_32, false],
  ['vabd', [...S8_32, 'f32'], false],
  ['vaba', S8_32, false],
  ['vmax', [...S8_32, 'f32'], false],
  ['vmin', [...S8_32, 'f32'], false],
  ['vceq', [...I8_32, 'f32'], false],
  ['vcge', [...S8_32, 'f32'], false],
  ['vcgt', [...S8_32, 'f32'], false],
  ['vacge', ['f32'], false],
  ['vacgt', ['f32'], false],
  ['vtst', ['8', '16', '32'], false],
  ['vshl', S8_64, false],
  ['vqshl', S8_64, false],
  ['vrshl', S8_64, false],
  ['vqrshl', S8_64, false],
  ['vqdmulh', ['s16', 's32'], false],
  ['vqrdmulh', ['s16', 's32'], false],
  ['vfma', ['f32'], false],
  ['vfms', ['f32'], false],
  ['vrecps', ['f32'], false],
  ['vrsqrts', ['f32'], false],
  ['vpadd', [...I8_32, 'f32'], true],
  ['vpmax', [...S8_32, 'f32'], true],
  ['vpmin', [...S8_32, 'f32'], true],
  ['vand', [''], false],
  ['vbic', [''], false],
  ['vorr', [''], false],
  ['vorn', [''], false],
  ['veor', [''], false],
  ['vbsl', [''], false],
  ['vbit', [''], false],
  ['vbif', [''], false],
];

/** Three registers of one shape. */
const threeSame = template('neon-3same', (c) => {
  const [op, types, dOnly] = c.r.pick(THREE_SAME);
  const q = !dOnly && c.r.chance(0.5);
  const dt = c.r.pick(types);
  return neon(op, dt || undefined, `${vreg(c, q)}, ${vreg(c, q)}, ${vreg(c, q)}`);
});

const TWO_MISC: [string, string[]][] = [
  ['vabs', ['s8', 's16', 's32', 'f32']],
  ['vneg', ['s8', 's16', 's32', 'f32']],
  ['vqabs', ['s8', 's16', 's32']],
  ['vqneg', ['s8', 's16', 's32']],
  ['vcls', ['s8', 's16', 's32']],
  ['vclz', I8_32],
  ['vcnt', ['8']],
  ['vmvn', ['']],
  ['vrev16', ['8']],
  ['vrev32', ['8', '16']],
  ['vrev64', ['8', '16', '32']],
  ['vpaddl', S8_32],
  ['vpadal', S8_32],
  ['vrecpe', ['u32', 'f32']],
  ['vrsqrte', ['u32', 'f32']],
  ['vswp', ['']],
  ['vtrn', ['8', '16', '32']],
  ['vuzp', ['8', '16']],
  ['vzip', ['8', '16']],
  ['vcvt', ['s32.f32', 'u32.f32', 'f32.s32', 'f32.u32']],
];

/** Two registers of one shape; comparisons with zero too. */
const twoMisc = template('neon-2misc', (c) => {
  const q = c.r.chance(0.5);
  if (c.r.chance(0.15)) {
    const op = c.r.pick(['vceq', 'vcge', 'vcgt', 'vcle', 'vclt']);
    const dt = op === 'vceq' ? c.r.pick([...I8_32, 'f32']) : c.r.pick(['s8', 's16', 's32', 'f32']);
    return neon(op, dt, `${vreg(c, q)}, ${vreg(c, q)}, #0`);
  }
  const [op, types] = c.r.pick(TWO_MISC);
  const dt = c.r.pick(types);
  return neon(op, dt || undefined, `${vreg(c, q)}, ${vreg(c, q)}`);
});

/** Long (Q ← D, D), wide (Q ← Q, D) and narrow (D ← Q, Q / D ← Q) forms. */
const longWideNarrow = template('neon-long', (c) => {
  switch (c.r.int(0, 6)) {
    case 0: {
      const op = c.r.pick(['vaddl', 'vsubl', 'vabdl', 'vabal', 'vmull', 'vmlal', 'vmlsl']);
      const dt = op === 'vmull' && c.r.chance(0.15) ? 'p8' : c.r.pick(S8_32);
      return neon(op, dt, `${qreg(c)}, ${dreg(c)}, ${dreg(c)}`);
    }
    case 1:
      return neon(c.r.pick(['vqdmull', 'vqdmlal', 'vqdmlsl']), c.r.pick(['s16', 's32']), `${qreg(c)}, ${dreg(c)}, ${dreg(c)}`);
    case 2:
      return neon(c.r.pick(['vaddw', 'vsubw']), c.r.pick(S8_32), `${qreg(c)}, ${qreg(c)}, ${dreg(c)}`);
    case 3:
      return neon(c.r.pick(['vaddhn', 'vraddhn', 'vsubhn', 'vrsubhn']), c.r.pick(['i16', 'i32', 'i64']), `${dreg(c)}, ${qreg(c)}, ${qreg(c)}`);
    case 4:
      return neon('vmovl', c.r.pick(S8_32), `${qreg(c)}, ${dreg(c)}`);
    case 5: {
      const k = c.r.int(0, 2);
      const [op, types] = k === 0 ? ['vmovn', ['i16', 'i32', 'i64']] : k === 1 ? ['vqmovn', S16_64] : ['vqmovun', ['s16', 's32', 's64']];
      return neon(op, c.r.pick(types), `${dreg(c)}, ${qreg(c)}`);
    }
    default:
      return c.r.chance(0.5) ? neon('vcvt', 'f16.f32', `${dreg(c)}, ${qreg(c)}`) : neon('vcvt', 'f32.f16', `${qreg(c)}, ${dreg(c)}`);
  }
});

/** Shifts by immediate, of every kind and range, and fixed-point conversions. */
const shiftImmediate = template('neon-shift', (c) => {
  const q = c.r.chance(0.5);
  const same = (op: string, dt: string, amount: number): Insn => neon(op, dt, `${vreg(c, q)}, ${vreg(c, q)}, #${amount}`);
  switch (c.r.int(0, 7)) {
    case 0: {
      const dt = c.r.pick(S8_64);
      return same(c.r.pick(['vshr', 'vsra', 'vrshr', 'vrsra']), dt, c.r.int(1, bits(dt)));
    }
    case 1: {
      const dt = c.r.pick(S8_64);
      const op = dt.startsWith('s') && c.r.chance(0.3) ? 'vqshlu' : 'vqshl';
      return same(op, dt, c.r.int(0, bits(dt) - 1));
    }
    case 2: {
      const size = c.r.pick([8, 16, 32, 64]);
      return c.r.chance(0.5) ? same('vshl', `i${size}`, c.r.int(0, size - 1)) : same('vsli', `${size}`, c.r.int(0, size - 1));
    }
    case 3: {
      const size = c.r.pick([8, 16, 32, 64]);
      return same('vsri', `${size}`, c.r.int(1, size));
    }
    case 4: {
      const k = c.r.int(0, 2);
      const [ops, types] =
        k === 0
          ? [
              ['vshrn', 'vrshrn'],
              ['i16', 'i32', 'i64'],
            ]
          : k === 1
            ? [['vqshrn', 'vqrshrn'], S16_64]
            : [
                ['vqshrun', 'vqrshrun'],
                ['s16', 's32', 's64'],
              ];
      const dt = c.r.pick(types);
      return neon(c.r.pick(ops), dt, `${dreg(c)}, ${qreg(c)}, #${c.r.int(1, bits(dt) / 2)}`);
    }
    case 5: {
      const dt = c.r.pick(S8_32);
      return neon('vshll', dt, `${qreg(c)}, ${dreg(c)}, #${c.r.int(1, bits(dt) - 1)}`);
    }
    case 6: {
      const size = c.r.pick([8, 16, 32]);
      return neon('vshll', `i${size}`, `${qreg(c)}, ${dreg(c)}, #${size}`);
    }
    default:
      return same('vcvt', c.r.pick(['s32.f32', 'u32.f32', 'f32.s32', 'f32.u32']), c.r.int(1, 32));
  }
});

/** A scalar operand Dm[x]: 16-bit scalars live in d0–d7, 32-bit ones in d0–d15. */
function scalar(c: GenContext, size: number): string {
  return size === 16 ? `d${c.r.int(0, 7)}[${c.r.int(0, 3)}]` : `d${c.r.int(0, 15)}[${c.r.int(0, 1)}]`;
}

/** Multiplies by a scalar. */
const byScalar = template('neon-scalar', (c) => {
  const q = c.r.chance(0.5);
  switch (c.r.int(0, 2)) {
    case 0: {
      const dt = c.r.pick(['i16', 'i32', 'f32']);
      return neon(c.r.pick(['vmul', 'vmla', 'vmls']), dt, `${vreg(c, q)}, ${vreg(c, q)}, ${scalar(c, bits(dt))}`);
    }
    case 1: {
      const op = c.r.pick(['vmull', 'vmlal', 'vmlsl', 'vqdmull', 'vqdmlal', 'vqdmlsl']);
      const dt = op.startsWith('vq') ? c.r.pick(['s16', 's32']) : c.r.pick(['s16', 's32', 'u16', 'u32']);
      return neon(op, dt, `${qreg(c)}, ${dreg(c)}, ${scalar(c, bits(dt))}`);
    }
    default: {
      const dt = c.r.pick(['s16', 's32']);
      return neon(c.r.pick(['vqdmulh', 'vqrdmulh']), dt, `${vreg(c, q)}, ${vreg(c, q)}, ${scalar(c, bits(dt))}`);
    }
  }
});

/** Extraction, table lookup and duplication. */
const permute = template('neon-perm', (c) => {
  const q = c.r.chance(0.5);
  switch (c.r.int(0, 3)) {
    case 0:
      return neon('vext', '8', `${vreg(c, q)}, ${vreg(c, q)}, ${vreg(c, q)}, #${c.r.int(0, q ? 15 : 7)}`);
    case 1: {
      const n = c.r.int(1, 4);
      const first = c.r.int(0, 32 - n);
      const list = n === 1 ? `d${first}` : `d${first}-d${first + n - 1}`;
      return neon(c.r.pick(['vtbl', 'vtbx']), '8', `${dreg(c)}, {${list}}, ${dreg(c)}`);
    }
    case 2: {
      const size = c.r.pick([8, 16, 32]);
      return neon('vdup', `${size}`, `${vreg(c, q)}, d${c.r.int(0, 31)}[${c.r.int(0, 64 / size - 1)}]`);
    }
    default:
      return neon('vdup', `${c.r.pick([8, 16, 32])}`, `${vreg(c, q)}, ${reg(c.r)}`);
  }
});

/** A NEON modified immediate for `dt`, as the encodings allow. */
function simdImm(c: GenContext, dt: string): string {
  const b = c.r.int(0, 255);
  switch (dt) {
    case 'i8':
      return `#${hex(b)}`;
    case 'i16':
      return `#${hex(b << c.r.pick([0, 8]))}`;
    case 'i32':
      return c.r.chance(0.75) ? `#${hex(b << c.r.pick([0, 8, 16, 24]))}` : `#${hex(c.r.chance(0.5) ? (b << 8) | 0xff : (b << 16) | 0xffff)}`;
    case 'i64': {
      let v = 0n;
      for (let i = 0; i < 8; i++) if (c.r.chance(0.5)) v |= 0xffn << BigInt(8 * i);
      return `#0x${v.toString(16)}`;
    }
    default:
      return floatImm(c.r);
  }
}

/** Vector immediates: vmov/vmvn/vorr/vbic. */
const immediate = template('neon-imm', (c) => {
  const q = c.r.chance(0.5);
  const k = c.r.int(0, 2);
  if (k === 0) {
    const dt = c.r.pick(['i8', 'i16', 'i32', 'i64', 'f32']);
    return neon('vmov', dt, `${vreg(c, q)}, ${simdImm(c, dt)}`);
  }
  if (k === 1) return neon('vmvn', 'i32', `${vreg(c, q)}, ${simdImm(c, 'i32')}`);
  const dt = c.r.pick(['i16', 'i32']);
  // VORR/VBIC immediates are only the shifted-byte forms.
  const v = c.r.int(0, 255) << (dt === 'i16' ? c.r.pick([0, 8]) : c.r.pick([0, 8, 16, 24]));
  return neon(c.r.pick(['vorr', 'vbic']), dt, `${vreg(c, q)}, #${hex(v)}`);
});

/** Moves between core registers and vector lanes. */
const lanes = template('neon-lane', (c) => {
  const size = c.r.pick([8, 16, 32]);
  const lane = `d${c.r.int(0, 31)}[${c.r.int(0, 64 / size - 1)}]`;
  if (c.r.chance(0.5)) return neon('vmov', `${size}`, `${lane}, ${reg(c.r)}`);
  const dt = size === 32 ? '32' : `${c.r.pick(['s', 'u'])}${size}`;
  return neon('vmov', dt, `${reg(c.r)}, ${lane}`);
});

/**
 * Structure loads and stores (vld1–vld4, lanes, all-lanes), at the base or through the work
 * register with writeback. Alignment hints (':64') only where the address is aligned:
 * libunicorn 2.1.4 ignores them, where qemu-arm raises SIGBUS on a misaligned address.
 */
const structures = template('neon-ldst', (c) => {
  const n = c.r.int(1, 4);
  const size = c.r.pick([8, 16, 32]);
  const load = c.r.chance(0.5);
  const first = c.r.int(0, 32 - n);
  const regsOf = (suffix: string): string => Array.from({ length: n }, (_, i) => `d${first + i}${suffix}`).join(', ');
  let list: string;
  const form = c.r.int(0, 2);
  if (form === 0 || (form === 2 && !load)) list = regsOf('');
  else if (form === 1) list = regsOf(`[${c.r.int(0, 64 / size - 1)}]`);
  else list = regsOf('[]');
  const dt = form === 0 && n === 1 ? c.r.pick(['8', '16', '32', '64']) : `${size}`;
  const op = `${load ? 'vld' : 'vst'}${n}`;
  // BASE is 64-byte aligned, so an alignment hint there is honoured and never faults.
  if (c.r.chance(0.6)) return neon(op, dt, `{${list}}, [${BASE}${form === 0 && c.r.chance(0.3) ? ':64' : ''}]`);
  return { ...neon(op, dt, `{${list}}, [${WORK}]!`), pre: [`add ${WORK}, ${BASE}, #${c.r.int(-8, 8) * 8}`] };
});

/** Every NEON template, and the weight it is drawn with. */
export const NEON_TEMPLATES: [Template, number][] = [
  [threeSame, 10],
  [twoMisc, 5],
  [longWideNarrow, 4],
  [shiftImmediate, 4],
  [byScalar, 2],
  [permute, 2],
  [immediate, 2],
  [lanes, 2],
  [structures, 2],
];
