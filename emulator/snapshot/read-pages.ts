/**
 * Reading many pages of a checkpoint straight into guest memory, verified as one batch: the
 * source copies the bytes in (its fastest way, no allocation per page), then every page is hashed
 * in one native call over the host's cores and compared with the table's hashes. Reading and
 * hashing page by page was most of a restore's time (49,000 pages of 192 MiB: about 400 ms).
 *
 * Verification stays complete: this returns only once every page written has been checked, so
 * nobody (the guest, a capture, a digest) sees a page that was not. A page that does not match
 * is read again through the source's readPage, which raises the source's own damage error naming
 * the checkpoint and the page.
 */
import { PAGE_SIZE } from '../memory/address-space';
import { StoreDamageError } from './errors';
import { HASH_BYTES, hashHex, hashPages } from './page-hash';
import { PageContext, SnapshotSource } from './source';

/** Read checkpoint `checkpoint`'s pages `pages[i]` (hash at 16 i of `hashes`) into `memory` at page `pages[i]`, all verified. */
export function readPagesInto(source: SnapshotSource, checkpoint: string, hashes: Uint8Array, pages: Uint32Array, memory: Uint8Array): void {
  const n = pages.length;
  if (n === 0) return;
  if (!source.copyPagesInto) {
    for (let i = 0; i < n; i++)
      memory.set(source.readPage(hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES), { checkpoint, page: pages[i] }), pages[i] * PAGE_SIZE);
    return;
  }
  source.copyPagesInto(hashes, pages, memory, checkpoint);
  const got = new Uint8Array(n * HASH_BYTES);
  hashPages(memory, pages, got);
  const want = hashes.subarray(0, n * HASH_BYTES);
  if (Buffer.compare(got, want) === 0) return;
  for (let i = 0; i < n; i++) {
    const at = i * HASH_BYTES;
    if (Buffer.compare(got.subarray(at, at + HASH_BYTES), want.subarray(at, at + HASH_BYTES)) === 0) continue;
    const hash = want.subarray(at, at + HASH_BYTES);
    const context: PageContext = { checkpoint, page: pages[i] };
    // The source names the damage in its own words; bytes that verify there but not as a whole
    // page (a short record under a page's hash) are damage all the same.
    const bytes = source.readPage(hash, context);
    throw new StoreDamageError(
      `checkpoint ${checkpoint}: page 0x${pages[i].toString(16)} (hash ${hashHex(hash)}): the ${bytes.byteLength} stored bytes do not make up that page`,
    );
  }
}
