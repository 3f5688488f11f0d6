/**
 * A checkpoint's page table: which guest pages hold data and the hash of each. Mapped pages that
 * are absent are all zeros (never stored). Encoded as a small binary record, version-checked:
 *
 *   u32 magic 'CCPT' | u32 version (1) | u32 count | count x u32 page index (ascending)
 *   | count x 16-byte page hash
 */
import { HASH_BYTES } from './page-hash';
import { CheckpointFormatError } from './errors';

const MAGIC = 0x54504343; // 'CCPT' little-endian
export const PAGE_TABLE_VERSION = 1;

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

/** Serialize a table. */
export function encodePageTable(t: PageTable): Uint8Array {
  const n = t.pages.length;
  const out = new Uint8Array(12 + 4 * n + HASH_BYTES * n);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, PAGE_TABLE_VERSION, true);
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
  if (version !== PAGE_TABLE_VERSION) {
    throw new CheckpointFormatError(`${what}: page table version ${version}, this clonecloud reads version ${PAGE_TABLE_VERSION}`);
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
