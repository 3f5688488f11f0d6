/**
 * A checkpoint's page table: which guest pages hold data and the hash of each. Mapped pages that
 * are absent are all zeros (never stored). Encoded as a small binary record:
 *
 *   u32 magic 'CCPT' | u32 layout (1) | u32 count | count x u32 page index (ascending)
 *   | count x 16-byte page hash
 *
 * The encoding is part of the snapshot format and has no version of its own: changing it needs a
 * bump of the snapshot version (machine/state-version.ts). The layout word only tells a reader
 * which of the layouts it knows follows (1 is the only one), and catches bytes that are not a
 * table of this build.
 */
import { HASH_BYTES } from './page-hash';
import { CheckpointFormatError } from './errors';

const MAGIC = 0x54504343; // 'CCPT' little-endian
/** The record layout this build writes and reads. */
export const PAGE_TABLE_LAYOUT = 1;

/** Page indexes (ascending) and their hashes, 16 bytes each, in the same order. */
export interface PageTable {
  pages: Uint32Array;
  hashes: Uint8Array;
}

/** An empty table. */
export function emptyPageTable(): PageTable {
  return { pages: new Uint32Array(0), hashes: new Uint8Array(0) };
}

/** The hash of entry `i` (a view, not a copy). */
export function hashAt(t: PageTable, i: number): Uint8Array {
  return t.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
}

/** How a page differs between two tables: only in the second, only in the first, or another hash. */
export type PageChange = 'added' | 'removed' | 'changed';

/** Call `visit` for every page that differs between tables `a` and `b` (both ascending), in page order. */
export function forEachDifference(a: PageTable, b: PageTable, visit: (page: number, change: PageChange) => void): void {
  let i = 0;
  let j = 0;
  while (i < a.pages.length || j < b.pages.length) {
    const pa = i < a.pages.length ? a.pages[i] : Infinity;
    const pb = j < b.pages.length ? b.pages[j] : Infinity;
    if (pa === pb) {
      if (Buffer.compare(hashAt(a, i), hashAt(b, j)) !== 0) visit(pa, 'changed');
      i++;
      j++;
    } else if (pa < pb) {
      visit(pa, 'removed');
      i++;
    } else {
      visit(pb, 'added');
      j++;
    }
  }
}

/** Serialize a table. */
export function encodePageTable(t: PageTable): Uint8Array {
  const n = t.pages.length;
  const out = new Uint8Array(12 + 4 * n + HASH_BYTES * n);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, PAGE_TABLE_LAYOUT, true);
  dv.setUint32(8, n, true);
  for (let i = 0; i < n; i++) dv.setUint32(12 + 4 * i, t.pages[i], true);
  out.set(t.hashes.subarray(0, HASH_BYTES * n), 12 + 4 * n);
  return out;
}

/** Parse a table, checking magic, version, length and order. */
export function decodePageTable(bytes: Uint8Array, what: string): PageTable {
  if (bytes.length < 12) throw new CheckpointFormatError(`${what}: page table truncated`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) throw new CheckpointFormatError(`${what}: not a page table`);
  const version = dv.getUint32(4, true);
  if (version !== PAGE_TABLE_LAYOUT) {
    throw new CheckpointFormatError(
      `${what}: page table layout version ${version}, this clonecloud reads layout ${PAGE_TABLE_LAYOUT}: it was written by another clonecloud release`,
    );
  }
  const n = dv.getUint32(8, true);
  if (bytes.length !== 12 + (4 + HASH_BYTES) * n) throw new CheckpointFormatError(`${what}: page table length does not match its count`);
  const pages = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    pages[i] = dv.getUint32(12 + 4 * i, true);
    if (i > 0 && pages[i] <= pages[i - 1]) throw new CheckpointFormatError(`${what}: page table out of order`);
  }
  return { pages, hashes: bytes.slice(12 + 4 * n) };
}

/**
 * An incremental page table: the entries that changed since `base` (another checkpoint's table)
 * and the pages that left the table. `depth` counts the deltas down to a full table, so readers
 * can bound the chain they follow.
 *
 *   u32 magic 'CCPD' | u32 layout (1) | u32 depth | u32 base id length | base id (UTF-8)
 *   | u32 set count | u32 removed count | set x u32 page (ascending) | set x 16-byte hash
 *   | removed x u32 page (ascending)
 */
export interface PageTableDelta {
  base: string;
  depth: number;
  set: PageTable;
  removed: Uint32Array;
}

const DELTA_MAGIC = 0x44504343; // 'CCPD' little-endian

/**
 * Longest chain of deltas a writer may create before writing a full table; readers refuse longer
 * chains, so every table is rebuilt from at most this many deltas.
 */
export const MAX_DELTA_DEPTH = 32;

/** True when `bytes` holds a delta rather than a full table. */
export function isDelta(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === DELTA_MAGIC;
}

/** Serialize a delta. */
export function encodeDelta(d: PageTableDelta): Uint8Array {
  const base = new TextEncoder().encode(d.base);
  const n = d.set.pages.length;
  const r = d.removed.length;
  const out = new Uint8Array(24 + base.length + (4 + HASH_BYTES) * n + 4 * r);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, DELTA_MAGIC, true);
  dv.setUint32(4, PAGE_TABLE_LAYOUT, true);
  dv.setUint32(8, d.depth, true);
  dv.setUint32(12, base.length, true);
  out.set(base, 16);
  let o = 16 + base.length;
  dv.setUint32(o, n, true);
  dv.setUint32(o + 4, r, true);
  o += 8;
  for (let i = 0; i < n; i++, o += 4) dv.setUint32(o, d.set.pages[i], true);
  out.set(d.set.hashes.subarray(0, HASH_BYTES * n), o);
  o += HASH_BYTES * n;
  for (let i = 0; i < r; i++, o += 4) dv.setUint32(o, d.removed[i], true);
  return out;
}

/** Parse a delta, checking magic, version, lengths and order. */
export function decodeDelta(bytes: Uint8Array, what: string): PageTableDelta {
  const bad = (why: string): never => {
    throw new CheckpointFormatError(`${what}: page table delta ${why}`);
  };
  if (!isDelta(bytes) || bytes.length < 24) bad('malformed');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(4, true);
  if (version !== PAGE_TABLE_LAYOUT)
    bad(`layout version ${version}, this clonecloud reads layout ${PAGE_TABLE_LAYOUT}: it was written by another clonecloud release`);
  const depth = dv.getUint32(8, true);
  const baseLen = dv.getUint32(12, true);
  if (16 + baseLen + 8 > bytes.length) bad('truncated');
  const base = new TextDecoder().decode(bytes.subarray(16, 16 + baseLen));
  let o = 16 + baseLen;
  const n = dv.getUint32(o, true);
  const r = dv.getUint32(o + 4, true);
  o += 8;
  if (bytes.length !== o + (4 + HASH_BYTES) * n + 4 * r) bad('length does not match its counts');
  const readPages = (count: number): Uint32Array => {
    const pages = new Uint32Array(count);
    for (let i = 0; i < count; i++, o += 4) {
      pages[i] = dv.getUint32(o, true);
      if (i > 0 && pages[i] <= pages[i - 1]) bad('out of order');
    }
    return pages;
  };
  const pages = readPages(n);
  const hashes = bytes.slice(o, o + HASH_BYTES * n);
  o += HASH_BYTES * n;
  return { base, depth, set: { pages, hashes }, removed: readPages(r) };
}

/**
 * `base` with `d` applied: a merge of two sorted lists, O(size of both). Runs of base entries
 * kept as they are are copied whole (a restore applies deltas to tables of 50,000 pages).
 */
export function applyDelta(base: PageTable, d: PageTableDelta): PageTable {
  const bp = base.pages;
  const sp = d.set.pages;
  const gone = d.removed;
  const pages = new Uint32Array(bp.length + sp.length);
  const hashes = new Uint8Array(pages.length * HASH_BYTES);
  let n = 0;
  let i = 0;
  let j = 0;
  let r = 0;
  while (i < bp.length || j < sp.length) {
    const pd = j < sp.length ? sp[j] : Infinity;
    if (pd <= (i < bp.length ? bp[i] : Infinity)) {
      if (i < bp.length && bp[i] === pd) i++;
      hashes.set(d.set.hashes.subarray(j * HASH_BYTES, (j + 1) * HASH_BYTES), n * HASH_BYTES);
      pages[n++] = pd;
      j++;
      continue;
    }
    // Base entries below the next set page, minus removed ones, go over as one run.
    const start = i;
    while (r < gone.length && gone[r] < bp[i]) r++;
    while (i < bp.length && bp[i] < pd && !(r < gone.length && gone[r] === bp[i])) {
      i++;
      while (r < gone.length && i < bp.length && gone[r] < bp[i]) r++;
    }
    if (i > start) {
      pages.set(bp.subarray(start, i), n);
      hashes.set(base.hashes.subarray(start * HASH_BYTES, i * HASH_BYTES), n * HASH_BYTES);
      n += i - start;
    } else {
      i++; // removed
    }
  }
  return { pages: pages.slice(0, n), hashes: hashes.slice(0, n * HASH_BYTES) };
}
