/**
 * One hash of the whole guest memory: the memory map plus the index and content hash of every
 * non-zero page. Two runs that end with this digest equal ended with the same memory.
 */
import { AddressSpace, PAGE_MAPPED, PAGE_SIZE } from '../memory/address-space';
import { HASH_BYTES, hashBytes, hashHex, hashInto, isZero } from './page-hash';

/** 32 hex digits summarizing every mapped page and the memory map (hashing must be initialized). */
export function memoryDigest(space: AddressSpace): string {
  const map = new TextEncoder().encode(JSON.stringify(space.regions().map((r) => [r.start, r.end, r.prot, r.kind])));
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
