/**
 * A checkpoint store on a full disk: checkpointing stops with a line saying so, every checkpoint
 * already stored stays, and the guest runs to its end with all of its output.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from '../support/toolchain';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'clonecloud');

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

describe('cli: a checkpoint store on a full disk', function () {
  this.timeout(120_000);
  let mnt: string | undefined;

  before(function () {
    // A small file system of our own to fill: a 24 MiB tmpfs (needs the right to mount).
    const dir = tempDir('cc-fulldisk-');
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', dir], { encoding: 'utf8' });
    if (m.status !== 0) {
      process.stderr.write(`      (no small file system to fill here: mount said ${JSON.stringify((m.stderr || String(m.error)).trim())})\n`);
      this.skip();
    }
    mnt = dir;
  });

  after(() => {
    if (mnt) spawnSync('umount', [mnt]);
  });

  it('stops checkpointing in one line, keeps the earlier checkpoints and lets the guest finish', () => {
    const store = path.join(mnt!, 'store');
    const whole = cli(['boot', 'images/memtouch', '--no-summary']);
    assert.equal(whole.status, 0);
    // memtouch's first checkpoints fit in 24 MiB; its 176 MiB of pages do not.
    const r = cli(['boot', 'images/memtouch', '--store', store, '--checkpoint-every', '2M', '--no-summary']);
    assert.equal(r.signal, null);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stdout, whole.stdout, 'the guest ran to its end with all its output');
    // (LMDB's own C code may print a "Write error" of its own first.)
    assert.match(r.stderr, /clonecloud: checkpoints stopped at [\d,]+ instructions: .*is the disk full\?.*the run goes on without them\n/);
    assert.equal(
      r.stderr.match(/clonecloud: (checkpoints stopped|checkpoint \S+ could not be stored)/g)?.length,
      2,
      'the stop, and which checkpoint failed first',
    );
    assert.doesNotMatch(r.stderr, /Commit failed|at .*index\.cjs/, 'no stack trace of the database library');
    const list = cli(['checkpoints', '--store', store, '--json']);
    assert.equal(list.status, 0, list.stderr);
    const ids = (JSON.parse(list.stdout).checkpoints as { id: string }[]).map((c) => c.id);
    assert.ok(ids.length > 0, 'the checkpoints that fitted are kept');
    assert.equal(cli(['verify', '--store', store]).status, 0);
    fs.rmSync(store, { recursive: true, force: true });
  });
});
