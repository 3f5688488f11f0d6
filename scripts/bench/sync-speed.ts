/**
 * Sync benchmark: the phone's Replicator keeping a clone current, with the clone server a process
 * of its own over loopback TCP (real bytes through a real server). Two parts, one run:
 *
 * 1. The checkpoint bench's memtouch guest (N MiB filled, then 0.1 %, 1 % and 10 % of its pages
 *    rewritten, a marker after each step): an on-demand Replicator is asked to sync at every
 *    marker and the guest waits there for the clone's Ack, so each sync is measured alone. A
 *    second phone booting the same image then makes its first sync against the same clone, which
 *    already holds those pages. The byte counts are priced afterwards on each link with a fresh
 *    LinkMeter per figure (one transfer of two round trips, then its whole tail), so every figure
 *    stands alone, tail included once.
 * 2. The sync policies on one phone timeline (a day compressed into the run of images/compute),
 *    each through `clonecloud boot --clone --json` against a fresh clone: the run's `clone` object.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { connectClone } from '../../emulator/link/clone-client';
import { Machine } from '../../emulator/machine/machine';
import { PAGE_SIZE } from '../../emulator/memory/address-space';
import { LinkMeter } from '../../emulator/model/link-meter';
import { findLink } from '../../emulator/model/links';
import { Replicator, ReplicationTotals, SyncReport } from '../../emulator/runtime/replicator';
import { onDemandPolicy } from '../../emulator/runtime/sync-policy';
import { BIN, CloneProcess, startClone } from '../../spec/support/clone-process';
import { boot, collect, Guest, sample, Sample, toMarker } from './checkpoint-speed';

/** The target for the guest's stop when 1 % of its memory is dirty and the increment goes to the clone. */
const SYNC_TARGET_MS = 10;

/** Dirty shares of the increments, in percent of the mapping (memtouch's phases). */
const PHASES = ['0.1', '1', '10'];
/** The links every sync is priced on. */
const LINKS = ['wifi-2009', '3g-2009'];
/** Round trips per sync: which pages the clone holds, then the increment and its Ack (as the Replicator prices it). */
const ROUND_TRIPS = 2;
const TOKEN = 'sync-bench-token-0123456789abcdef';

/** A sync's cost on one link, priced alone with its whole tail. */
export interface LinkPrice {
  link: string;
  transferSeconds: number;
  radioJoules: number;
}

/** One kind of sync, across runs. */
export interface SyncRow {
  label: string;
  /** Pages the capture found changed (and not known to be on the clone), and their bytes. */
  pagesCaptured: number;
  capturedBytes: number;
  /** Pages the clone lacked and that were sent. */
  pagesSent: number;
  /** Bytes on the wire, frames included (medians over runs). */
  bytesUp: number;
  bytesDown: number;
  /** bytesUp / capturedBytes. */
  wireRatio: number;
  /** Host ms the guest was stopped for the capture (the Replicator's figure). */
  stoppedMs: Sample;
  /** Of those, the Checkpointer's capture alone; the rest is the Replicator rebuilding the full page table. */
  captureMs: Sample;
  /** Host ms from the sync point until the clone's Ack arrived. */
  ackMs: Sample;
  prices: LinkPrice[];
}

/** One policy's run on the timeline. */
export interface PolicyRow {
  label: string;
  args: string[];
  modelledSeconds: number;
  clone: ReplicationTotals;
  /** Summed over the run's sync lines: pages the captures found changed, and pages sent. */
  pagesCaptured: number;
  pagesSent: number;
}

/** Result of the sync benchmark. */
export interface SyncSpeedResult {
  elf: string;
  args: string[];
  runs: number;
  rows: SyncRow[];
  targetMs: number;
  /** The 1 % increment's median stop against the target. */
  targetMet: boolean;
  policies: {
    workload: string[];
    timeline: { until?: number; link: string | null; charging: boolean }[];
    rows: PolicyRow[];
  };
}

/** What one sync measured. */
interface SyncSample {
  report: SyncReport;
  ackMs: number;
}

/** Waits on the Replicator's callbacks for the sync in flight. */
class AckWaiter {
  private pending: { resolve: (r: SyncReport) => void; reject: (e: Error) => void } | undefined;

  onSync = (r: SyncReport): void => {
    this.pending?.resolve(r);
    this.pending = undefined;
  };

  onWarning = (m: string): void => {
    this.pending?.reject(new Error(`sync bench: ${m}`));
    this.pending = undefined;
  };

  /** Ask for a sync at this point and wait for its Ack. */
  async sync(rep: Replicator): Promise<SyncSample> {
    const acked = new Promise<SyncReport>((resolve, reject) => (this.pending = { resolve, reject }));
    const t0 = process.hrtime.bigint();
    rep.request();
    void rep.atPoint();
    const report = await acked;
    return { report, ackMs: Number(process.hrtime.bigint() - t0) / 1e6 };
  }
}

/** A machine with a Replicator syncing on demand to the clone at `port` as `phone`. */
function replicated(m: Machine, port: number, phone: string, waiter: AckWaiter): Replicator {
  const token = Buffer.from(TOKEN);
  return new Replicator(m, {
    connect: () => connectClone({ host: '127.0.0.1', port, token, phone }),
    policy: onDemandPolicy(LINKS[0]),
    link: findLink,
    onSync: waiter.onSync,
    onWarning: waiter.onWarning,
  });
}

/** Start a clone server over a fresh store; `fn` gets it and its token file; server and store go afterwards. */
async function withClone<T>(fn: (clone: CloneProcess, tokenFile: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clonecloud-sync-bench-'));
  const tokenFile = path.join(dir, 'token');
  const clone = await startClone(path.join(dir, 'store'), tokenFile, TOKEN);
  try {
    return await fn(clone, tokenFile);
  } finally {
    const code = await clone.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    if (code !== 0) throw new Error(`clone serve exited with ${code}:\n${clone.output()}`);
  }
}

/** Phone A: a sync at every marker, then to the end; phone B (same image): its first sync only. */
async function trial(g: Guest, args: string[], run: number): Promise<SyncSample[]> {
  return withClone(async (clone) => {
    const samples: SyncSample[] = [];
    for (const [phone, markers] of [
      [`bench-a-${run}`, args.length],
      [`bench-b-${run}`, 1],
    ] as const) {
      const out: Buffer[] = [];
      const m = boot(g, args, out);
      try {
        const waiter = new AckWaiter();
        const rep = replicated(m, clone.port, phone, waiter);
        for (let i = 0; i < markers; i++) {
          toMarker(m);
          samples.push(await waiter.sync(rep));
        }
        if (markers === args.length) {
          const how = m.run();
          if (how !== 'exited' || m.kernel.exitState?.status !== 0) throw new Error(`memtouch did not exit cleanly (${how})`);
        }
        const totals = await rep.finish(m.clock.seconds());
        if (totals.failed) throw new Error(`${totals.failed} syncs failed`);
      } finally {
        m.close();
      }
      collect();
    }
    return samples;
  });
}

/** Price `up`/`down` bytes on `link` alone: one transfer, then its whole tail. */
export function priceAlone(link: string, up: number, down: number): LinkPrice {
  const meter = new LinkMeter(findLink(link));
  const cost = meter.transfer(0, up, down, ROUND_TRIPS);
  meter.finish(cost.seconds);
  return { link, transferSeconds: cost.seconds, radioJoules: meter.totals().joules };
}

function syncRow(label: string, xs: SyncSample[]): SyncRow {
  const med = (f: (r: SyncReport) => number) => sample(xs.map((x) => f(x.report))).median;
  const pagesCaptured = med((r) => r.pagesCaptured);
  const bytesUp = med((r) => r.bytesUp);
  const bytesDown = med((r) => r.bytesDown);
  return {
    label,
    pagesCaptured,
    capturedBytes: pagesCaptured * PAGE_SIZE,
    pagesSent: med((r) => r.pagesSent),
    bytesUp,
    bytesDown,
    wireRatio: bytesUp / (pagesCaptured * PAGE_SIZE),
    stoppedMs: sample(xs.map((x) => x.report.stoppedMs)),
    captureMs: sample(xs.map((x) => x.report.captureMs)),
    ackMs: sample(xs.map((x) => x.ackMs)),
    prices: LINKS.map((l) => priceAlone(l, bytesUp, bytesDown)),
  };
}

/** The compressed day: modelled seconds of a compute run of the default size (about 0.48 s a round). */
const TIMELINE = [
  { until: 2, link: 'wifi-2009', charging: false },
  { until: 3.5, link: null, charging: false },
  { until: 6, link: '3g-2009', charging: false },
  { link: 'wifi-2009', charging: true },
];
const POLICY_EVERY = '1s';
const STALENESS = '2s';

/** One `boot --clone --json` run against a fresh clone; its summary's modelled time and clone totals. */
async function policyRun(root: string, label: string, args: string[]): Promise<PolicyRow> {
  return withClone((clone, tokenFile) => {
    const r = spawnSync(process.execPath, [BIN, ...args, '--clone', `127.0.0.1:${clone.port}`, '--token-file', tokenFile, '--json'], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 64 * 2 ** 20,
    });
    if (r.status !== 0) throw new Error(`clonecloud ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
    if (/sync .* failed|clone .* (refused|unreachable)/.test(r.stderr)) throw new Error(`clonecloud ${args.join(' ')}: a sync failed:\n${r.stderr}`);
    // The guest's output is on stdout; the sync lines and the --json summary (last) on stderr.
    const lines = r.stderr.trim().split('\n');
    const summary = JSON.parse(lines[lines.length - 1]) as { modelledSeconds: number; clone: ReplicationTotals };
    let pagesCaptured = 0;
    let pagesSent = 0;
    for (const m of r.stderr.matchAll(/: (\d+) of (\d+) changed pages sent/g)) {
      pagesSent += Number(m[1]);
      pagesCaptured += Number(m[2]);
    }
    return Promise.resolve({ label, args, modelledSeconds: summary.modelledSeconds, clone: summary.clone, pagesCaptured, pagesSent });
  });
}

async function comparePolicies(root: string, rounds: number, progress: (msg: string) => void): Promise<SyncSpeedResult['policies']> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clonecloud-sync-timeline-'));
  const timelineFile = path.join(dir, 'day.json');
  const doc = { version: 1, description: 'a day compressed into the run: Wi-Fi, no link, 3G, then Wi-Fi while charging', spans: TIMELINE };
  fs.writeFileSync(timelineFile, JSON.stringify(doc));
  const workload = ['boot', 'images/compute', String(rounds)];
  const policies: [string, string[]][] = [
    [`periodic every ${POLICY_EVERY}, 3G`, ['--link', '3g-2009', '--sync-policy', 'periodic', '--sync-every', POLICY_EVERY]],
    [`periodic every ${POLICY_EVERY}, Wi-Fi`, ['--link', 'wifi-2009', '--sync-policy', 'periodic', '--sync-every', POLICY_EVERY]],
    ['on-demand, no requests', ['--sync-policy', 'on-demand']],
    [
      `opportunistic (every ${POLICY_EVERY}, bound ${STALENESS})`,
      ['--sync-policy', 'opportunistic', '--phone-timeline', timelineFile, '--sync-every', POLICY_EVERY, '--staleness', STALENESS],
    ],
  ];
  try {
    const rows: PolicyRow[] = [];
    for (const [i, [label, flags]] of policies.entries()) {
      progress(`sync speed: policies, ${label} (${i + 1}/${policies.length})`);
      rows.push(await policyRun(root, label, [...workload, ...flags]));
    }
    return { workload: workload.slice(1), timeline: TIMELINE, rows };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Sync a `sizeMb` MiB memtouch guest `runs` times, then compare the policies on a compute run of `rounds`; hashing must be initialised. */
export async function syncSpeed(root: string, sizeMb: number, runs: number, rounds: number, progress: (msg: string) => void): Promise<SyncSpeedResult> {
  const elfPath = path.join(root, 'images', 'memtouch', 'build', 'memtouch');
  const g: Guest = { root, elfPath, elf: new Uint8Array(fs.readFileSync(elfPath)) };
  const args = [String(sizeMb), ...PHASES];
  const trials: SyncSample[][] = [];
  for (let i = 0; i < runs; i++) {
    progress(`sync speed: memtouch ${args.join(' ')}: run ${i + 1}/${runs}`);
    trials.push(await trial(g, args, i + 1));
  }
  const labels = [
    'first sync (every page new to the clone)',
    ...PHASES.map((p) => `increment, ${p} % of pages dirtied`),
    'first sync of a 2nd phone, same image',
  ];
  const rows = labels.map((label, i) =>
    syncRow(
      label,
      trials.map((t) => t[i]),
    ),
  );
  const policies = await comparePolicies(root, rounds, progress);
  progress('sync speed: done');
  const onePct = rows[1 + PHASES.indexOf('1')];
  return {
    elf: path.relative(root, elfPath),
    args,
    runs,
    rows,
    targetMs: SYNC_TARGET_MS,
    targetMet: onePct.stoppedMs.median <= SYNC_TARGET_MS,
    policies,
  };
}

const kib = (n: number): string => (n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);

function rowLines(r: SyncRow): string[] {
  const price = r.prices.map((p) => `${p.link} ${p.transferSeconds.toFixed(2)} s ${p.radioJoules.toFixed(2)} J`).join(', ');
  return [
    `  ${r.label}`,
    `    ${r.pagesCaptured} pages captured (${kib(r.capturedBytes)}), ${r.pagesSent} sent; on the wire ${kib(r.bytesUp)} up (${(r.wireRatio * 100).toFixed(1)} % of captured), ${kib(r.bytesDown)} down`,
    `    guest stopped ${r.stoppedMs.median.toFixed(1)} ms (capture ${r.captureMs.median.toFixed(1)} ms), Ack after ${r.ackMs.median.toFixed(0)} ms; modelled: ${price}`,
  ];
}

function policyLines(p: SyncSpeedResult['policies']): string[] {
  const spans = p.timeline
    .map((s) => `${s.link ?? 'no link'}${s.charging ? ' charging' : ''}${s.until !== undefined ? ` to ${s.until} s` : ' after'}`)
    .join(', ');
  const head = `Sync policies on one phone timeline: ${p.workload.join(' ')} (${p.rows[0].modelledSeconds.toFixed(2)} modelled s); timeline: ${spans}`;
  const cols = `  ${'policy'.padEnd(38)} ${'syncs'.padStart(5)} ${'captured'.padStart(10)} ${'bytes up'.padStart(10)} ${'radio J'.padStart(8)} ${'link s'.padStart(8)} ${'mean staleness'.padStart(15)}`;
  const rows = p.rows.map((r) => {
    const c = r.clone;
    const fails = c.failed ? ` (${c.failed} failed)` : '';
    return `  ${r.label.padEnd(38)} ${String(c.syncs).padStart(5)} ${kib(r.pagesCaptured * PAGE_SIZE).padStart(10)} ${kib(c.bytesUp).padStart(10)} ${c.radioJoules.toFixed(2).padStart(8)} ${c.transferSeconds.toFixed(2).padStart(8)} ${`${c.meanStalenessSeconds.toFixed(2)} s`.padStart(15)}${fails}`;
  });
  return [head, cols, ...rows];
}

/** The report printed by `npm run bench`. */
export function describeSyncSpeed(r: SyncSpeedResult): string {
  const onePct = r.rows[1 + PHASES.indexOf('1')];
  const verdict = r.targetMet
    ? `met (${onePct.stoppedMs.median.toFixed(1)} ms)`
    : `NOT met: ${onePct.stoppedMs.median.toFixed(1)} ms, ${(onePct.stoppedMs.median - r.targetMs).toFixed(1)} ms over`;
  return (
    [
      `Sync speed: ${r.elf} ${r.args.join(' ')} to a clone server process over loopback TCP, median of ${r.runs} runs, fresh clone each; each figure priced alone (tail included)`,
      ...r.rows.flatMap(rowLines),
      `  guest stopped at 1 % dirty, target <= ${r.targetMs} ms: ${verdict}`,
      ...policyLines(r.policies),
    ].join('\n') + '\n'
  );
}
