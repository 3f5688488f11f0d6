/**
 * Full check of a checkpoint store: every stored page re-hashed, every record's seal checked,
 * every reference of every checkpoint resolved. Damage is collected into a report instead of
 * thrown, so one bad page does not hide the rest.
 */
import { HASH_BYTES } from '../snapshot/page-hash';
import { hashKey, matchesHash, MAX_PAGE_BYTES, unseal } from './store-codec';
import { readCounters, StoreDbs } from './store-env';
import { orderedIds, readRecord } from './store-records';
import { materializeTable } from './store-tables';

/** One place a page is used. */
export interface PageReference {
  checkpoint: string;
  /** Guest page index; absent for hashes outside the page table (file blocks and such). */
  page?: number;
}

/** A page that some checkpoint needs but cannot be read back intact. */
export interface DamagedPage {
  /** Page hash, 32 hex digits. */
  hash: string;
  problem: 'corrupt' | 'missing';
  referencedBy: PageReference[];
}

/** A checkpoint whose own record, page table or extra hashes are unreadable. */
export interface DamagedRecord {
  checkpoint: string;
  problem: string;
}

/** Outcome of CheckpointStore.verify(). */
export interface VerifyReport {
  /** True when nothing below lists damage. */
  ok: boolean;
  pagesChecked: number;
  checkpointsChecked: number;
  damagedPages: DamagedPage[];
  damagedRecords: DamagedRecord[];
  /** Stored pages no checkpoint references: harmless, but a sign of an interrupted repair. */
  unreferencedPages: number;
  /** Set when the running page totals disagree with what is stored. */
  countersMismatch?: string;
}

/** Progress callback: `done` of `total` items (pages, then checkpoints). */
export type VerifyProgress = (done: number, total: number) => void;

const PROGRESS_EVERY = 1024;

/** Verify the whole store; see VerifyReport. */
export function verifyStore(dbs: StoreDbs, progress?: VerifyProgress): VerifyReport {
  const ids = orderedIds(dbs);
  const pageCount = dbs.pages.getKeysCount();
  const total = pageCount + ids.length;
  let done = 0;
  const tick = () => {
    done++;
    if (progress && (done % PROGRESS_EVERY === 0 || done === total)) progress(Math.min(done, total), total);
  };
  const report: VerifyReport = {
    ok: true,
    pagesChecked: 0,
    checkpointsChecked: 0,
    damagedPages: [],
    damagedRecords: [],
    unreferencedPages: 0,
  };

  // Pages first: the set of intact ones is what references are resolved against.
  const intact = new Set<string>();
  const corrupt = new Set<string>();
  let storedBytes = 0;
  try {
    for (const key of dbs.pages.getKeys()) {
      const h = Buffer.from(key).toString('latin1');
      // The fast buffer is reused and larger than the value: hash only its first `length` bytes.
      const fast = dbs.pages.getBinaryFast(hashKey(Buffer.from(h, 'latin1')));
      const bytes = fast?.subarray(0, fast.length);
      const size = bytes?.length ?? 0;
      storedBytes += size;
      if (bytes && size > 0 && size <= MAX_PAGE_BYTES && h.length === HASH_BYTES && matchesHash(bytes, Buffer.from(h, 'latin1'))) intact.add(h);
      else corrupt.add(h);
      report.pagesChecked++;
      tick();
    }
  } catch (e) {
    report.damagedRecords.push({ checkpoint: '(pages)', problem: `page index unreadable: ${(e as Error).message}` });
  }

  const damaged = new Map<string, DamagedPage>();
  const referenced = new Set<string>();
  const note = (hash: Uint8Array, ref: PageReference) => {
    const h = Buffer.from(hash.buffer, hash.byteOffset, HASH_BYTES).toString('latin1');
    referenced.add(h);
    if (intact.has(h)) return;
    let d = damaged.get(h);
    if (!d) {
      d = { hash: Buffer.from(h, 'latin1').toString('hex'), problem: corrupt.has(h) ? 'corrupt' : 'missing', referencedBy: [] };
      damaged.set(h, d);
    }
    d.referencedBy.push(ref);
  };

  for (const id of ids) {
    checkCheckpoint(dbs, id, note, report);
    report.checkpointsChecked++;
    tick();
  }
  checkOrderIndex(dbs, new Set(ids), report);

  report.damagedPages = [...damaged.values()];
  for (const h of intact) if (!referenced.has(h)) report.unreferencedPages++;
  for (const h of corrupt) if (!referenced.has(h)) report.unreferencedPages++;
  const c = readCounters(dbs);
  if (c.pages !== report.pagesChecked || c.pageBytes !== storedBytes) {
    report.countersMismatch = `totals say ${c.pages} pages / ${c.pageBytes} bytes, store holds ${report.pagesChecked} / ${storedBytes}`;
  }
  report.ok = report.damagedPages.length === 0 && report.damagedRecords.length === 0 && !report.countersMismatch;
  if (progress && total === 0) progress(0, 0);
  return report;
}

/** Check one checkpoint's record, page table and extras, noting every page it references. */
function checkCheckpoint(dbs: StoreDbs, id: string, note: (hash: Uint8Array, ref: PageReference) => void, report: VerifyReport): void {
  const fail = (problem: string) => report.damagedRecords.push({ checkpoint: id, problem });
  try {
    if (!readRecord(dbs, id)) fail('listed in commit order but has no record');
  } catch (e) {
    fail((e as Error).message);
  }
  try {
    const t = materializeTable(dbs, id);
    for (let i = 0; i < t.pages.length; i++) note(t.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES), { checkpoint: id, page: t.pages[i] });
  } catch (e) {
    fail((e as Error).message);
  }
  try {
    const sealed = dbs.extras.getBinary(id);
    if (!sealed) fail('extra hashes missing');
    else {
      const extras = unseal(sealed, `checkpoint ${id}: extra hashes`);
      if (extras.length % HASH_BYTES !== 0) fail('extra hashes truncated');
      for (let o = 0; o + HASH_BYTES <= extras.length; o += HASH_BYTES) note(extras.subarray(o, o + HASH_BYTES), { checkpoint: id });
    }
  } catch (e) {
    fail((e as Error).message);
  }
}

/** Records that are missing from the commit order would be invisible to listing and pruning. */
function checkOrderIndex(dbs: StoreDbs, listed: Set<string>, report: VerifyReport): void {
  try {
    for (const id of dbs.records.getKeys()) {
      if (!listed.has(id)) report.damagedRecords.push({ checkpoint: id, problem: 'has a record but is missing from the commit order' });
    }
  } catch (e) {
    report.damagedRecords.push({ checkpoint: '(records)', problem: `record index unreadable: ${(e as Error).message}` });
  }
}
