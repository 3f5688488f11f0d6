/**
 * CloneCloud's evaluation (EuroSys 2011) on the three offload sample applications: each app and
 * input size runs on the phone alone, then once per link with `--offload auto` against a clone that
 * holds nothing of the phone yet (a fresh store each time), so every byte the first sync sends is
 * counted. Each run is a `clonecloud boot` process of its own; the clone server runs here.
 */
import { spawn } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CloneServer } from '../clone/server';
import { CloneCloudError, UsageError } from '../errors';
import { findLink } from '../model/links';
import { findProfile } from '../model/profiles';
import { PAPER } from './fsscan-experiment';

/** The sample applications and the function each keeps its heavy work in. */
export const OFFLOAD_APPS = { virusscan: 'scan_tree', imagesearch: 'search_gallery', behavior: 'profile_log' } as const;

/** One of the sample applications. */
export type OffloadApp = keyof typeof OFFLOAD_APPS;

/** The input sizes every sample application takes as its first argument. */
export const OFFLOAD_SIZES = ['small', 'medium', 'large'] as const;

/** The links of the paper's evaluation. */
export const DEFAULT_OFFLOAD_LINKS = ['wifi-2009', '3g-2009'];

/** The clone of the paper's evaluation. */
export const DEFAULT_OFFLOAD_CLONE = 'dell-t7400';

/**
 * What CloneCloud published, as far as it could be read here: the abstracts' headline figures.
 * The per-application, per-size times and energies of the paper's evaluation figure were not
 * found in any source available to this project, so none are given (no figure is made up).
 */
export const PUBLISHED = {
  paper: 'B.-G. Chun, S. Ihm, P. Maniatis, M. Naik, A. Patti. CloneCloud: Elastic Execution between Mobile Device and Cloud. EuroSys 2011',
  headline: {
    speedup: 20,
    energySaving: 20,
    source:
      'EuroSys 2011 abstract (solar.cs.ucl.ac.uk/appoptimization.github.io/publications/CIM2011): "as much as a 20x execution speed-up and a 20-fold decrease of energy spent on the mobile device"',
  },
  preprint: {
    speedup: 21.2,
    source: 'arXiv:1009.3088 abstract (CloneCloud: Boosting Mobile Device Applications Through Cloud Clone Execution): "up to 21.2x speedup"',
  },
  perApp: null,
  perAppNote:
    "the paper's per-application times and energies (phone alone, Wi-Fi and 3G, three input sizes each) were not found in any source available here; only the abstracts' headline figures are shown",
} as const;

/** Time and phone energy of one run, or of a prediction. */
export interface Cost {
  seconds: number;
  joules: number;
}

/** The phone-only run of one app and size. */
export interface PhoneOnlyRun extends Cost {
  profile: string;
  instructions: number;
  hostSeconds: number;
}

/** The `--offload auto` run of one app and size over one link. */
export interface LinkRun {
  link: string;
  /** Functions the partitioner chose; empty when everything stayed on the phone. */
  chosen: string[];
  /** Calls that ran on the clone. */
  offloaded: number;
  predicted: Cost;
  measured: Cost;
  bytesUp: number;
  bytesDown: number;
  /** Clone compute, the phone's wait for it, and the radio's share of the energy. */
  cloneSeconds: number;
  waitSeconds: number;
  radioJoules: number;
  instructions: number;
  hostSeconds: number;
  /** Whether stdout was byte-identical to the phone-only run's. */
  sameOutput: boolean;
}

/** One app and size: the phone alone and each link. */
export interface OffloadRow {
  app: OffloadApp;
  size: string;
  function: string;
  phoneOnly: PhoneOnlyRun;
  links: LinkRun[];
}

/** What the benchmark writes to results.json. */
export interface OffloadReport {
  benchmark: 'offload';
  phone: string;
  clone: string;
  objective: string;
  published: typeof PUBLISHED;
  rows: OffloadRow[];
  /** The file scan migrated at scan_tree, beside the paper's one measurement (absent when not asked for). */
  fsscan?: FsscanMigration;
  /** Offloaded runs whose output differs from the phone-only run: each one is a failure. */
  errors: string[];
}

/** The paper's file scan (HotOS 2009): phone alone against migrated, and ours. */
export interface FsscanMigration {
  entries: number;
  link: string;
  phoneOnly: Cost;
  /** The run with `--offload scan_tree`: its time and energy, what became of the call, and the bytes each way. */
  migrated: Cost & { outcome: string; waitSeconds: number; bytesUp: number; bytesDown: number; sameOutput: boolean };
  paper: { phoneSeconds: number; migratedSeconds: number; source: string };
}

/** What to run. */
export interface OffloadBenchOptions {
  apps: OffloadApp[];
  sizes: string[];
  links: string[];
  clone: string;
  objective: 'time' | 'energy';
  /** Also migrate the file scan at scan_tree over the first link (the paper's experiment). */
  fsscan?: boolean;
  /** One line before each run. */
  progress?: (line: string) => void;
}

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Parse a comma-separated list against the values allowed (any when `allowed` is undefined); no text: all of `defaults`. */
export function parseList<T extends string>(text: string | undefined, allowed: readonly string[] | undefined, defaults: readonly T[], option: string): T[] {
  if (text === undefined) return [...defaults];
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!items.length) throw new UsageError(`${option}: give at least one, comma-separated`);
  if (allowed) for (const i of items) if (!allowed.includes(i)) throw new UsageError(`${option}: unknown "${i}"; use ${allowed.join(', ')}`);
  return items as T[];
}

/** Check the links named exist (UsageError otherwise, from the link table). */
export function checkLinks(links: string[]): void {
  for (const l of links) findLink(l);
}

interface Boot {
  stdout: Buffer;
  stderr: string;
  summary: Record<string, unknown>;
}

/** One `clonecloud boot … --json` process; its stdout and the summary on its last stderr line. */
async function boot(args: string[]): Promise<Boot> {
  const proc = spawn(process.execPath, ['--expose-gc', path.join(ROOT, 'bin', 'clonecloud'), 'boot', ...args, '--json'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  proc.stdout.on('data', (b: Buffer) => out.push(b));
  proc.stderr.on('data', (b: Buffer) => err.push(b));
  const code = await new Promise<number | null>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (c) => resolve(c));
  });
  const stderr = Buffer.concat(err).toString();
  const last = stderr.trimEnd().split('\n').pop() ?? '';
  let summary: Record<string, unknown>;
  try {
    summary = JSON.parse(last) as Record<string, unknown>;
  } catch {
    throw new CloneCloudError(`clonecloud boot ${args.join(' ')} exited with ${code} and no summary: ${last}`);
  }
  if (code !== 0 || summary.exitStatus !== 0) {
    throw new CloneCloudError(
      `clonecloud boot ${args.join(' ')} exited with ${code} (program status ${String(summary.exitStatus)}): ${stderr.trim().split('\n').slice(-2, -1)[0] ?? ''}`,
    );
  }
  return { stdout: Buffer.concat(out), stderr, summary };
}

type Summary = {
  profile: string;
  modelledSeconds: number;
  energyJoules: number;
  instructions: number;
  hostSeconds: number;
  clone?: { bytesUp: number; bytesDown: number; radioJoules: number };
  offload?: { offloaded: number; cloneSeconds: number; waitSeconds: number };
  partition?: { chosen: string[]; predicted: { partitioned: Cost } };
};

/** Run the phone alone on `app` at `size`. */
async function phoneOnly(app: OffloadApp, size: string): Promise<{ run: PhoneOnlyRun; stdout: Buffer }> {
  const b = await boot([path.join('images', app), size]);
  const s = b.summary as unknown as Summary;
  return {
    run: { profile: s.profile, seconds: s.modelledSeconds, joules: s.energyJoules, instructions: s.instructions, hostSeconds: s.hostSeconds },
    stdout: b.stdout,
  };
}

/**
 * Run `use` against a clone server of its own on loopback (the bench's clone profile), with an
 * empty store, so that the clone holds nothing of the phone yet; the server and its files go after.
 */
async function withFreshClone<T>(o: OffloadBenchOptions, use: (address: string, tokenFile: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-bench-offload-'));
  const tokenFile = path.join(dir, 'token');
  const token = randomBytes(32).toString('hex');
  fs.writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
  const server = await CloneServer.start({
    store: path.join(dir, 'mirrors'),
    token: Buffer.from(token),
    host: '127.0.0.1',
    port: 0,
    profile: findProfile(o.clone),
  });
  try {
    return await use(`127.0.0.1:${server.port}`, tokenFile);
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Run `app` at `size` with `--offload auto` over `link`, against a fresh clone. */
async function offloaded(app: OffloadApp, size: string, link: string, o: OffloadBenchOptions, local: Buffer): Promise<LinkRun> {
  return withFreshClone(o, async (address, tokenFile) => {
    const b = await boot([
      path.join('images', app),
      size,
      '--clone',
      address,
      '--token-file',
      tokenFile,
      '--phone-id',
      `bench-${app}-${size}`,
      '--link',
      link,
      '--sync-policy',
      'on-demand',
      '--offload',
      'auto',
      '--clone-profile',
      o.clone,
      '--objective',
      o.objective,
    ]);
    const s = b.summary as unknown as Summary;
    if (!s.partition) throw new CloneCloudError(`clonecloud boot --offload auto on ${app} ${size} printed no partition in its summary`);
    return {
      link,
      chosen: s.partition.chosen,
      offloaded: s.offload?.offloaded ?? 0,
      predicted: s.partition.predicted.partitioned,
      measured: { seconds: s.modelledSeconds, joules: s.energyJoules },
      bytesUp: s.clone?.bytesUp ?? 0,
      bytesDown: s.clone?.bytesDown ?? 0,
      cloneSeconds: s.offload?.cloneSeconds ?? 0,
      waitSeconds: s.offload?.waitSeconds ?? 0,
      radioJoules: s.clone?.radioJoules ?? 0,
      instructions: s.instructions,
      hostSeconds: s.hostSeconds,
      sameOutput: b.stdout.equals(local),
    };
  });
}

/** The file scan on the phone alone, and migrated at `scan_tree` over `link` to a fresh clone. */
async function fsscanMigration(link: string, o: OffloadBenchOptions): Promise<FsscanMigration> {
  const local = await boot([path.join('images', 'fsscan')]);
  const ls = local.summary as unknown as Summary;
  return withFreshClone(o, async (address, tokenFile) => {
    const b = await boot([
      path.join('images', 'fsscan'),
      '--clone',
      address,
      '--token-file',
      tokenFile,
      '--phone-id',
      'bench-fsscan',
      '--link',
      link,
      '--sync-policy',
      'on-demand',
      '--offload',
      'scan_tree',
    ]);
    const s = b.summary as unknown as Summary & { offload?: { log: { outcome: string; why?: string; stop?: string }[] } };
    const call = s.offload?.log[0];
    return {
      entries: PAPER.entries,
      link,
      phoneOnly: { seconds: ls.modelledSeconds, joules: ls.energyJoules },
      migrated: {
        seconds: s.modelledSeconds,
        joules: s.energyJoules,
        outcome: call ? (call.outcome === 'offloaded' ? `ran on the clone (${call.stop ?? ''})` : `ran on the phone: ${call.why ?? ''}`) : 'not reached',
        waitSeconds: s.offload?.waitSeconds ?? 0,
        bytesUp: s.clone?.bytesUp ?? 0,
        bytesDown: s.clone?.bytesDown ?? 0,
        sameOutput: b.stdout.equals(local.stdout),
      },
      paper: {
        phoneSeconds: PAPER.phoneSeconds,
        migratedSeconds: PAPER.cloneSeconds,
        source: 'CloneCloud, HotOS 2009: 100,000 entries on the HTC G1 and in its clone',
      },
    };
  });
}

/** One error per offloaded run whose stdout was not the phone-only run's: offloading must never change what a program prints. */
export function outputErrors(rows: OffloadRow[]): string[] {
  return rows.flatMap((row) =>
    row.links
      .filter((l) => !l.sameOutput)
      .map((l) => `${row.app} ${row.size} over ${l.link}: the offloaded run printed different output from the phone-only run`),
  );
}

/** Run every app and size on the phone alone and offloaded over every link. */
export async function runOffloadBench(o: OffloadBenchOptions): Promise<OffloadReport> {
  const rows: OffloadRow[] = [];
  const total = o.apps.length * o.sizes.length * (1 + o.links.length);
  let n = 0;
  const step = (what: string) => o.progress?.(`[${++n}/${total}] ${what}`);
  for (const app of o.apps) {
    for (const size of o.sizes) {
      step(`${app} ${size}: phone only`);
      const local = await phoneOnly(app, size);
      const links: LinkRun[] = [];
      for (const link of o.links) {
        step(`${app} ${size}: --offload auto over ${link}`);
        links.push(await offloaded(app, size, link, o, local.stdout));
      }
      rows.push({ app, size, function: OFFLOAD_APPS[app], phoneOnly: local.run, links });
    }
  }
  let fsscan: FsscanMigration | undefined;
  if (o.fsscan) {
    o.progress?.(`fsscan ${PAPER.entries.toLocaleString('en-US')} entries: phone only, then migrated at scan_tree over ${o.links[0]}`);
    fsscan = await fsscanMigration(o.links[0], o);
  }
  const errors = outputErrors(rows);
  if (fsscan && !fsscan.migrated.sameOutput) errors.push('fsscan migrated at scan_tree printed different output from the phone-only run');
  return {
    benchmark: 'offload',
    phone: rows[0]?.phoneOnly.profile ?? '',
    clone: o.clone,
    objective: o.objective,
    published: PUBLISHED,
    rows,
    fsscan,
    errors,
  };
}
