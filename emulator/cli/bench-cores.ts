/** `clonecloud bench cores`: the parallel image's modelled time on 1, 2, 4, 8 and 16 cores. */
import * as fs from 'fs';
import * as path from 'path';
import { CloneCloudError, UsageError } from '../errors';
import { barChartSvg } from '../experiments/bar-chart';
import { DEFAULT_CORE_COUNTS, parallelImageDir, runOnCores, withScaling } from '../experiments/cores-experiment';
import { findProfile } from '../model/profiles';
import { formatSeconds } from '../model/run-summary';
import { printJson, table } from './output';
import { instructionBar } from './progress-bar';

/** Options of `bench cores`. */
export interface BenchCoresOptions {
  cores?: string;
  coresProfile?: string;
  profileFile?: string;
  out?: string;
  json?: boolean;
}

/** The core counts asked for: whole numbers from 1 to 1024, ascending, the first one the base. */
function coreCounts(spec: string | undefined): number[] {
  if (spec === undefined) return DEFAULT_CORE_COUNTS;
  const counts = spec.split(',').map((s) => Number(s.trim()));
  if (!counts.length || counts.some((n) => !Number.isInteger(n) || n < 1 || n > 1024))
    throw new UsageError('--cores: core counts as whole numbers from 1 to 1024, e.g. 1,2,4,8,16');
  return [...new Set(counts)].sort((a, b) => a - b);
}

/** Run the cores bench; prints a table (or JSON), writes results.json and chart.svg; returns the exit code. */
export async function benchCores(opts: BenchCoresOptions): Promise<number> {
  const counts = coreCounts(opts.cores);
  const profile = findProfile(opts.coresProfile ?? 'dell-t7400', opts.profileFile);
  const outDir = path.resolve(opts.out ?? path.join('bench-results', 'cores'));
  const bar = await instructionBar();
  const rows = [];
  for (const [i, cores] of counts.entries()) {
    const label = `[${i + 1}/${counts.length}] ${cores} core${cores === 1 ? '' : 's'}`;
    if (bar) bar.start(400, 0, { label });
    else process.stderr.write(`clonecloud: ${label}: running the parallel image\n`);
    rows.push(
      runOnCores(profile, cores, parallelImageDir(), (n) => {
        if (!bar) return;
        const m = Number(n / 1_000_000n);
        if (m >= bar.getTotal()) bar.setTotal(m * 2);
        bar.update(m, { label });
      }),
    );
    bar?.stop();
  }
  const results = withScaling(rows);
  if (new Set(results.map((r) => r.outputHash)).size !== 1) {
    throw new CloneCloudError(
      `the parallel image printed different results on different core counts: ${results.map((r) => `${r.cores}: ${r.output.trim()}`).join(' | ')}`,
    );
  }
  const report = { benchmark: 'cores', profile: profile.id, results: results.map(({ output: _o, ...r }) => r) };
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'results.json'), JSON.stringify(report, null, 2) + '\n');
  const svg = await barChartSvg(
    `Parallel file scan on ${profile.name}: speedup over one core`,
    'speedup (x)',
    results.map((r) => ({ label: `${r.cores}`, value: r.speedup, series: 'modelled' })),
  );
  fs.writeFileSync(path.join(outDir, 'chart.svg'), svg);
  if (opts.json) {
    printJson(report);
    return 0;
  }
  process.stdout.write(
    table(
      ['cores', 'threads', 'modelled time', 'speedup', 'efficiency', 'energy', 'instructions', 'host time'],
      results.map((r) => [
        String(r.cores),
        String(r.threads),
        formatSeconds(r.modelledSeconds),
        `${r.speedup.toFixed(2)}x`,
        `${(r.efficiency * 100).toFixed(0)} %`,
        `${r.energyJoules.toFixed(3)} J`,
        r.instructions.toLocaleString('en-US'),
        `${r.hostSeconds.toFixed(2)} s`,
      ]),
    ),
  );
  process.stdout.write(`\nprofile ${profile.id} with its core count varied; every run printed: ${results[0].output.trim().split('\n').join(' / ')}\n`);
  process.stdout.write(`results and chart in ${outDir}\n`);
  return 0;
}
