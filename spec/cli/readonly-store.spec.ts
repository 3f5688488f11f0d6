/** A store nobody may write (a read-only medium, another user's folder) can still be read. */
import { strict as assert } from 'assert';
import { spawnSync, SpawnSyncOptions } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from '../support/toolchain';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'clonecloud');

function cli(args: string[], opts: SpawnSyncOptions = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', ...opts });
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

const NOBODY: SpawnSyncOptions = { uid: 65534, gid: 65534 };

/**
 * Make `store` unwritable to the reader and return where and as whom to read it. Permissions do
 * not stop root, so as root the store is read as the unprivileged user when that user can run
 * clonecloud from here, else through a read-only bind mount (undefined when neither is possible).
 */
function readOnlyView(store: string): { view: string; as: SpawnSyncOptions; undo: () => void } | undefined {
  const root = process.getuid?.() === 0;
  if (!root || cli(['--help'], NOBODY).status === 0) {
    for (const f of fs.readdirSync(store)) fs.chmodSync(path.join(store, f), 0o444);
    fs.chmodSync(store, 0o555);
    // tempDir's folder is private to its owner; the store itself is what must stay unwritable.
    if (root) fs.chmodSync(store, 0o555);
    return { view: store, as: root ? NOBODY : {}, undo: () => fs.chmodSync(store, 0o755) };
  }
  const view = tempDir('cc-roview-');
  const bind = spawnSync('mount', ['--bind', store, view], { encoding: 'utf8' });
  if (bind.status !== 0) return undefined;
  const ro = spawnSync('mount', ['-o', 'remount,bind,ro', view], { encoding: 'utf8' });
  if (ro.status !== 0) {
    spawnSync('umount', [view]);
    return undefined;
  }
  return { view, as: {}, undo: () => spawnSync('umount', [view]) };
}

describe('cli: a read-only checkpoint store', function () {
  this.timeout(120_000);

  it('can be listed, verified, diffed and restored from', function () {
    const store = tempDir('cc-rostore-');
    const made = cli(['boot', 'images/hello', '--store', store, '--checkpoint-every', '5k', '--no-summary']);
    assert.equal(made.status, 0, made.stderr);
    const expected = cli(['restore', '2', '--store', store, '--no-summary']).stdout;
    const ids = (JSON.parse(cli(['checkpoints', '--store', store, '--json']).stdout).checkpoints as { id: string }[]).map((c) => c.id);
    assert.ok(ids.length >= 2);
    const ro = readOnlyView(store);
    if (!ro) {
      process.stderr.write('      (cannot make a read-only view of a folder here: mount is not allowed)\n');
      this.skip();
    }
    try {
      const view = ro!.view;
      // The store really is closed to writing.
      assert.equal(cli(['boot', 'images/hello', '--store', view, '--checkpoint-every', '5k', '--no-summary'], ro!.as).status, 2);
      const list = cli(['checkpoints', '--store', view, '--json'], ro!.as);
      assert.equal(list.status, 0, list.stderr);
      assert.deepEqual(
        JSON.parse(list.stdout).checkpoints.map((c: { id: string }) => c.id),
        ids,
      );
      const verify = cli(['verify', '--store', view], ro!.as);
      assert.equal(verify.status, 0, verify.stderr);
      assert.equal(cli(['diff', '1', '2', '--store', view], ro!.as).status, 0);
      const restored = cli(['restore', '2', '--store', view, '--no-summary'], ro!.as);
      assert.equal(restored.status, 0, restored.stderr);
      assert.equal(restored.stdout, expected);
    } finally {
      ro!.undo();
    }
  });
});
