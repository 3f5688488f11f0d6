/** Checkpoint records of the store: reading them back, damage-checked. */
import { StoreDamageError, StoreError } from '../snapshot/errors';
import { unsealJson } from './store-codec';
import { StoreDbs } from './store-env';

/** What the `records` database holds per checkpoint. */
export interface StoredRecord {
  /** Position in commit order (key of the `order` database). */
  seq: number;
  parent: string | null;
  manifest: object;
  /** The chain (one run's succession of checkpoints) it belongs to; absent in older stores. */
  chain?: string;
}

/** The record of `id`, or undefined when there is none; StoreDamageError when it was altered. */
export function readRecord(dbs: StoreDbs, id: string): StoredRecord | undefined {
  const sealed = dbs.records.getBinary(id);
  if (!sealed) return undefined;
  const what = `checkpoint ${id}: record`;
  const rec = unsealJson(sealed, what) as Partial<StoredRecord> | null;
  if (!rec || typeof rec.seq !== 'number' || typeof rec.manifest !== 'object' || rec.manifest === null) {
    throw new StoreDamageError(`${what}: stored record is malformed`);
  }
  return { seq: rec.seq, parent: rec.parent ?? null, manifest: rec.manifest, ...(typeof rec.chain === 'string' ? { chain: rec.chain } : {}) };
}

/** Ids in commit order. */
export function orderedIds(dbs: StoreDbs): string[] {
  const ids: string[] = [];
  for (const { value } of dbs.order.getRange()) ids.push(value);
  return ids;
}

/** The commit-order key of `id`; found by scanning when its record is unreadable. */
export function findSeq(dbs: StoreDbs, id: string): number | undefined {
  try {
    const rec = readRecord(dbs, id);
    if (rec && dbs.order.get(rec.seq) === id) return rec.seq;
  } catch (e) {
    if (!(e instanceof StoreDamageError)) throw e;
  }
  for (const { key, value } of dbs.order.getRange()) if (value === id) return key;
  return undefined;
}

/** StoreError for an id that is not in the store, listing the ones that are. */
export function unknownCheckpoint(dbs: StoreDbs, id: string): StoreError {
  const ids = orderedIds(dbs);
  const shown = ids.length > 20 ? `${ids.slice(0, 20).join(', ')}, ... (${ids.length} in all)` : ids.join(', ');
  return new StoreError(`unknown checkpoint ${id}; known: ${shown || 'none'}`);
}
