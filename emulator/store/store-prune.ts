/**
 * Pruning: delete checkpoints and the pages only they referenced. Runs as one LMDB write
 * transaction, so a process killed part-way leaves the store exactly as it was before.
 */
import { HASH_BYTES } from '../snapshot/page-hash';
import { CheckpointFormatError, StoreDamageError, StoreError } from '../snapshot/errors';
import { hashKey, unseal } from './store-codec';
import { readCounters, StoreDbs } from './store-env';
import { findSeq } from './store-records';
import { dependents, materializeTable, rewriteFull } from './store-tables';

/** What a prune removed. */
export interface PruneResult {
  checkpointsRemoved: number;
  pagesFreed: number;
  bytesFreed: number;
}

/** Every page hash checkpoint `id` references (page table and extras), as binary strings. */
export function referencedHashes(dbs: StoreDbs, id: string): string[] {
  const out: string[] = [];
  const add = (hashes: Uint8Array) => {
    const buf = Buffer.from(hashes.buffer, hashes.byteOffset, hashes.byteLength);
    for (let o = 0; o + HASH_BYTES <= buf.length; o += HASH_BYTES) out.push(buf.toString('latin1', o, o + HASH_BYTES));
  };
  if (dbs.tables.doesExist(id)) add(materializeTable(dbs, id).hashes);
  const extras = dbs.extras.getBinary(id);
  if (extras) add(unseal(extras, `checkpoint ${id}: extra hashes`));
  return out;
}

/** References of `id`, or null when its page table or extras are damaged. */
function readableRefs(dbs: StoreDbs, id: string): string[] | null {
  try {
    return referencedHashes(dbs, id);
  } catch (e) {
    if (e instanceof StoreDamageError || e instanceof CheckpointFormatError) return null;
    throw e;
  }
}

/** Remove `ids` and reclaim their unshared pages, atomically. */
export function prune(dbs: StoreDbs, ids: string[], knownIds: () => string[]): PruneResult {
  const doomed = new Set(ids);
  return dbs.root.transactionSync(() => {
    for (const id of doomed) {
      if (!dbs.records.doesExist(id)) {
        throw new StoreError(`cannot prune unknown checkpoint ${id}; known: ${knownIds().join(', ') || 'none'}`);
      }
    }
    // Survivors whose tables are deltas through a doomed checkpoint get their full table first,
    // while the chain is still there to be read.
    for (const id of dependents(dbs, knownIds(), doomed)) rewriteFull(dbs, id);
    // Mark: what the survivors still need. A survivor whose references are unreadable is
    // already unrestorable, so it protects nothing.
    const keep = new Set<string>();
    for (const id of knownIds()) {
      if (!doomed.has(id)) for (const h of readableRefs(dbs, id) ?? []) keep.add(h);
    }
    // Sweep: only the doomed checkpoints' pages can become garbage, since a commit never stores
    // a page no checkpoint references; when one of them is damaged, sweep every page instead.
    const candidates = new Set<string>();
    let sweepAll = false;
    for (const id of doomed) {
      const refs = readableRefs(dbs, id);
      if (refs === null) sweepAll = true;
      else for (const h of refs) if (!keep.has(h)) candidates.add(h);
    }
    if (sweepAll) {
      for (const key of dbs.pages.getKeys()) {
        const h = Buffer.from(key).toString('latin1');
        if (!keep.has(h)) candidates.add(h);
      }
    }
    let pagesFreed = 0;
    let bytesFreed = 0;
    for (const h of candidates) {
      const key = hashKey(Buffer.from(h, 'latin1'));
      const bytes = dbs.pages.getBinaryFast(key);
      if (!bytes) continue; // already missing: verify() reports it, pruning need not fail
      bytesFreed += bytes.length;
      dbs.pages.removeSync(key);
      pagesFreed++;
    }
    for (const id of doomed) {
      const seq = findSeq(dbs, id);
      if (seq !== undefined) dbs.order.removeSync(seq);
      dbs.records.removeSync(id);
      dbs.tables.removeSync(id);
      dbs.extras.removeSync(id);
    }
    const c = readCounters(dbs);
    dbs.root.putSync('counters', { nextSeq: c.nextSeq, pages: c.pages - pagesFreed, pageBytes: c.pageBytes - bytesFreed });
    return { checkpointsRemoved: doomed.size, pagesFreed, bytesFreed };
  });
}
