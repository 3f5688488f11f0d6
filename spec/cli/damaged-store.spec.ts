/**
 * A store whose database file is damaged — random bytes, truncated, single bytes flipped — is
 * reported in one line by every command that reads it, never by a native crash, and a restore
 * that does succeed ends exactly as the undamaged one.
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

/** Every reading command on `store`: each either succeeds or fails with one line, never a signal. */
function readAll(store: string, restored: string): void {
  for (const args of [['checkpoints'], ['verify'], ['diff', '1', '2'], ['restore', '2', '--no-summary']]) {
    const r = cli([...args, '--store', store]);
    assert.equal(r.signal, null, `${args[0]} died of ${r.signal}`);
    assert.ok(r.status !== null && r.status < 128, `${args[0]} exit ${r.status}: ${r.stderr}`);
    // verify's answer to damage is its report and exit code 1; any other failure is one line.
    const reported = args[0] === 'verify' && r.status === 1 && /damaged|do not match|missing/i.test(r.stdout + r.stderr);
    if (r.status !== 0 && !reported)
      assert.match(r.stderr, /^clonecloud: [^\n]+\n$/, `${args[0]} exit ${r.status}: one line, got ${JSON.stringify(r.stderr.slice(0, 300))}`);
    if (args[0] === 'restore' && r.status === 0) assert.equal(r.stdout, restored, 'a restore that succeeds restores the right run');
  }
}

describe('cli: a damaged checkpoint store', function () {
  this.timeout(600_000);
  let good: string;
  let restored: string;

  before(() => {
    good = tempDir('cc-goodstore-');
    const b = cli(['boot', 'images/hello', '--store', good, '--checkpoint-every', '5k', '--no-summary']);
    assert.equal(b.status, 0, b.stderr);
    const r = cli(['restore', '2', '--store', good, '--no-summary']);
    assert.equal(r.status, 0, r.stderr);
    restored = r.stdout;
  });

  function damaged(change: (data: Buffer) => Buffer): string {
    const dir = tempDir('cc-badstore-');
    fs.writeFileSync(path.join(dir, 'data.mdb'), change(fs.readFileSync(path.join(good, 'data.mdb'))));
    return dir;
  }

  it('random bytes in place of the database: one line, exit 2', () => {
    const dir = damaged((d) => Buffer.from(Array.from({ length: d.length }, (_, i) => (i * 7919 + 13) & 0xff)));
    const r = cli(['checkpoints', '--store', dir]);
    assert.equal(r.signal, null);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^clonecloud: .*damaged.*\n$/);
    readAll(dir, restored);
  });

  it('truncated to 100 B, 4 KiB, 8 KiB and half: one line each', () => {
    for (const size of [100, 4096, 8192, -1]) {
      const dir = damaged((d) => d.subarray(0, size < 0 ? d.length >> 1 : size));
      readAll(dir, restored);
    }
  });

  it('one byte flipped anywhere (24 places): never a crash, never a wrong restore', () => {
    const size = fs.statSync(path.join(good, 'data.mdb')).size;
    for (let i = 0; i < 24; i++) {
      const at = Math.floor((((i * 2654435761) % 4294967296) / 4294967296) * size);
      const dir = damaged((d) => {
        const copy = Buffer.from(d);
        copy[at] ^= 0x5a;
        return copy;
      });
      readAll(dir, restored);
    }
  });
});
