/** The rootfs part of an image manifest: its types and a validator that explains every mistake. */
import * as fs from 'fs';
import * as nodePath from 'path';
import { ImageError } from '../errors';
import { textName } from './path';

/** A read-only view of a host folder. */
export interface HostEntrySpec {
  type: 'host';
  /** Absolute host path after parsing (the manifest may give it relative to its folder). */
  source: string;
  target: string;
}

/** One literal file. */
export interface FileEntrySpec {
  type: 'file';
  target: string;
  content: string;
  /** Permission bits, e.g. 420 (0644). */
  mode: number;
}

/** File sizes of a synthesized tree: log-normal around `median`, clamped to [min, max]. */
export interface SizeDistribution {
  min: number;
  max: number;
  median: number;
}

/** A deterministic generated tree of directories and files. */
export interface SynthEntrySpec {
  type: 'synth';
  target: string;
  seed: number;
  /** Entries below the target, directories plus files (the target itself is not counted). */
  entries: number;
  /** Most subdirectories a directory gets. */
  fanout: number;
  /** Deepest directory nesting below the target; files may sit one level deeper. */
  maxDepth: number;
  /** Share of entries that are directories. */
  dirRatio: number;
  fileSize: SizeDistribution;
}

/** One mount of the rootfs; later entries overlay earlier ones. */
export type RootfsEntry = HostEntrySpec | FileEntrySpec | SynthEntrySpec;

/** The validated rootfs: entries in overlay order. */
export type RootfsSpec = RootfsEntry[];

/** Upper bound of one synth entry's "entries". */
export const MAX_SYNTH_ENTRIES = 10_000_000;
/** Synthesized inodes share one numbering range; this keeps them inside it. */
export const MAX_TOTAL_SYNTH_ENTRIES = 1_000_000_000;
/** Values used for synth fields a manifest leaves out. */
export const SYNTH_DEFAULTS = {
  fanout: 8,
  maxDepth: 6,
  dirRatio: 0.1,
  fileSize: { min: 0, max: 65536, median: 2048 },
} as const;

const FIELDS: Record<RootfsEntry['type'], readonly string[]> = {
  host: ['type', 'source', 'target'],
  file: ['type', 'target', 'content', 'mode'],
  synth: ['type', 'target', 'seed', 'entries', 'fanout', 'maxDepth', 'dirRatio', 'fileSize'],
};

type Raw = Record<string, unknown>;

/** Reports problems of one entry with its position and kind, so the message says where to look. */
class EntryContext {
  constructor(
    readonly index: number,
    readonly raw: Raw,
  ) {}

  fail(what: string): never {
    const kind = typeof this.raw.type === 'string' ? ` (${this.raw.type})` : '';
    throw new ImageError(`rootfs entry ${this.index}${kind}: ${what}`);
  }

  str(key: string): string {
    const v = this.raw[key];
    if (v === undefined) this.fail(`missing field "${key}"`);
    if (typeof v !== 'string') this.fail(`"${key}" must be a string, got ${JSON.stringify(v)}`);
    return v;
  }

  int(key: string, min: number, max: number, fallback?: number): number {
    const v = this.raw[key] ?? fallback;
    if (v === undefined) this.fail(`missing field "${key}"`);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(`"${key}" must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
    return v;
  }

  num(key: string, min: number, max: number, fallback: number): number {
    const v = this.raw[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      this.fail(`"${key}" must be a number from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
    return v;
  }
}

/**
 * Validate a manifest's rootfs array; relative host sources are taken from `baseDir`. An empty
 * array is a valid root: an empty directory (with /proc and /sys) over the writable layer.
 */
export function parseRootfsSpec(raw: unknown, baseDir: string): RootfsSpec {
  if (!Array.isArray(raw)) throw new ImageError('rootfs must be an array of entries');
  const out: RootfsSpec = [];
  let synthTotal = 0;
  raw.forEach((item: unknown, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new ImageError(`rootfs entry ${index}: must be an object, got ${JSON.stringify(item)}`);
    }
    const entry = parseEntry(new EntryContext(index, item as Raw), baseDir);
    if (entry.type === 'synth') synthTotal += entry.entries;
    out.push(entry);
  });
  if (synthTotal > MAX_TOTAL_SYNTH_ENTRIES) {
    throw new ImageError(`rootfs synthesizes ${synthTotal} entries in total; keep the sum of "entries" at most ${MAX_TOTAL_SYNTH_ENTRIES}`);
  }
  return out;
}

function parseEntry(ctx: EntryContext, baseDir: string): RootfsEntry {
  const type = ctx.str('type');
  if (type !== 'host' && type !== 'file' && type !== 'synth') {
    ctx.fail(`unknown type "${type}"; use "host", "file" or "synth"`);
  }
  const allowed = FIELDS[type];
  for (const key of Object.keys(ctx.raw)) {
    if (!allowed.includes(key)) ctx.fail(`unknown field "${key}"; ${type} entries take ${allowed.join(', ')}`);
  }
  const target = parseTarget(ctx);
  switch (type) {
    case 'host':
      return { type, source: parseSource(ctx, baseDir), target };
    case 'file':
      return { type, target, content: ctx.str('content'), mode: ctx.int('mode', 0, 0o7777, 0o644) };
    case 'synth':
      return parseSynth(ctx, target);
  }
}

function parseTarget(ctx: EntryContext): string {
  const target = ctx.str('target');
  if (!target.startsWith('/')) ctx.fail(`"target" must be an absolute guest path, got "${target}"`);
  const parts = target.split('/').filter((c) => c.length > 0);
  if (parts.some((c) => c === '.' || c === '..' || c.includes('\0'))) {
    ctx.fail(`"target" must not contain ".", ".." or NUL components, got "${target}"`);
  }
  if (parts[0] === 'proc' || parts[0] === 'sys') {
    ctx.fail(`"target" ${target} would be hidden by the generated /${parts[0]}; pick another path`);
  }
  if (ctx.raw.type === 'file' && parts.length === 0) ctx.fail('a file cannot be mounted at "/"');
  // Manifests are text; inside the VFS a guest path is the byte string of its UTF-8.
  return textName('/' + parts.join('/'));
}

function parseSource(ctx: EntryContext, baseDir: string): string {
  const source = ctx.str('source');
  const abs = nodePath.resolve(baseDir, source);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    ctx.fail(`host folder "${abs}" does not exist; fix "source" (relative paths start at ${baseDir})`);
  }
  if (!st.isDirectory()) ctx.fail(`host "source" ${abs} is not a folder`);
  // Resolve a symlinked source once, so the mount stays on the folder it named at load time.
  return fs.realpathSync(abs);
}

function parseSynth(ctx: EntryContext, target: string): SynthEntrySpec {
  const seed = ctx.int('seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const entries = ctx.int('entries', 1, MAX_SYNTH_ENTRIES);
  const fanout = ctx.int('fanout', 1, 65536, SYNTH_DEFAULTS.fanout);
  const maxDepth = ctx.int('maxDepth', 1, 64, SYNTH_DEFAULTS.maxDepth);
  const dirRatio = ctx.num('dirRatio', 0, 1, SYNTH_DEFAULTS.dirRatio);
  const rawSize = ctx.raw.fileSize ?? SYNTH_DEFAULTS.fileSize;
  if (typeof rawSize !== 'object' || rawSize === null || Array.isArray(rawSize)) {
    ctx.fail(`"fileSize" must be an object {min, max, median}, got ${JSON.stringify(rawSize)}`);
  }
  const sz = (key: string): number => {
    const v = (rawSize as Raw)[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      ctx.fail(`"fileSize.${key}" must be an integer from 0 to 4294967295, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  for (const key of Object.keys(rawSize as Raw)) {
    if (!['min', 'max', 'median'].includes(key)) ctx.fail(`unknown field "fileSize.${key}"; use min, max, median`);
  }
  const fileSize = { min: sz('min'), max: sz('max'), median: sz('median') };
  if (fileSize.min > fileSize.max) ctx.fail(`"fileSize.min" (${fileSize.min}) exceeds "fileSize.max" (${fileSize.max})`);
  if (fileSize.median < fileSize.min || fileSize.median > fileSize.max) {
    ctx.fail(`"fileSize.median" (${fileSize.median}) must lie between min and max`);
  }
  return { type: 'synth', target, seed, entries, fanout, maxDepth, dirRatio, fileSize };
}
