/**
 * The format-1 store fixture: every LMDB record of a checkpoint store written by the release that
 * wrote checkpoint format 1, kept as JSON (spec/fixtures/format1-store.json, made by
 * format1-generate.ts), and written back at test time into a fresh LMDB environment byte for
 * byte, so tests read a genuine old store with whatever code they run.
 */
import * as fs from 'fs';
import * as path from 'path';
import { open, RootDatabase } from 'lmdb';

/** Where the fixture lives in the source tree. */
export const FORMAT1_FIXTURE = path.resolve(__dirname, '..', '..', '..', 'spec', 'fixtures', 'format1-store.json');

/** How a sub-database's keys are stored: raw bytes (base64 here), strings, or LMDB integer keys. */
type KeyKind = 'binary' | 'string' | 'uint32';

/** The sub-databases of a format-1 store and their key kinds (as store/store-env.ts opened them then). */
const SUB_DBS: Record<string, KeyKind> = { pages: 'binary', records: 'string', tables: 'string', extras: 'string', order: 'uint32' };
/** The root database's own records (the rest of its keys name the sub-databases). */
const ROOT_KEYS = ['format', 'counters'];

/** One stored record: its key in its database's key kind, its value as base64 of the stored bytes. */
export interface DumpedRecord {
  key: string | number;
  value: string;
}

/** What one restore of a fixture checkpoint printed and how it ended (recorded with the old code). */
export interface RecordedRestore {
  stdout: string;
  stderr: string;
  status: number;
  instructions: number;
  memoryHash: string;
}

/** The fixture file. */
export interface Format1Fixture {
  /** How the store was made. */
  made: string;
  /** Guest output of the uninterrupted run. */
  run: RecordedRestore;
  /** Database name ('' for the root) → its records in key order. */
  databases: Record<string, DumpedRecord[]>;
  /** Checkpoint id → what `clonecloud restore <id>` gave. */
  restores: Record<string, RecordedRestore>;
}

function keyOptions(kind: KeyKind): { keyEncoding?: 'binary' | 'uint32' } {
  return kind === 'string' ? {} : { keyEncoding: kind };
}

function openRaw(dir: string, readOnly: boolean): RootDatabase<Buffer, string> {
  return open<Buffer, string>({ path: dir, noSubdir: false, encoding: 'binary', readOnly, maxDbs: 8 });
}

/** Every record of the store in `dir`, exactly as stored. */
export function dumpStore(dir: string): Record<string, DumpedRecord[]> {
  const root = openRaw(dir, true);
  try {
    const out: Record<string, DumpedRecord[]> = { '': [] };
    for (const key of ROOT_KEYS) {
      const v = root.getBinary(key);
      if (v) out[''].push({ key, value: Buffer.from(v).toString('base64') });
    }
    for (const [name, kind] of Object.entries(SUB_DBS)) {
      const db = root.openDB<Buffer, Buffer | string | number>({ name, encoding: 'binary', ...keyOptions(kind) });
      out[name] = [];
      for (const { key, value } of db.getRange()) {
        const k = kind === 'binary' ? Buffer.from(key as Buffer).toString('base64') : (key as string | number);
        out[name].push({ key: k, value: Buffer.from(value).toString('base64') });
      }
    }
    return out;
  } finally {
    void root.close();
  }
}

/** Write `databases` into a fresh LMDB environment in `dir` (created; must not hold a store yet). */
export async function writeStore(dir: string, databases: Record<string, DumpedRecord[]>): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const root = openRaw(dir, false);
  try {
    const subs = Object.entries(SUB_DBS).map(([name, kind]) => ({
      name,
      kind,
      db: root.openDB<Buffer, Buffer | string | number>({ name, encoding: 'binary', ...keyOptions(kind) }),
    }));
    root.transactionSync(() => {
      for (const r of databases[''] ?? []) root.putSync(r.key as string, Buffer.from(r.value, 'base64'));
      for (const { name, kind, db } of subs) {
        for (const r of databases[name] ?? []) {
          const key = kind === 'binary' ? Buffer.from(r.key as string, 'base64') : r.key;
          db.putSync(key, Buffer.from(r.value, 'base64'));
        }
      }
    });
  } finally {
    await root.close();
  }
}

/** The fixture as committed. */
export function readFormat1Fixture(): Format1Fixture {
  return JSON.parse(fs.readFileSync(FORMAT1_FIXTURE, 'utf8')) as Format1Fixture;
}

/** A genuine format-1 store in `dir`, made from the fixture; returns the fixture. */
export async function makeFormat1Store(dir: string): Promise<Format1Fixture> {
  const fixture = readFormat1Fixture();
  await writeStore(dir, fixture.databases);
  return fixture;
}
