/**
 * Deterministic generation of synthesized trees. The index holds only typed arrays (a few bytes
 * per entry); names are computed from ids and contents from (seed, id, offset) on demand.
 */
import { fold53, hash3, Rng } from './hash';
import { SYNTH_DEFAULTS, SynthEntrySpec } from './rootfs-spec';

/** The generation parameters of a synthesized tree (a synth rootfs entry without its target). */
export type SynthParams = Omit<SynthEntrySpec, 'type' | 'target'>;

/** Extensions and name stems synthesized files draw from. */
export const SYNTH_EXTENSIONS = ['.txt', '.jpg', '.mp3', '.apk', '.db', '.log', '.xml', '.png', '.dat', '.html'] as const;
export const SYNTH_STEMS = ['notes', 'IMG', 'track', 'app', 'cache', 'report', 'config', 'page'] as const;
/** Extensions whose content is printable text, so `cat` on them behaves. */
const TEXT_EXTENSIONS = new Set(['.txt', '.log', '.xml', '.html']);
const TEXT_ALPHABET = 'abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789\n';
/** Byte -> printable character, precomputed because content generation is the hot path of reads. */
const TEXT_TABLE = Uint8Array.from({ length: 256 }, (_, b) => TEXT_ALPHABET.charCodeAt(b % TEXT_ALPHABET.length));
/** Spread of the log-normal size distribution (natural-log units). */
const SIZE_SIGMA = 1.2;

/**
 * Entry ids run 0..dirCount-1 for directories, then dirCount..entries-1 for files. Directories
 * are also addressed by "slot": slot 0 is the tree root, slot id+1 is directory id.
 */
export interface SynthIndex {
  readonly params: SynthParams;
  readonly seedHash: number;
  readonly entries: number;
  readonly dirCount: number;
  /** Parent slot of every entry. */
  readonly parent: Int32Array;
  /** Nesting depth per slot (root 0). */
  readonly depth: Uint8Array;
  /** Children of slot s are children[childStart[s] .. childStart[s+1]), directories first, by id. */
  readonly childStart: Int32Array;
  readonly children: Int32Array;
  /** Per file (id - dirCount): size in bytes and stem * 16 + extension index. */
  readonly sizes: Uint32Array;
  readonly kinds: Uint8Array;
}

/** Largest number of directories the fanout and depth limits allow (stops counting past `cap`). */
function dirCapacity(fanout: number, maxDepth: number, cap: number): number {
  let total = 0;
  let level = 1;
  for (let d = 1; d <= maxDepth && total < cap; d++) {
    level *= fanout;
    total += level;
  }
  return Math.min(total, cap);
}

/** Generate the index of a tree; pure and deterministic in `params`. */
export function buildSynthIndex(params: SynthParams): SynthIndex {
  const n = params.entries;
  const seedHash = fold53(params.seed);
  const rng = new Rng(seedHash);
  const dirCount = dirCapacity(params.fanout, params.maxDepth, Math.round(n * params.dirRatio));
  const parent = new Int32Array(n);
  const depth = new Uint8Array(dirCount + 1);
  const subdirs = new Int32Array(dirCount + 1);
  // Directories that may still take a subdirectory; picking among them uniformly gives bushy trees.
  const open = new Int32Array(dirCount + 1);
  let openCount = 1;
  for (let id = 0; id < dirCount; id++) {
    const pick = rng.below(openCount);
    const p = open[pick];
    parent[id] = p;
    const slot = id + 1;
    depth[slot] = depth[p] + 1;
    if (++subdirs[p] >= params.fanout) open[pick] = open[--openCount];
    if (depth[slot] < params.maxDepth) open[openCount++] = slot;
  }
  const fileCount = n - dirCount;
  const sizes = new Uint32Array(fileCount);
  const kinds = new Uint8Array(fileCount);
  const { min, max, median } = params.fileSize;
  for (let f = 0; f < fileCount; f++) {
    parent[dirCount + f] = rng.below(dirCount + 1);
    kinds[f] = (rng.below(SYNTH_STEMS.length) << 4) | rng.below(SYNTH_EXTENSIONS.length);
    const size = Math.round(median * Math.exp(SIZE_SIGMA * rng.normal()));
    sizes[f] = Math.min(max, Math.max(min, size));
  }
  const childStart = new Int32Array(dirCount + 2);
  for (let id = 0; id < n; id++) childStart[parent[id] + 1]++;
  for (let s = 0; s <= dirCount; s++) childStart[s + 1] += childStart[s];
  const fill = childStart.slice(0, dirCount + 1);
  const children = new Int32Array(n);
  for (let id = 0; id < n; id++) children[fill[parent[id]]++] = id;
  return { params, seedHash, entries: n, dirCount, parent, depth, childStart, children, sizes, kinds };
}

/** Name of entry `id` within its directory. */
export function synthName(index: SynthIndex, id: number): string {
  if (id < index.dirCount) return 'd' + String(id).padStart(4, '0');
  const f = id - index.dirCount;
  const k = index.kinds[f];
  return `${SYNTH_STEMS[k >> 4]}_${String(f).padStart(5, '0')}${SYNTH_EXTENSIONS[k & 15]}`;
}

/** The child of slot `slot` called `name`, found by decoding the name rather than searching. */
export function synthLookup(index: SynthIndex, slot: number, name: string): number | undefined {
  let id: number;
  const dir = /^d(\d{4,9})$/.exec(name);
  if (dir) {
    id = Number(dir[1]);
  } else {
    const file = /^[A-Za-z]+_(\d{5,9})\.[a-z0-9]+$/.exec(name);
    if (!file) return undefined;
    id = index.dirCount + Number(file[1]);
  }
  if (id >= index.entries || index.parent[id] !== slot) return undefined;
  // Leading zeros and stems are not unique in the regex, so compare against the real name.
  return synthName(index, id) === name ? id : undefined;
}

/** True when the file's extension marks text content. */
export function synthIsText(index: SynthIndex, id: number): boolean {
  return TEXT_EXTENSIONS.has(SYNTH_EXTENSIONS[index.kinds[id - index.dirCount] & 15]);
}

/** Size of file `id`. */
export function synthSize(index: SynthIndex, id: number): number {
  return index.sizes[id - index.dirCount];
}

/**
 * Bytes [offset, offset + dst.length) of a synthesized file, computed in O(length): each aligned
 * 4-byte word is a hash of (seed, id, word index), so any range is reproducible on its own.
 */
export function synthContent(seedHash: number, id: number, text: boolean, offset: number, dst: Uint8Array): void {
  const end = dst.length;
  let i = 0;
  let w = Math.floor(offset / 4);
  let shift = (offset - w * 4) * 8;
  while (i < end) {
    const word = hash3(seedHash, id, w++);
    for (; shift < 32 && i < end; shift += 8) {
      const byte = (word >>> shift) & 0xff;
      dst[i++] = text ? TEXT_TABLE[byte] : byte;
    }
    shift = 0;
  }
}

/** One entry of a synthesized tree as describeSynthTree reports it. */
export interface SynthDescribedEntry {
  id: number;
  /** Guest path: the entry's target joined with the generated names. */
  path: string;
  type: 'dir' | 'file';
  /** File size in bytes; directories report 4096 as stat does. */
  size: number;
  /** Bytes [offset, offset + length) of a file, clipped at its end; empty for directories. */
  content(offset: number, length: number): Uint8Array;
}

/** A synth entry as a manifest may write it: fields with defaults can be left out. */
export type SynthDescribeInput = Pick<SynthEntrySpec, 'target' | 'seed' | 'entries'> &
  Partial<Pick<SynthEntrySpec, 'fanout' | 'maxDepth' | 'dirRatio' | 'fileSize'>>;

/** Describe every entry of a synth rootfs entry in id order; independent of any Vfs instance. */
export function describeSynthTree(input: SynthDescribeInput): SynthDescribedEntry[] {
  const spec: SynthParams & { target: string } = {
    ...input,
    fanout: input.fanout ?? SYNTH_DEFAULTS.fanout,
    maxDepth: input.maxDepth ?? SYNTH_DEFAULTS.maxDepth,
    dirRatio: input.dirRatio ?? SYNTH_DEFAULTS.dirRatio,
    fileSize: input.fileSize ?? { ...SYNTH_DEFAULTS.fileSize },
  };
  const index = buildSynthIndex(spec);
  const base = spec.target === '/' ? '' : spec.target;
  const slotPath: string[] = [base];
  const out: SynthDescribedEntry[] = [];
  for (let id = 0; id < index.entries; id++) {
    const path = `${slotPath[index.parent[id]]}/${synthName(index, id)}`;
    if (id < index.dirCount) {
      slotPath[id + 1] = path;
      out.push({ id, path, type: 'dir', size: 4096, content: () => new Uint8Array(0) });
    } else {
      const size = synthSize(index, id);
      const text = synthIsText(index, id);
      const content = (offset: number, length: number): Uint8Array => {
        const dst = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
        synthContent(index.seedHash, id, text, offset, dst);
        return dst;
      };
      out.push({ id, path, type: 'file', size, content });
    }
  }
  return out;
}
