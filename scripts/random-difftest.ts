/**
 * `npm run difftest:random`: the random-instruction differential test against qemu-arm, at
 * length. Options: --seed N (default 1), --sequences N (default 100000, shared by the
 * categories), --categories arm,thumb,vfp,neon, --length N (instructions per sequence, default
 * 20), --per-program N (sequences per program, default 250), --max-divergences N (stop after so
 * many, default 1), --json. Progress goes to stderr; exit code 1 when a divergence was found.
 */
import { CampaignOptions, describeSummary, runRandomDifftest } from '../emulator/difftest/campaign';
import { CATEGORIES, Category } from '../emulator/difftest/random-insns';

function fail(message: string): never {
  process.stderr.write(`difftest:random: ${message}\n`);
  process.exit(2);
}

/** The value of the last `--name` on the command line (later ones win, so npm defaults can be overridden). */
function value(name: string): string | undefined {
  const i = process.argv.lastIndexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

function count(name: string, fallback: number, min = 1): number {
  const raw = value(name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isSafeInteger(v) || v < min) fail(`${name} needs a whole number of at least ${min}, not '${raw}'`);
  return v;
}

function categories(): Category[] {
  const raw = value('--categories');
  if (raw === undefined) return [...CATEGORIES];
  const list = raw.split(',');
  const bad = list.filter((c) => !CATEGORIES.includes(c as Category));
  if (bad.length || list.length === 0) fail(`--categories takes a comma-separated list of ${CATEGORIES.join(', ')}; '${bad.join(',')}' is not one`);
  return list as Category[];
}

function main(): void {
  const json = process.argv.includes('--json');
  let lastReport = 0;
  const opts: CampaignOptions = {
    seed: count('--seed', 1, 0),
    sequences: count('--sequences', 100_000),
    categories: categories(),
    length: count('--length', 20),
    perProgram: count('--per-program', 250),
    maxDivergences: count('--max-divergences', 1),
    progress: (p) => {
      // About one line a second is enough to see it move.
      if (Date.now() - lastReport < 1000 && p.sequencesDone < p.sequencesTotal) return;
      lastReport = Date.now();
      process.stderr.write(`${p.category}: ${p.sequencesDone}/${p.sequencesTotal} sequences, ${p.divergences} divergence(s)\n`);
    },
  };
  const summary = runRandomDifftest(opts);
  process.stdout.write(json ? JSON.stringify(summary) + '\n' : describeSummary(summary) + '\n');
  process.exit(summary.divergences.length ? 1 : 0);
}

try {
  main();
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
