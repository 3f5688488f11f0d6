/**
 * One hash of the whole guest memory: the memory map plus the index and content hash of every
 * non-zero page. Two runs that end with this digest equal ended with the same memory. A
 * checkpoint's page table and its map's file pages (file-pages.ts) hold exactly those pages and
 * hashes, so the digest of a checkpointed machine can also be computed from its map and table
 * alone, without its memory (a clone's mirror is checked that way).
 */
import { AddressSpace, PAGE_MAPPED, PAGE_SIZE, Region } from '../memory/address-space';
import { HASH_BYTES, hashBytes, hashHex, hashInto, isZero } from './page-hash';
import { PageTable } from './page-table';
import { filePages } from './file-pages';

/** The memory map as the digest covers it. */
function mapBytes(regions: readonly Region[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(regions.map((r) => [r.start, r.end, r.prot, r.kind])));
}

/** The digest of a machine whose memory map is `regions` and whose pages are `table`'s: equal to memoryDigest() of that machine. */
export function tableDigest(regions: readonly Region[], table: PageTable): string {
  const map = mapBytes(regions);
  const fromFiles = filePages(regions);
  const record = new Uint8Array(map.length + (table.pages.length + fromFiles.length) * (4 + HASH_BYTES));
  record.set(map);
  const dv = new DataView(record.buffer);
  let off = map.length;
  const put = (page: number, hash: Uint8Array) => {
    dv.setUint32(off, page, true);
    record.set(hash, off + 4);
    off += 4 + HASH_BYTES;
  };
  // Both lists ascend and never share a page: merge them in page order, as memoryDigest lists pages.
  let f = 0;
  table.pages.forEach((p, i) => {
    for (; f < fromFiles.length && fromFiles[f].page < p; f++) put(fromFiles[f].page, fromFiles[f].hash);
    put(p, table.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES));
  });
  for (; f < fromFiles.length; f++) put(fromFiles[f].page, fromFiles[f].hash);
  return hashHex(hashBytes(record));
}

/** 32 hex digits summarizing every mapped page and the memory map (hashing must be initialized). */
export function memoryDigest(space: AddressSpace): string {
  const map = mapBytes(space.regions());
  const pages = space.touched.pages().filter((p) => space.perms[p] & PAGE_MAPPED);
  const record = new Uint8Array(map.length + pages.length * (4 + HASH_BYTES));
  record.set(map);
  const dv = new DataView(record.buffer);
  let off = map.length;
  for (const p of pages) {
    const bytes = space.bytes.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE);
    if (isZero(bytes)) continue;
    dv.setUint32(off, p, true);
    hashInto(bytes, record, off + 4);
    off += 4 + HASH_BYTES;
  }
  return hashHex(hashBytes(record.subarray(0, off)));
}
