/**
 * A random-instruction differential run: programs of every requested category, drawn from one
 * seed, each assembled and run under clonecloud and qemu-arm, records compared; the first
 * divergences are narrowed to one instruction. Used by the test suite (briefly), by
 * `npm run difftest:random` and by the CLI (at length).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Divergence, firstDivergence } from './compare-runs';
import { Culprit, minimise, runBoth } from './minimise';
import { CATEGORIES, Category, generateProgram } from './random-insns';

/** What to run. */
export interface CampaignOptions {
  /** Seed of the whole run; program seeds follow from it. */
  seed: number;
  /** Sequences in total, shared evenly between the categories. */
  sequences: number;
  categories?: readonly Category[];
  /** Random instructions per sequence (default 20). */
  length?: number;
  /** Sequences per program (default 250): larger amortises assembling and process start. */
  perProgram?: number;
  /** Stop after this many divergent programs (default 1). */
  maxDivergences?: number;
  /** Narrow divergences to one instruction (default true). */
  minimise?: boolean;
  /** Told after each program. */
  progress?: (p: CampaignProgress) => void;
  /** Folder for the programs (default: a fresh temporary folder, removed afterwards). */
  workDir?: string;
}

/** Counts for one category. */
export interface CategoryCount {
  programs: number;
  sequences: number;
  instructions: number;
}

/** A divergence, where it was found and what it narrowed down to. */
export interface FoundDivergence extends Divergence {
  category: Category;
  programSeed: number;
  culprit?: Culprit;
}

/** Progress after one program. */
export interface CampaignProgress {
  category: Category;
  programSeed: number;
  sequencesDone: number;
  sequencesTotal: number;
  divergences: number;
}

/** The outcome of a campaign. */
export interface CampaignSummary {
  seed: number;
  sequences: number;
  instructions: number;
  perCategory: Record<string, CategoryCount>;
  divergences: FoundDivergence[];
  seconds: number;
}

/** The seed of program `index` of `category` in a run seeded `seed`. */
export function programSeed(seed: number, category: Category, index: number): number {
  return (Math.imul(seed, 0x9e3779b1) + index * 8 + CATEGORIES.indexOf(category)) >>> 0;
}

/** Run a random-instruction differential campaign. */
export function runRandomDifftest(opts: CampaignOptions): CampaignSummary {
  const started = Date.now();
  const categories = opts.categories ?? CATEGORIES;
  const length = opts.length ?? 20;
  const perProgram = opts.perProgram ?? 250;
  const maxDivergences = opts.maxDivergences ?? 1;
  const dir = opts.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cc-difftest-'));
  const perCategory: Record<string, CategoryCount> = {};
  const divergences: FoundDivergence[] = [];
  let done = 0;
  try {
    categories.forEach((category, ci) => {
      const count = (perCategory[category] = { programs: 0, sequences: 0, instructions: 0 });
      // Spread the total; the first categories take the remainder.
      let left = Math.floor(opts.sequences / categories.length) + (ci < opts.sequences % categories.length ? 1 : 0);
      for (let index = 0; left > 0 && divergences.length < maxDivergences; index++) {
        const pseed = programSeed(opts.seed, category, index);
        const program = generateProgram(pseed, category, { sequences: Math.min(left, perProgram), length });
        const run = runBoth(program, dir, `${category}-${pseed}`);
        const d = firstDivergence(program, run.ours, run.ref);
        const ran = d ? d.sequence + (d.kind === 'exit' ? 0 : 1) : program.sequences.length;
        count.programs++;
        count.sequences += ran;
        count.instructions += program.sequences.slice(0, ran).reduce((a, s) => a + s.units.reduce((b, u) => b + u.count, 0), 0);
        done += ran;
        left -= program.sequences.length;
        if (d) {
          const culprit = d.kind !== 'exit' && opts.minimise !== false ? minimise(program, d.sequence, dir) : undefined;
          divergences.push({ ...d, category, programSeed: pseed, culprit });
        }
        opts.progress?.({ category, programSeed: pseed, sequencesDone: done, sequencesTotal: opts.sequences, divergences: divergences.length });
      }
    });
  } finally {
    if (!opts.workDir) fs.rmSync(dir, { recursive: true, force: true });
  }
  const total = Object.values(perCategory);
  return {
    seed: opts.seed,
    sequences: total.reduce((a, c) => a + c.sequences, 0),
    instructions: total.reduce((a, c) => a + c.instructions, 0),
    perCategory,
    divergences,
    seconds: (Date.now() - started) / 1000,
  };
}

/** A divergence in words: where, the sequence's instructions, the fields with both values, and the culprit. */
export function describeDivergence(d: FoundDivergence): string {
  const out = [
    `${d.category} program seed ${d.programSeed}, sequence ${d.sequence}: ${d.kind === 'state' ? 'state differs' : d.kind === 'exit' ? 'exit status differs' : 'output differs'}`,
  ];
  if (d.detail) out.push(`  ${d.detail}`);
  if (d.lines.length) out.push('  sequence:', ...d.lines.map((l) => `    ${l}`));
  if (d.fields.length) out.push('  differs (clonecloud / qemu-arm):', ...d.fields.map((f) => `    ${f.field}: ${f.ours} / ${f.reference}`));
  const c = d.culprit;
  if (c) {
    out.push(`  first divergent instruction (unit ${c.position} of the sequence)${c.reproduced ? ', reproduced alone' : ', not reproduced alone'}:`);
    out.push(...c.lines.map((l) => `    ${l}`));
    out.push(
      '  inputs: ' +
        Object.entries(c.inputs)
          .map(([k, v]) => `${k}=${v}`)
          .join(' '),
    );
    if (c.detail) out.push(`  after it: ${c.detail}`);
    if (c.fields.length) out.push('  after it (clonecloud / qemu-arm):', ...c.fields.map((f) => `    ${f.field}: ${f.ours} / ${f.reference}`));
  }
  return out.join('\n');
}

/** The summary in words: totals, per category, and every divergence. */
export function describeSummary(s: CampaignSummary): string {
  const lines = [`random-instruction difftest, seed ${s.seed}: ${s.sequences} sequences, ${s.instructions} random instructions in ${s.seconds.toFixed(1)} s`];
  for (const [cat, c] of Object.entries(s.perCategory))
    lines.push(`  ${cat.padEnd(6)} ${c.programs} programs, ${c.sequences} sequences, ${c.instructions} random instructions`);
  lines.push(s.divergences.length ? `${s.divergences.length} divergence(s) from qemu-arm:` : 'no divergence from qemu-arm');
  for (const d of s.divergences) lines.push(describeDivergence(d));
  return lines.join('\n');
}
