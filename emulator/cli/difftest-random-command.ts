/** `clonecloud difftest-random`: random ARM, Thumb-2, VFP and NEON sequences compared with qemu-arm. */
import { CampaignOptions, describeSummary, runRandomDifftest } from '../difftest/campaign';
import { CATEGORIES, Category } from '../difftest/random-insns';
import { UsageError } from '../errors';
import { parseCount } from './counts';

/** Options of the command, as commander parses them. */
export interface RandomDifftestOptions {
  seed?: string;
  sequences?: string;
  categories?: string;
  length?: string;
  perProgram?: string;
  maxDivergences?: string;
  json?: boolean;
}

function count(text: string | undefined, what: string, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const v = Number(parseCount(text, what));
  if (!Number.isSafeInteger(v) || v < min) throw new UsageError(`${what} needs a whole number of at least ${min}, not '${text}'`);
  return v;
}

function categories(raw: string | undefined): Category[] {
  if (raw === undefined) return [...CATEGORIES];
  const list = raw.split(',');
  const bad = list.filter((c) => !CATEGORIES.includes(c as Category));
  if (bad.length) throw new UsageError(`--categories takes a comma-separated list of ${CATEGORIES.join(', ')}; '${bad.join(',')}' is not one`);
  return list as Category[];
}

/** Run the campaign; exit code 1 when a divergence was found. */
export function randomDifftestCommand(opts: RandomDifftestOptions): number {
  let lastReport = 0;
  const campaign: CampaignOptions = {
    seed: count(opts.seed, '--seed', 1, 0),
    sequences: count(opts.sequences, '--sequences', 10_000),
    categories: categories(opts.categories),
    length: count(opts.length, '--length', 20),
    perProgram: count(opts.perProgram, '--per-program', 250),
    maxDivergences: count(opts.maxDivergences, '--max-divergences', 1),
    progress: (p) => {
      // About one line a second is enough to see it move.
      if (opts.json || (Date.now() - lastReport < 1000 && p.sequencesDone < p.sequencesTotal)) return;
      lastReport = Date.now();
      process.stderr.write(`difftest-random: ${p.category}: ${p.sequencesDone}/${p.sequencesTotal} sequences, ${p.divergences} divergence(s)\n`);
    },
  };
  const summary = runRandomDifftest(campaign);
  process.stdout.write(opts.json ? JSON.stringify(summary, null, 2) + '\n' : describeSummary(summary) + '\n');
  return summary.divergences.length ? 1 : 0;
}
