/** A store nobody may write (a read-only medium, another user's folder) can still be read. */
import { strict as assert } from 'assert';
import { spawnSync, SpawnSyncOptions } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from '../support/toolchain';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'clonecloud');
/** As root, permissions do not stop us: read the store as the unprivileged user instead. */
const AS_OTHER: SpawnSyncOptions = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

function cli(args: string[], extra: SpawnSyncOptions = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', ...extra });
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe('cli: a read-only checkpoint store', function () {
  this.timeout(120_000);

  it('can be listed, verified, diffed and restored from', () => {
    const outer = tempDir('cc-rostore-');
    fs.chmodSync(outer, 0o755);
    const store = path.join(outer, 'store');
    const made = cli(['boot', 'images/hello', '--store', store, '--checkpoint-every', '5k', '--no-summary']);
    assert.equal(made.status, 0, made.stderr);
    const expected = cli(['restore', 'c0002', '--store', store, '--no-summary']).stdout;
    const ids = (JSON.parse(cli(['checkpoints', '--store', store, '--json']).stdout).checkpoints as { id: string }[]).map((c) => c.id);
    assert.ok(ids.length >= 2);
    for (const f of fs.readdirSync(store)) fs.chmodSync(path.join(store, f), 0o444);
    fs.chmodSync(store, 0o555);
    try {
      // The store really is closed to writing for the reader.
      assert.equal(cli(['boot', 'images/hello', '--store', store, '--checkpoint-every', '5k', '--no-summary'], AS_OTHER).status, 2);
      const list = cli(['checkpoints', '--store', store, '--json'], AS_OTHER);
      assert.equal(list.status, 0, list.stderr);
      assert.deepEqual(JSON.parse(list.stdout).checkpoints.map((c: { id: string }) => c.id), ids);
      const verify = cli(['verify', '--store', store], AS_OTHER);
      assert.equal(verify.status, 0, verify.stderr);
      assert.equal(cli(['diff', 'c0001', 'c0002', '--store', store], AS_OTHER).status, 0);
      const restored = cli(['restore', 'c0002', '--store', store, '--no-summary'], AS_OTHER);
      assert.equal(restored.status, 0, restored.stderr);
      assert.equal(restored.stdout, expected);
    } finally {
      fs.chmodSync(store, 0o755);
    }
  });
});
