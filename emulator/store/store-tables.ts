/**
 * Page tables as the store keeps them: a full table, or a delta against another checkpoint's
 * table (a few kilobytes instead of a megabyte for a 1 % change to 192 MB). Readers always get a
 * full table: deltas are followed down to the nearest full one and applied.
 */
import { CheckpointFormatError, StoreDamageError } from '../snapshot/errors';
import { applyDelta, decodeDelta, decodePageTable, encodePageTable, isDelta, MAX_DELTA_DEPTH, PageTable, PageTableDelta } from '../snapshot/page-table';
import { seal, unseal } from './store-codec';
import { StoreDbs } from './store-env';

export { MAX_DELTA_DEPTH };

/** The table of `id` as stored: full, or a delta. */
export function storedTable(dbs: StoreDbs, id: string): { full: PageTable } | { delta: PageTableDelta } {
  const sealed = dbs.tables.getBinary(id);
  if (!sealed) throw new StoreDamageError(`checkpoint ${id}: page table missing from the store`);
  const bytes = unseal(sealed, `checkpoint ${id}: page table`);
  return isDelta(bytes) ? { delta: decodeDelta(bytes, `checkpoint ${id}`) } : { full: decodePageTable(bytes, `checkpoint ${id}`) };
}

/** How many deltas lie between `id`'s table and a full one (0 for a full table). */
export function tableDepth(dbs: StoreDbs, id: string): number {
  const t = storedTable(dbs, id);
  return 'full' in t ? 0 : t.delta.depth;
}

/** The full table of `id`, following and applying deltas. */
export function materializeTable(dbs: StoreDbs, id: string): PageTable {
  const deltas: PageTableDelta[] = [];
  let at = id;
  for (;;) {
    const t = storedTable(dbs, at);
    if ('full' in t) {
      let table = t.full;
      for (let i = deltas.length - 1; i >= 0; i--) table = applyDelta(table, deltas[i]);
      return table;
    }
    deltas.push(t.delta);
    if (deltas.length > MAX_DELTA_DEPTH + 1) throw new CheckpointFormatError(`checkpoint ${id}: page table delta chain is longer than ${MAX_DELTA_DEPTH}`);
    if (!dbs.records.doesExist(t.delta.base)) {
      throw new StoreDamageError(`checkpoint ${id}: page table is a delta against ${t.delta.base}, which is not in the store`);
    }
    at = t.delta.base;
  }
}

/** The checkpoints whose table chain passes through one of `ids` (they must be rewritten in full before those go). */
export function dependents(dbs: StoreDbs, all: string[], ids: Set<string>): string[] {
  return all.filter((id) => {
    if (ids.has(id)) return false;
    let at = id;
    for (let n = 0; n <= MAX_DELTA_DEPTH + 1; n++) {
      let t;
      try {
        t = storedTable(dbs, at);
      } catch {
        return false;
      }
      if ('full' in t) return false;
      if (ids.has(t.delta.base)) return true;
      at = t.delta.base;
    }
    return false;
  });
}

/** Replace `id`'s stored table with its full form (inside the caller's write transaction). */
export function rewriteFull(dbs: StoreDbs, id: string): void {
  dbs.tables.putSync(id, seal(encodePageTable(materializeTable(dbs, id))));
}
