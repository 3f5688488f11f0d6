/**
 * The CloneCloud paper's hardware-augmentation experiment: the GC-heavy file scan on the phone,
 * then on the clone with one advantage added at a time (its clock, then its RAM, then its cores),
 * so that each step's share of the speedup is visible.
 */
import * as path from 'path';
import { ImageError } from '../errors';
import { loadImage } from '../image/manifest';
import { runImage } from './image-run';
import { DeviceProfile } from '../model/profiles';

/** The paper's measured figures (Chun & Maniatis, HotOS 2009): 100,000 entries, Dalvik on both. */
export const PAPER = { phoneSeconds: 3953, cloneSeconds: 336, speedup: 11.8, entries: 100_000 } as const;

/** One configuration to run. */
export interface Configuration {
  label: string;
  /** What this row adds over the previous one. */
  advantage: string;
  profile: DeviceProfile;
}

/** The phone, then the phone with the clone's clock, then its RAM, then its cores. */
export function advantageLadder(phone: DeviceProfile, clone: DeviceProfile): Configuration[] {
  const clock = {
    ...phone,
    id: `${phone.id}+clock`,
    name: `${phone.name} with ${clone.name}'s CPU`,
    clockHz: clone.clockHz,
    ipc: clone.ipc,
    cpuActiveW: clone.cpuActiveW,
    cpuIdleW: clone.cpuIdleW,
  };
  const ram = { ...clock, id: `${phone.id}+clock+ram`, name: `${clock.name} and RAM`, ramBytes: clone.ramBytes };
  return [
    { label: phone.id, advantage: 'the phone', profile: phone },
    { label: clock.id, advantage: `clock ${(clone.clockHz / 1e9).toFixed(2)} GHz x IPC ${clone.ipc} (phone RAM)`, profile: clock },
    { label: ram.id, advantage: `RAM ${formatRam(clone.ramBytes)}`, profile: ram },
    { label: clone.id, advantage: `cores ${clone.cores} (the whole clone)`, profile: clone },
  ];
}

function formatRam(n: number): string {
  return n >= 2 ** 30 ? `${+(n / 2 ** 30).toFixed(1)} GB` : `${Math.round(n / 2 ** 20)} MB`;
}

/** GC figures the scan prints on stderr. */
export interface GcStats {
  heapLimit: number;
  collections: number;
  gcCpuNs: number;
  totalCpuNs: number;
}

/** Parse fsscan's stderr; ImageError when a figure is missing (a different program). */
export function parseGcStats(stderr: string): GcStats {
  const num = (re: RegExp, what: string): number => {
    const m = re.exec(stderr);
    if (!m) throw new ImageError(`fsscan printed no ${what} on stderr: is this the fsscan program?`);
    return Number(m[1]);
  };
  return {
    heapLimit: num(/heap_limit (\d+)/, 'heap limit'),
    collections: num(/gc collections (\d+)/, 'collection count'),
    gcCpuNs: num(/gc_cpu_ns (\d+)/, 'GC time'),
    totalCpuNs: num(/total_cpu_ns (\d+)/, 'CPU time'),
  };
}

/** One measured row. */
export interface ScanResult extends GcStats {
  label: string;
  advantage: string;
  profile: string;
  clockHz: number;
  ramBytes: number;
  cores: number;
  summary: string;
  instructions: number;
  modelledSeconds: number;
  speedup: number;
  gcShare: number;
  hostSeconds: number;
  mips: number;
}

/** How to scan. */
export interface ScanOptions {
  imageDir: string;
  entries: number;
  /** Called now and then with the instructions executed so far. */
  progress?: (instructions: bigint) => void;
}

/** Run the fsscan image on one configuration, with its tree resized to `entries`. */
export function runScan(c: Configuration, opts: ScanOptions): Omit<ScanResult, 'speedup'> {
  const manifest = loadImage(opts.imageDir).manifest;
  const rootfs = manifest.rootfs.map((e) => ((e as { type?: string }).type === 'synth' ? { ...(e as object), entries: opts.entries } : e));
  const run = runImage(opts.imageDir, c.profile, (spec) => ({ ...spec, rootfs }), opts.progress);
  const s = run.summary;
  if (s.exitStatus !== 0) throw new ImageError(`fsscan exited with status ${s.exitStatus} on ${c.label}: ${run.stderr.trim().split('\n').pop()}`);
  const gc = parseGcStats(run.stderr);
  return {
    label: c.label,
    advantage: c.advantage,
    profile: c.profile.id,
    clockHz: c.profile.clockHz,
    ramBytes: c.profile.ramBytes,
    cores: c.profile.cores,
    summary: run.stdout.trim(),
    instructions: s.instructions,
    modelledSeconds: s.modelledSeconds,
    gcShare: gc.totalCpuNs ? gc.gcCpuNs / gc.totalCpuNs : 0,
    hostSeconds: s.hostSeconds,
    mips: s.mips,
    ...gc,
  };
}

/** Speedups over the first row. */
export function withSpeedups(rows: Omit<ScanResult, 'speedup'>[]): ScanResult[] {
  return rows.map((r) => ({ ...r, speedup: rows[0].modelledSeconds / r.modelledSeconds }));
}

/** The runtimes the scan exists in: the C program with its own collector, and a Lua program. */
export const RUNTIMES = ['c', 'lua'] as const;
/** One of RUNTIMES. */
export type Runtime = (typeof RUNTIMES)[number];

/** The image folder shipped with clonecloud for a runtime's scan. */
export function defaultImageDir(runtime: Runtime = 'c'): string {
  return path.resolve(__dirname, '..', '..', '..', 'images', runtime === 'c' ? 'fsscan' : `fsscan-${runtime}`);
}
