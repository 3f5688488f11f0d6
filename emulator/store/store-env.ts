/**
 * Opening the LMDB environment behind a checkpoint store: checks that the folder is a store of
 * the version this code reads (or empty, to create one) and opens its sub-databases.
 *
 * Layout inside the folder (LMDB's own files, data.mdb and lock.mdb):
 *   root db  'format'   -> { store, version }            JSON
 *            'counters' -> { nextSeq, pages, pageBytes } JSON
 *   pages    16-byte hash -> raw page or block bytes (never all zeros)
 *   records  id -> sealed JSON { seq, parent, manifest }
 *   tables   id -> sealed encoded page table
 *   extras   id -> sealed concatenated 16-byte hashes
 *   order    seq (u32) -> id, so listing follows commit order
 * "Sealed" means prefixed with the payload's 16-byte hash (see store-codec).
 */
import { spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Database, open, RootDatabase } from 'lmdb';
import { CheckpointFormatError, StoreError } from '../snapshot/errors';

/**
 * Version of the on-disk layout above (the container); bump on any incompatible change. What a
 * checkpoint holds is versioned on its own (machine/state-version.ts), so a new snapshot version
 * does not change this one.
 */
export const STORE_FORMAT_VERSION = 1;

const STORE_TAG = 'clonecloud-checkpoints';
const CREATE_CHILD = path.join(__dirname, 'store-create-child.js');
const LMDB_FILES = new Set(['data.mdb', 'lock.mdb']);

/** How the store was asked to open. */
export interface OpenOptions {
  /** Create the store when the folder is missing or empty (default true). */
  create?: boolean;
  readOnly?: boolean;
}

/** The `format` record. */
interface FormatRecord {
  store: string;
  version: number;
}

/** Running totals kept in the same transactions that change them, so stats() needs no scan. */
export interface Counters {
  nextSeq: number;
  pages: number;
  pageBytes: number;
}

/** Root-database values: the format record or the counters. */
export type RootValue = FormatRecord | Counters;

/** Handles of every sub-database of an open store. */
export interface StoreDbs {
  dir: string;
  root: RootDatabase<RootValue, string>;
  pages: Database<Buffer, Buffer>;
  records: Database<Buffer, string>;
  tables: Database<Buffer, string>;
  extras: Database<Buffer, string>;
  order: Database<string, number>;
}

/** Open (or create) the store in `dir`, failing with StoreError or CheckpointFormatError. */
export function openStoreEnv(dir: string, opts: OpenOptions = {}): StoreDbs {
  const abs = path.resolve(dir);
  const create = (opts.create ?? true) && !opts.readOnly;
  const state = folderState(abs, dir);
  if (state === 'missing' || state === 'empty') {
    if (!create) throw new StoreError(`no checkpoint store at ${dir}`);
    createStore(abs, dir);
  }
  // Durability: LMDB-js defaults (overlappingSync on Linux). A commit is complete and survives
  // a killed process when commit() returns; its fsync runs right after, off the main thread, so
  // a power cut can lose the last few commits (the store reopens at the last flushed one, still
  // consistent). flush() waits for that fsync. noSync measured only ~25% faster here, because
  // copying the bytes into the page cache, not the fsync, dominates a commit.
  const root = open<RootValue, string>({
    path: abs,
    noSubdir: false,
    encoding: 'json',
    readOnly: opts.readOnly ?? false,
    maxDbs: 8,
  });
  try {
    checkFormat(root, dir, create);
    return openDbs(dir, root);
  } catch (e) {
    // The store is refused for the error rethrown here; a failure to close it adds nothing.
    void root.close().catch(() => undefined);
    throw e;
  }
}

/**
 * Make a new store at `abs` so that no process ever sees half of one: it is built in a private
 * sibling folder by a child process (LMDB's close is asynchronous, and a process killed while
 * LMDB lays out a new file leaves one that crashes its readers), then renamed into place. When
 * another process got there first, its store is kept and this one discarded.
 */
function createStore(abs: string, dir: string): void {
  const parent = path.dirname(abs);
  makeFolder(parent, path.dirname(dir));
  const prefix = `.${path.basename(abs)}.creating-`;
  removeAbandoned(parent, prefix);
  const tmp = path.join(parent, `${prefix}${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    makeFolder(tmp, dir);
    const r = spawnSync(process.execPath, [CREATE_CHILD, tmp], { encoding: 'utf8' });
    if (r.error) throw new StoreError(`cannot create the checkpoint store ${dir}: ${r.error.message}`);
    if (r.status !== 0) {
      const why = r.stderr.trim().split('\n').pop() || (r.signal ? `the creating process died of ${r.signal}` : `exit ${r.status}`);
      throw new StoreError(`cannot create the checkpoint store ${dir}: ${why}`);
    }
    try {
      // Replaces a missing or empty folder; a store another process moved in first stays.
      fs.renameSync(tmp, abs);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw new StoreError(`cannot create the checkpoint store ${dir}: ${(e as Error).message}`);
    }
  } finally {
    removeQuietly(tmp);
  }
}

/** Remove private folders left by creators that were killed (their process is gone). */
function removeAbandoned(parent: string, prefix: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(parent).filter((n) => n.startsWith(prefix));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]);
    if (Number.isInteger(pid) && pid > 0 && !processAlive(pid)) removeQuietly(path.join(parent, name));
  }
}

/** Whether process `pid` exists (one we may not signal exists too). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove the private folder; when it could not even be made there is nothing to remove. */
function removeQuietly(tmp: string): void {
  try {
    fs.rmSync(tmp, { recursive: true, force: true });
  } catch {
    // ENOTDIR and the like: the folder was never created
  }
}

/** Lay out a new store in the empty folder `dir` (format and counters records, every sub-database) and close it. */
export async function initStoreEnv(dir: string): Promise<void> {
  const root = open<RootValue, string>({ path: dir, noSubdir: false, encoding: 'json', maxDbs: 8 });
  try {
    writeFormat(root);
    openDbs(dir, root);
    await root.flushed;
  } finally {
    await root.close();
  }
}

/** Open (in a writable environment: create) every sub-database. */
function openDbs(dir: string, root: RootDatabase<RootValue, string>): StoreDbs {
  const dbs: StoreDbs = {
    dir,
    root,
    pages: root.openDB<Buffer, Buffer>({ name: 'pages', encoding: 'binary', keyEncoding: 'binary' }),
    records: root.openDB<Buffer, string>({ name: 'records', encoding: 'binary' }),
    tables: root.openDB<Buffer, string>({ name: 'tables', encoding: 'binary' }),
    extras: root.openDB<Buffer, string>({ name: 'extras', encoding: 'binary' }),
    order: root.openDB<string, number>({ name: 'order', encoding: 'string', keyEncoding: 'uint32' }),
  };
  // Read-only, a sub-database that was never made comes back undefined: a store whose creation
  // was interrupted before stores were made in a private folder and moved into place.
  const missing = (['pages', 'records', 'tables', 'extras', 'order'] as const).filter((k) => dbs[k] === undefined);
  if (missing.length)
    throw new StoreError(
      `${dir}: the checkpoint store was never finished (it has no ${missing.join(', ')} database); it holds no checkpoint: remove the folder or give a new one`,
    );
  return dbs;
}

/** Read the counters record. */
export function readCounters(dbs: StoreDbs): Counters {
  const c = dbs.root.get('counters') as Counters | undefined;
  return c ?? { nextSeq: 1, pages: 0, pageBytes: 0 };
}

/** Bytes the database files take on disk. */
export function diskBytes(dbs: StoreDbs): number {
  let total = 0;
  for (const f of LMDB_FILES) {
    try {
      total += fs.statSync(path.join(path.resolve(dbs.dir), f)).size;
    } catch {
      // lock.mdb may be absent on a read-only medium; it holds no data anyway
    }
  }
  return total;
}

type FolderState = 'missing' | 'empty' | 'lmdb';

/** Classify the folder without touching it, refusing folders that hold something else. */
/**
 * Create `abs` and its missing parents one level at a time. Node's recursive mkdir retries
 * forever where the kernel answers ENOENT for a parent that exists (inside /proc), so each
 * level is made once and any failure is reported.
 */
function makeFolder(abs: string, dir: string): void {
  const missing: string[] = [];
  let cur = abs;
  while (!fs.existsSync(cur)) {
    missing.unshift(cur);
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  for (const level of missing) {
    try {
      fs.mkdirSync(level);
    } catch (e) {
      throw new StoreError(`cannot create the checkpoint store folder ${dir}: ${(e as Error).message}`);
    }
  }
}

function folderState(abs: string, dir: string): FolderState {
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    return 'missing';
  }
  if (!st.isDirectory()) throw new StoreError(`${dir} is not a checkpoint store: it is a file, not a folder`);
  const entries = fs.readdirSync(abs);
  if (entries.includes('data.mdb')) return 'lmdb';
  const others = entries.filter((e) => !LMDB_FILES.has(e));
  if (others.length === 0) return 'empty';
  const shown = others.slice(0, 5).join(', ') + (others.length > 5 ? ', ...' : '');
  throw new StoreError(`${dir} is not a checkpoint store: it holds other files (${shown}); give an empty or new folder`);
}

/** Write the records a new store starts with. */
function writeFormat(root: RootDatabase<RootValue, string>): void {
  root.transactionSync(() => {
    root.putSync('format', { store: STORE_TAG, version: STORE_FORMAT_VERSION });
    root.putSync('counters', { nextSeq: 1, pages: 0, pageBytes: 0 });
  });
}

/** Check the format record; write it first when the database is brand new. */
function checkFormat(root: RootDatabase<RootValue, string>, dir: string, create: boolean): void {
  const format = root.get('format') as FormatRecord | undefined;
  if (format === undefined) {
    // A database with no keys at all: one whose creation was interrupted before stores were made
    // in a private folder and moved into place.
    if (root.getKeysCount() !== 0) throw new StoreError(`${dir} is not a checkpoint store: its database belongs to something else`);
    if (!create) throw new StoreError(`no checkpoint store at ${dir}`);
    writeFormat(root);
    return;
  }
  if (format.store !== STORE_TAG) throw new StoreError(`${dir} is not a checkpoint store: its database belongs to something else`);
  if (format.version !== STORE_FORMAT_VERSION) {
    throw new CheckpointFormatError(`checkpoint store ${dir} is format version ${format.version}; this clonecloud reads version ${STORE_FORMAT_VERSION}`);
  }
}
