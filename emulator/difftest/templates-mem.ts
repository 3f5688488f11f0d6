/**
 * Load/store templates. Every address is BASE (r11, the scratch middle) plus a bounded offset;
 * writeback and register-offset forms go through WORK (r10), which the template sets first, so
 * no random instruction ever writes a reserved register. Word and halfword LDR/STR are sometimes
 * unaligned, which ARMv7 user programs may do. LDRD/STRD, LDM/STM and exclusives stay aligned:
 * there the ARM ARM requires an alignment fault, which qemu-arm raises (SIGBUS) but libunicorn
 * 2.1.4 does only for exclusives (it predates QEMU 6.1's "Enforce alignment" series), so an
 * unaligned LDRD or LDM runs on clonecloud and kills the program under qemu-arm.
 */
import { GenContext, Template, template } from './insn';
import { BASE, GP, offset, reg, regList, regs, shiftImm, WORK } from './operands';

function at(c: GenContext, align: number, limit?: number): string {
  const off = offset(c.r, align, limit);
  return off === 0 ? `[${BASE}]` : `[${BASE}, #${off}]`;
}

/** A pair of registers for LDRD/STRD/LDREXD: A32 wants an even first register and its successor. */
function pair(c: GenContext): [string, string] {
  if (c.mode === 'thumb') return regs(c.r, 2) as [string, string];
  const first = c.r.pick([0, 2, 4, 6, 8]);
  return [`r${first}`, `r${first + 1}`];
}

const WIDTHS = [
  { load: 'ldr', store: 'str', align: 4, limit: 4095 },
  { load: 'ldrb', store: 'strb', align: 1, limit: 4095 },
  { load: 'ldrh', store: 'strh', align: 2, limit: 255 },
  { load: 'ldrsb', store: 'strb', align: 1, limit: 255 },
  { load: 'ldrsh', store: 'strh', align: 2, limit: 255 },
];

/** Immediate-offset loads and stores of every width, sometimes unaligned. */
const immediate = template('ldr-imm', (c) => {
  const w = c.r.pick(WIDTHS);
  const align = c.r.chance(0.25) ? 1 : w.align;
  const op = c.r.chance(0.5) ? w.load : w.store;
  return { op, args: `${reg(c.r)}, ${at(c, align, w.limit)}`, conditional: true };
});

/** Pre-indexed writeback and post-indexed forms through the work register. */
const writeback = template('ldr-wb', (c) => {
  const w = c.r.pick(WIDTHS);
  const op = c.r.chance(0.5) ? w.load : w.store;
  const start = offset(c.r, w.align, 64);
  const step = offset(c.r, w.align, 64);
  const rt = reg(c.r);
  let addr = c.r.chance(0.5) ? `[${WORK}, #${step}]!` : `[${WORK}], #${step}`;
  // A32 post-indexing by a register: the access is at WORK, only the written-back base is random;
  // only word and unsigned-byte forms take a shifted register.
  if (c.mode === 'arm' && c.r.chance(0.3)) {
    const rm = c.r.pick(GP.filter((x) => x !== rt));
    addr = `[${WORK}], ${c.r.chance(0.5) ? '-' : ''}${rm}${['ldr', 'str', 'ldrb', 'strb'].includes(op) ? shiftImm(c.r) : ''}`;
  }
  return { op, args: `${rt}, ${addr}`, conditional: true, pre: [`add ${WORK}, ${BASE}, #${start}`] };
});

/** Register-offset forms: the index is a small value put in the work register. */
const registerOffset = template('ldr-reg', (c) => {
  const w = c.r.pick(WIDTHS);
  const op = c.r.chance(0.5) ? w.load : w.store;
  const scaled = w.align === 4 && c.r.chance(0.6);
  const index = c.r.int(0, scaled ? 31 : 120);
  const minus = c.mode === 'arm' && c.r.chance(0.4) ? '-' : '';
  const shift = scaled ? ', lsl #2' : '';
  // Only words are scaled: A32 halfword and signed-byte forms take no shift, T32 takes LSL only and never subtracts.
  return { op, args: `${reg(c.r)}, [${BASE}, ${minus}${WORK}${shift}]`, conditional: true, pre: [`mov ${WORK}, #${index}`] };
});

/** Doubleword loads and stores. */
const doubleword = template('ldrd', (c) => {
  const [a, b] = pair(c);
  return { op: c.r.chance(0.5) ? 'ldrd' : 'strd', args: `${a}, ${b}, ${at(c, 8, 248)}`, conditional: true };
});

/** Load/store multiple, with every A32 addressing mode, and with writeback through the work register. */
const multiple = template('ldm', (c) => {
  const modes = c.mode === 'arm' ? ['ia', 'ib', 'da', 'db'] : ['ia', 'db'];
  const op = (c.r.chance(0.5) ? 'ldm' : 'stm') + c.r.pick(modes);
  if (c.r.chance(0.5)) return { op, args: `${BASE}, ${regList(c.r)}`, conditional: true };
  return { op, args: `${WORK}!, ${regList(c.r)}`, conditional: true, pre: [`add ${WORK}, ${BASE}, #${c.r.int(0, 8) * 4}`] };
});

/** Exclusive load then store to the same place (the store usually succeeds), of every size. */
const exclusive = template('ldrex', (c) => {
  const size = c.r.pick(['', 'b', 'h', 'd']);
  if (size === 'd') {
    const [a, b] = pair(c);
    const status = c.r.pick(GP.filter((x) => x !== a && x !== b));
    return { op: 'strexd', args: `${status}, ${a}, ${b}, [${BASE}]`, conditional: true, pre: [`ldrexd ${a}, ${b}, [${BASE}]`] };
  }
  const [status, value, loaded] = regs(c.r, 3);
  const pre = c.r.chance(0.8) ? [`ldrex${size} ${loaded}, [${BASE}]`] : [];
  return { op: `strex${size}`, args: `${status}, ${value}, [${BASE}]`, conditional: true, pre };
});

/** Pages in the far buffer (see program-text.ts). */
export const FAR_PAGES = 256;

/**
 * A load or store on a random page of a large untouched buffer, so it usually misses the TLB
 * (the first touch of a page, or the first write to it, goes through the TLB-fill hook, also
 * inside IT blocks). Loads show in registers; stores only through later loads of the same spot.
 */
const far = template('ldr-far', (c) => {
  const w = c.r.pick(WIDTHS);
  const op = c.r.chance(0.6) ? w.load : w.store;
  const page = c.r.int(0, FAR_PAGES - 1);
  // MOVW/MOVT addends are only 16 bits, so the page and the spot in it are added separately
  // (both encodable immediates); the spot keeps the ±8 offset inside the page.
  const pre = [`movw ${WORK}, #:lower16:far`, `movt ${WORK}, #:upper16:far`, `add ${WORK}, ${WORK}, #${c.r.int(1, 254) * 16}`];
  if (page) pre.push(`add ${WORK}, ${WORK}, #${page * 4096}`);
  return { op, args: `${reg(c.r)}, [${WORK}, #${offset(c.r, w.align, 8)}]`, conditional: true, pre };
});

/** Every load/store template, and the weight it is drawn with. */
export const MEMORY_TEMPLATES: [Template, number][] = [
  [immediate, 4],
  [writeback, 2],
  [registerOffset, 2],
  [doubleword, 2],
  [multiple, 2],
  [exclusive, 1],
  [far, 1],
];
