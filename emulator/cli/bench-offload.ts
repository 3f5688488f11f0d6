/** `clonecloud bench offload`: CloneCloud's evaluation table, as a table, JSON and charts. */
import * as fs from 'fs';
import * as path from 'path';
import { Bar, barChartSvg } from '../experiments/bar-chart';
import {
  checkLinks,
  Cost,
  DEFAULT_OFFLOAD_CLONE,
  DEFAULT_OFFLOAD_LINKS,
  OFFLOAD_APPS,
  OFFLOAD_SIZES,
  OffloadApp,
  OffloadReport,
  parseList,
  PUBLISHED,
  runOffloadBench,
} from '../experiments/offload-experiment';
import { findProfile } from '../model/profiles';
import { printJson, table } from './output';
import { parseObjective } from './partition-plan';

/** Options of `bench offload`. */
export interface OffloadBenchCliOptions {
  apps?: string;
  sizes?: string;
  links?: string;
  clone?: string;
  objective?: string;
  out?: string;
  json?: boolean;
}

/** Run the benchmark; prints a table (or JSON), writes results.json, chart.svg and energy.svg; 1 when an offloaded run's output differed. */
export async function benchOffload(opts: OffloadBenchCliOptions): Promise<number> {
  const named = parseList<OffloadApp | 'fsscan'>(
    opts.apps,
    [...Object.keys(OFFLOAD_APPS), 'fsscan'],
    [...(Object.keys(OFFLOAD_APPS) as OffloadApp[]), 'fsscan'],
    '--apps',
  );
  // fsscan is the paper's migration experiment: one run of 100,000 entries on the first link.
  const fsscan = named.includes('fsscan');
  const apps = named.filter((a): a is OffloadApp => a !== 'fsscan');
  const sizes = parseList(opts.sizes, OFFLOAD_SIZES, OFFLOAD_SIZES, '--sizes');
  const links = parseList(opts.links, undefined, DEFAULT_OFFLOAD_LINKS, '--links');
  checkLinks(links);
  const clone = findProfile(opts.clone ?? DEFAULT_OFFLOAD_CLONE).id;
  const objective = parseObjective(opts.objective);
  const outDir = path.resolve(opts.out ?? path.join('bench-results', 'offload'));
  const report = await runOffloadBench({ apps, sizes, links, clone, objective, fsscan, progress: (line) => process.stderr.write(`clonecloud: ${line}\n`) });
  fs.mkdirSync(outDir, { recursive: true });
  const files = { results: path.join(outDir, 'results.json'), chart: path.join(outDir, 'chart.svg'), energy: path.join(outDir, 'energy.svg') };
  fs.writeFileSync(files.results, JSON.stringify(report, null, 2) + '\n');
  fs.writeFileSync(
    files.chart,
    await barChartSvg('Offloading with CloneCloud: speedup over the phone alone', 'phone-only time / time (x)', ratioBars(report, 'seconds')),
  );
  fs.writeFileSync(
    files.energy,
    await barChartSvg('Offloading with CloneCloud: phone energy saved', 'phone-only energy / energy (x)', ratioBars(report, 'joules')),
  );
  if (opts.json) printJson({ ...report, files });
  else process.stdout.write(formatOffloadTable(report) + `results: ${files.results}\ncharts:  ${files.chart}, ${files.energy}\n`);
  for (const e of report.errors) process.stderr.write(`clonecloud: error: ${e}\n`);
  return report.errors.length ? 1 : 0;
}

/** One bar per app, size and link: the phone-only figure over the measured one; the paper's headline beside. */
function ratioBars(r: OffloadReport, what: keyof Cost): Bar[] {
  const bars: Bar[] = r.rows.flatMap((row) =>
    row.links.map((l) => ({ label: `${row.app} ${row.size} · ${l.link}`, value: row.phoneOnly[what] / l.measured[what], series: `${l.link} (modelled)` })),
  );
  const paper = what === 'seconds' ? PUBLISHED.headline.speedup : PUBLISHED.headline.energySaving;
  bars.push({ label: 'paper: best case (EuroSys 2011 abstract)', value: paper, series: 'paper (measured, best case)' });
  return bars;
}

const cost = (c: Cost) => `${c.seconds.toFixed(3)} s ${c.joules.toFixed(3)} J`;
const kib = (n: number) => (n ? `${(n / 1024).toFixed(0)}/` : '0/');

/** The human table: the phone alone, then per link the decision, prediction, measurement and bytes; the paper's figures below. */
export function formatOffloadTable(r: OffloadReport): string {
  const linkIds = r.rows[0]?.links.map((l) => l.link) ?? [];
  const header = ['app', 'size', 'phone only', ...linkIds.flatMap((l) => [`${l}: decision`, 'predicted', 'measured', 'KiB up/down'])];
  const rows = r.rows.map((row) => [
    row.app,
    row.size,
    cost(row.phoneOnly),
    ...row.links.flatMap((l) => [
      l.chosen.length ? `offload ${l.chosen.join(', ')}` : 'local',
      cost(l.predicted),
      cost(l.measured) + (l.sameOutput ? '' : ' OUTPUT DIFFERS'),
      `${kib(l.bytesUp)}${(l.bytesDown / 1024).toFixed(0)}`,
    ]),
  ]);
  return (
    `Offload benchmark: ${r.phone} with a ${r.clone} clone, --offload auto minimising ${r.objective}; each offloaded run against a clone holding nothing yet\n` +
    table(header, rows) +
    `paper (${PUBLISHED.paper}): up to ${PUBLISHED.headline.speedup}x faster and ${PUBLISHED.headline.energySaving}x less phone energy (abstract); up to ${PUBLISHED.preprint.speedup}x (arXiv:1009.3088 abstract)\n` +
    `paper, per app and size: not available here (${PUBLISHED.perAppNote})\n` +
    (r.fsscan ? fsscanLines(r.fsscan) : '')
  );
}

/** The file scan migrated at scan_tree beside the paper's measurement. */
function fsscanLines(f: NonNullable<OffloadReport['fsscan']>): string {
  const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  return (
    `file scan, ${f.entries.toLocaleString('en-US')} entries, migrated at scan_tree over ${f.link}: phone alone ${cost(f.phoneOnly)}; migrated ${cost(f.migrated)} ` +
    `(waited ${f.migrated.waitSeconds.toFixed(3)} s, ${mib(f.migrated.bytesUp)} up, ${mib(f.migrated.bytesDown)} down; ${f.migrated.outcome})${f.migrated.sameOutput ? '' : ' OUTPUT DIFFERS'}\n` +
    `paper (${f.paper.source}): ${f.paper.phoneSeconds} s on the phone, ${f.paper.migratedSeconds} s migrated\n`
  );
}
