/**
 * Reading a damaged LMDB file can crash the process inside the native library (a random or
 * truncated data.mdb, a flipped byte in a branch page): no exception, just SIGSEGV or SIGBUS.
 * Commands therefore read a store once in a child process first, and turn a crash there into a
 * one-line StoreDamageError instead of dying of it themselves.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { StoreDamageError, StoreError } from '../snapshot/errors';

const CHILD = path.join(__dirname, 'store-probe-child.js');
/** A probe that takes longer than this is taken for a library caught in a damaged structure. */
const PROBE_TIMEOUT_MS = 120_000;

/** Check that the store in `dir` (if it holds a database file) can be read without crashing. */
export function probeStore(dir: string): void {
  if (!fs.existsSync(path.join(path.resolve(dir), 'data.mdb'))) return;
  const r = spawnSync(process.execPath, [CHILD, dir], { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS });
  if (r.error && (r.error as NodeJS.ErrnoException).code !== 'ETIMEDOUT') throw r.error;
  if (r.status === 0) return;
  if (r.status === 3) throw new StoreError(r.stderr.trim());
  const how =
    r.signal === 'SIGTERM'
      ? `did not finish within ${PROBE_TIMEOUT_MS / 1000} s`
      : r.signal
        ? `crashed (${r.signal})`
        : `failed (${r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`})`;
  throw new StoreDamageError(
    `${dir}: the store's database file is damaged: reading it ${how}; nothing was changed — restore the folder from a copy or use a new store`,
  );
}
