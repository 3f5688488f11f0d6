/**
 * The random-instruction program generator (in the manner of QEMU's risu): from a seed, sequences
 * of random valid instructions for one category, each started from its own random machine state
 * and followed by a dump of that state to stdout. Deterministic: one seed, one program text.
 */
import { CONDITIONS, GenContext, Insn, invertCondition, IsaMode, renderInsn, Template } from './insn';
import { INTEGER_TEMPLATES } from './templates-int';
import { MEMORY_TEMPLATES } from './templates-mem';
import { NEON_TEMPLATES } from './templates-neon';
import { VFP_TEMPLATES } from './templates-vfp';
import { Rand } from './rand';
import { randomInit, SequenceInit } from './initial-state';
import { renderProgram } from './program-text';
import type { Sequence, Unit } from './sequence';

export type { Sequence, Unit };

/** What a program exercises: A32 integer, T32 integer, VFP or NEON. */
export type Category = 'arm' | 'thumb' | 'vfp' | 'neon';

/** Every category, in report order. */
export const CATEGORIES: readonly Category[] = ['arm', 'thumb', 'vfp', 'neon'];

/** A whole test program. */
export interface TestProgram {
  seed: number;
  category: Category;
  mode: IsaMode;
  sequences: Sequence[];
}

/** How big a program to draw. */
export interface GenerateOptions {
  /** Sequences in the program. */
  sequences: number;
  /** Random instructions per sequence. */
  length: number;
}

/** Templates of each category with their weights; VFP and NEON programs mix in some integer work. */
export function templatesOf(category: Category): [Template, number][] {
  switch (category) {
    case 'arm':
    case 'thumb':
      return [...INTEGER_TEMPLATES, ...MEMORY_TEMPLATES];
    case 'vfp':
      return [...VFP_TEMPLATES, ...INTEGER_TEMPLATES.map(([t]): [Template, number] => [t, 0.3])];
    case 'neon':
      return NEON_TEMPLATES;
  }
}

/** The instruction set a category's program uses for `seed`: VFP and NEON programs are A32 or T32, by a hash of the seed. */
export function modeOf(category: Category, seed: number): IsaMode {
  if (category === 'arm') return 'arm';
  if (category === 'thumb') return 'thumb';
  return Math.imul(seed, 0x9e3779b1) >>> 31 === 0 ? 'arm' : 'thumb';
}

function drawTemplate(r: Rand, weighted: [Template, number][]): Template {
  const total = weighted.reduce((a, [, w]) => a + w, 0);
  let x = (r.u32() / 0x1_0000_0000) * total;
  for (const [t, w] of weighted) {
    x -= w;
    if (x < 0) return t;
  }
  return weighted[weighted.length - 1][0];
}

function single(t: Template, insn: Insn, cond: string): Unit {
  return { templates: [t.name], lines: [...(insn.pre ?? []), renderInsn(insn, cond)], count: 1 };
}

/**
 * A T32 IT block of 1–4 conditional instructions. Set-up lines cannot sit inside the block, so
 * they all go before the IT (templates only set r10 there, and at most one draw may use it).
 */
function itBlock(c: GenContext, weighted: [Template, number][], size: number): Unit | undefined {
  const drawn: [Template, Insn][] = [];
  let usesWork = false;
  for (let tries = 0; drawn.length < size && tries < size * 8; tries++) {
    const t = drawTemplate(c.r, weighted);
    const insn = t.gen(c);
    if (!insn.conditional || insn.setsFpscr !== undefined || (insn.pre && usesWork)) continue;
    usesWork ||= insn.pre !== undefined;
    drawn.push([t, insn]);
  }
  if (drawn.length === 0) return undefined;
  const cond = c.r.pick(CONDITIONS);
  const pattern = drawn.map((_, i) => (i === 0 || c.r.chance(0.5) ? 't' : 'e'));
  const pre = drawn.flatMap(([, insn]) => insn.pre ?? []);
  const body = drawn.map(([, insn], i) => renderInsn(insn, pattern[i] === 't' ? cond : invertCondition(cond)));
  return { templates: drawn.map(([t]) => t.name), lines: [...pre, `it${pattern.slice(1).join('')} ${cond}`, ...body], count: drawn.length };
}

/** Draw one unit: an instruction, conditional in A32 at times, or a T32 IT block. */
function drawUnit(c: GenContext, weighted: [Template, number][]): Unit {
  if (c.mode === 'thumb' && c.r.chance(0.2)) {
    const block = itBlock(c, weighted, c.r.int(1, 4));
    if (block) return block;
  }
  const t = drawTemplate(c.r, weighted);
  const insn = t.gen(c);
  const cond = c.mode === 'arm' && insn.conditional && c.r.chance(0.25) ? c.r.pick(CONDITIONS) : '';
  // Only an instruction that is kept (and unconditional, as FPSCR writes are) changes the mode later draws see.
  if (insn.setsFpscr !== undefined) c.fpscr = insn.setsFpscr;
  return single(t, insn, cond);
}

/** Draw `length` random instructions for a sequence. */
function drawSequence(c: GenContext, weighted: [Template, number][], length: number): Unit[] {
  const units: Unit[] = [];
  let n = 0;
  while (n < length) {
    const u = drawUnit(c, weighted);
    units.push(u);
    n += u.count;
  }
  return units;
}

/** The program for `seed` in `category`. */
export function generateProgram(seed: number, category: Category, opts: GenerateOptions): TestProgram {
  const r = new Rand(seed);
  const mode = modeOf(category, seed);
  const weighted = templatesOf(category);
  const sequences: Sequence[] = [];
  for (let i = 0; i < opts.sequences; i++) {
    const init = randomInit(r);
    sequences.push({ init, units: drawSequence({ r, mode, fpscr: init.fpscr }, weighted, opts.length) });
  }
  return { seed, category, mode, sequences };
}

/**
 * A hand-written program: one sequence of `lines` (each one unit) from `init`, or from the
 * starting state seed 1 draws. For regression cases and for pinning down known differences.
 */
export function handProgram(mode: IsaMode, lines: string[], init?: Partial<SequenceInit>): TestProgram {
  const drawn = randomInit(new Rand(1));
  const units = lines.map((l): Unit => ({ templates: [], lines: [l], count: 1 }));
  return { seed: 0, category: mode === 'arm' ? 'arm' : 'thumb', mode, sequences: [{ init: { ...drawn, ...init }, units }] };
}

/** Assembly source of `program`. */
export function programText(program: TestProgram): string {
  return renderProgram(program.mode, program.sequences);
}

/** The instruction lines of one sequence, for reports. */
export function sequenceText(seq: Sequence): string[] {
  return seq.units.flatMap((u) => u.lines);
}
