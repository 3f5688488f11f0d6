/** `clonecloud bench fsscan`: the paper's hardware-augmentation experiment, as a table, JSON and a chart. */
import * as fs from 'fs';
import * as path from 'path';
import { CloneCloudError, UsageError } from '../errors';
import { barChartSvg } from '../experiments/bar-chart';
import { advantageLadder, Configuration, defaultImageDir, PAPER, Runtime, RUNTIMES, runScan, ScanResult, withSpeedups } from '../experiments/fsscan-experiment';
import { findProfile } from '../model/profiles';
import { formatSeconds } from '../model/run-summary';
import { benchCores, BenchCoresOptions } from './bench-cores';
import { benchOffload, OffloadBenchCliOptions } from './bench-offload';
import { printJson, table } from './output';
import { instructionBar } from './progress-bar';

/** Options of `bench fsscan` (and, through OffloadBenchCliOptions, `bench offload`). */
export interface BenchOptions extends OffloadBenchCliOptions, BenchCoresOptions {
  entries?: string;
  runtime?: string;
  profiles?: string;
  phone?: string;
  clone?: string;
  profileFile?: string;
  out?: string;
  json?: boolean;
}

function configurations(opts: BenchOptions): Configuration[] {
  if (opts.profiles) {
    const ids = opts.profiles
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (!ids.length) throw new UsageError('--profiles: give at least one profile id');
    return ids.map((id) => {
      const p = findProfile(id, opts.profileFile);
      return { label: p.id, advantage: p.name, profile: p };
    });
  }
  return advantageLadder(findProfile(opts.phone ?? 'htc-g1', opts.profileFile), findProfile(opts.clone ?? 'clone-2009', opts.profileFile));
}

/** Run the experiment; prints a table (or JSON), writes results.json and chart.svg; returns the exit code. */
export async function benchCommand(name: string, opts: BenchOptions): Promise<number> {
  if (name === 'offload') return benchOffload(opts);
  if (name === 'cores') return benchCores(opts);
  if (name !== 'fsscan') throw new UsageError(`unknown benchmark "${name}"; available: fsscan, offload, cores`);
  const entries = Number(opts.entries ?? PAPER.entries);
  if (!Number.isInteger(entries) || entries < 1 || entries > 10_000_000) throw new UsageError('--entries: a whole number from 1 to 10000000');
  const runtime = (opts.runtime ?? 'c') as Runtime;
  if (!RUNTIMES.includes(runtime)) throw new UsageError(`--runtime: one of ${RUNTIMES.join(', ')}`);
  const configs = configurations(opts);
  const outDir = path.resolve(opts.out ?? path.join('bench-results', runtime === 'c' ? `fsscan-${entries}` : `fsscan-${runtime}-${entries}`));
  // A managed-runtime scan is shown beside the C scan, measured in the same run.
  const runtimes: Runtime[] = runtime === 'c' ? ['c'] : [runtime, 'c'];
  const ladders = [];
  for (const [i, r] of runtimes.entries())
    ladders.push({ runtime: r, results: await runLadder(r, configs, entries, runtimes.length > 1 ? `${i + 1}/${runtimes.length} ${r}` : undefined) });
  const results = ladders[0].results;
  const summaries = new Set(ladders.flatMap((l) => l.results.map((r) => r.summary)));
  if (summaries.size !== 1) throw new CloneCloudError(`the scan printed different summaries on different rows: ${[...summaries].join(' | ')}`);
  const report = { benchmark: 'fsscan', entries, runtime, paper: PAPER, results, ...(ladders.length > 1 ? { c: ladders[1].results } : {}) };
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'results.json'), JSON.stringify(report, null, 2) + '\n');
  // Speedups, not seconds: the paper's Dalvik times and these modelled native times differ by orders
  // of magnitude, while the ratios are what the experiment is about.
  const bars = [
    ...ladders.flatMap((l) =>
      l.results.map((r) => ({ label: `${r.label}`, value: r.speedup, series: `clonecloud, ${l.runtime === 'c' ? 'C scan' : `${l.runtime} scan`} (modelled)` })),
    ),
    { label: 'paper: clone vs HTC G1', value: PAPER.speedup, series: `paper (${PAPER.entries.toLocaleString('en-US')} entries, measured)` },
  ];
  const svg = await barChartSvg(`File scan of ${entries.toLocaleString('en-US')} entries: speedup over the phone`, 'speedup (x)', bars);
  fs.writeFileSync(path.join(outDir, 'chart.svg'), svg);
  if (opts.json) printJson({ ...report, files: { results: path.join(outDir, 'results.json'), chart: path.join(outDir, 'chart.svg') } });
  else process.stdout.write(formatTable(ladders, entries, outDir));
  return 0;
}

/** Run the scan of `runtime` on every configuration, with a progress bar (or lines) on stderr. */
async function runLadder(runtime: Runtime, configs: Configuration[], entries: number, stage?: string): Promise<ScanResult[]> {
  const bar = await instructionBar();
  const rows = [];
  for (const [i, c] of configs.entries()) {
    const label = `${stage ? `${stage}: ` : ''}[${i + 1}/${configs.length}] ${c.label}`;
    if (bar) bar.start(2000, 0, { label });
    else process.stderr.write(`clonecloud: ${label}: scanning ${entries.toLocaleString('en-US')} entries\n`);
    rows.push(
      runScan(c, {
        imageDir: defaultImageDir(runtime),
        entries,
        progress: (n) => {
          if (!bar) return;
          // The total is unknown in advance: keep the bar ahead of the count.
          const m = Number(n / 1_000_000n);
          if (m >= bar.getTotal()) bar.setTotal(m * 2);
          bar.update(m, { label });
        },
      }),
    );
    bar?.stop();
  }
  return withSpeedups(rows);
}

/** The human table: each runtime's ladder, with the paper's figures beside the measured ones. */
export function formatTable(ladders: { runtime: Runtime; results: ScanResult[] }[], entries: number, outDir: string): string {
  const results = ladders[0].results;
  const rows = ladders.flatMap((l) => l.results.map((r) => [l.runtime === 'c' ? 'C' : l.runtime === 'lua' ? 'Lua' : l.runtime, ...formatRow(r)]));
  const paper = entries === PAPER.entries;
  rows.push(['Dalvik', 'paper: HTC G1', 'Dalvik on the phone', paper ? `${PAPER.phoneSeconds} s` : '-', '1.0x', '-', '-', '16 MB', '-', '-']);
  rows.push([
    'Dalvik',
    'paper: clone',
    'Dalvik in a 2.83 GHz, 4 GB QEMU clone',
    paper ? `${PAPER.cloneSeconds} s` : '-',
    `${PAPER.speedup}x`,
    '-',
    '-',
    '-',
    '-',
    '-',
  ]);
  return (
    `File scan of ${entries.toLocaleString('en-US')} entries (summary identical on every row: ${results[0].summary})\n` +
    table(['runtime', 'configuration', 'adds', 'modelled time', 'speedup', 'GCs', 'GC share', 'heap', 'host time', 'MIPS'], rows) +
    (paper ? '' : `(the paper's figures are for ${PAPER.entries.toLocaleString('en-US')} entries)\n`) +
    `results: ${path.join(outDir, 'results.json')}\nchart:   ${path.join(outDir, 'chart.svg')}\n`
  );
}

function formatRow(r: ScanResult): string[] {
  return [
    r.label,
    r.advantage,
    formatSeconds(r.modelledSeconds),
    `${r.speedup.toFixed(1)}x`,
    String(r.collections),
    `${(r.gcShare * 100).toFixed(1)}%`,
    `${Math.round(r.heapLimit / 2 ** 20)} MB`,
    formatSeconds(r.hostSeconds),
    r.mips.toFixed(0),
  ];
}
