/** The checkpoint commands as a user drives them, including a SIGKILL in the middle of capture. */
import { strict as assert } from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { fixtureElf } from '../support/oracle';
import { tempDir } from '../support/toolchain';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'clonecloud');

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function lastJson(stderr: string): Record<string, unknown> {
  return JSON.parse(stderr.trim().split('\n').pop()!);
}

describe('cli: checkpoints', function () {
  this.timeout(180_000);
  let store: string;
  let full: Record<string, unknown>;
  let fullOut: string;
  before(() => {
    store = path.join(tempDir('cc-cli-ckpt-'), 'store');
    const r = cli(['boot', 'images/compute', '--checkpoint-at', '20M,60M', '--checkpoint-every', '100M', '--store', store, '--json', '--', '1']);
    assert.equal(r.status, 0, r.stderr);
    full = lastJson(r.stderr);
    fullOut = r.stdout;
  });

  it('takes checkpoints at the listed counts and every n instructions', () => {
    assert.deepEqual(full.checkpoints, ['c0001', 'c0002', 'c0003']);
    assert.match(cli(['boot', 'images/hello', '--checkpoint-every', '1M']).stderr, /checkpoints need a store: add --store <dir>/);
    const list = JSON.parse(cli(['checkpoints', '--store', store, '--json']).stdout);
    const counts = list.checkpoints.map((c: { instructions: number }) => c.instructions);
    assert.ok(counts[0] <= 20e6 && counts[0] > 19.99e6, String(counts));
    assert.ok(counts[1] <= 60e6 && counts[2] <= 100e6 && counts[2] > 99.99e6, String(counts));
    assert.equal(list.checkpoints[1].parent, 'c0001');
    assert.match(cli(['checkpoints', '--store', store]).stdout, /^id +parent +image +instructions/);
  });

  it('restores to the same end: instruction count, memory hash, exit status, remaining output', () => {
    for (const id of ['c0001', 'c0003']) {
      const r = cli(['restore', id, '--store', store, '--json']);
      assert.equal(r.status, 0, r.stderr);
      const s = lastJson(r.stderr);
      assert.equal(s.instructions, full.instructions);
      assert.equal(s.memoryHash, full.memoryHash);
      assert.ok(fullOut.endsWith(r.stdout), 'the rest of the output');
    }
    const dell = lastJson(cli(['restore', 'c0002', '--store', store, '--profile', 'dell-t7400', '--json']).stderr);
    assert.equal(dell.instructions, full.instructions);
    assert.equal(dell.profile, 'dell-t7400');
    assert.ok((dell.modelledSeconds as number) < (full.modelledSeconds as number));
  });

  it('diffs, as a table and as JSON', () => {
    const t = cli(['diff', 'c0001', 'c0002', '--store', store]);
    assert.equal(t.status, 0, t.stderr);
    assert.match(t.stdout, /^c0001 -> c0002: [\d,]+ instructions/);
    assert.match(t.stdout, /\ntotal +\d+ +\d+ +\d+ +[\d.]+ MiB\n/);
    const j = JSON.parse(cli(['diff', 'c0001', 'c0002', '--store', store, '--json']).stdout);
    assert.equal(j.from, 'c0001');
    assert.ok(j.totals.changed > 0);
  });

  it('verifies, prunes, and reports unknown ids and missing stores on one line', () => {
    const v = cli(['verify', '--store', store]);
    assert.equal(v.status, 0);
    assert.match(v.stdout, /store is intact: \d+ pages and 3 checkpoints checked/);
    const p = cli(['prune', 'c0002', '--store', store]);
    assert.equal(p.status, 0, p.stderr);
    assert.match(p.stdout, /pruned 1 checkpoint\(s\); freed \d+ pages/);
    assert.match(cli(['checkpoints', '--store', store]).stdout, /c0003 +c0002 \(pruned\)/);
    const r3 = lastJson(cli(['restore', 'c0003', '--store', store, '--json']).stderr);
    assert.equal(r3.memoryHash, full.memoryHash, 'a checkpoint whose parent was pruned still restores');
    for (const [args, re] of [
      [['restore', 'c0099', '--store', store], /unknown checkpoint c0099/],
      [['checkpoints', '--store', path.join(store, 'nope')], /no checkpoint store at/],
      [['boot', 'images/hello', '--checkpoint-every', 'often', '--store', store], /expected a count/],
    ] as [string[], RegExp][]) {
      const r = cli(args);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });

  it('takes a checkpoint on demand when sent SIGUSR1', async () => {
    const dir = path.join(tempDir('cc-usr1-'), 'store');
    const child = spawn(process.execPath, [BIN, 'boot', 'images/compute', '--store', dir, '--json'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    // Signal only once the handler is in place (the process says so), a little into the run.
    while (!/kill -USR1 \d+/.test(err)) await new Promise((res) => setTimeout(res, 20));
    await new Promise((res) => setTimeout(res, 200));
    child.kill('SIGUSR1');
    assert.equal(await exited, 0, err);
    const s = lastJson(err) as { checkpoints: string[]; instructions: number };
    assert.equal(s.checkpoints.length, 1, err);
    const r = lastJson(cli(['restore', s.checkpoints[0], '--store', dir, '--json']).stderr);
    assert.equal(r.instructions, s.instructions);
  });

  it('keeps every earlier checkpoint restorable when the process is killed while capturing', async () => {
    for (const delay of [200, 350, 500]) {
      const dir = path.join(tempDir('cc-kill-'), 'store');
      const child = spawn(process.execPath, [BIN, 'boot', 'images/compute', '--checkpoint-every', '3M', '--store', dir, '--no-summary', '--', '1'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
      let seen = '';
      child.stderr.on('data', (d) => (seen += d));
      // Listen before waiting: a fast run may end on its own before the kill.
      const exited = new Promise((res) => child.on('exit', res));
      await new Promise((res) => setTimeout(res, delay));
      child.kill('SIGKILL');
      await exited;
      if (!fs.existsSync(dir)) continue;
      const list = JSON.parse(cli(['checkpoints', '--store', dir, '--json']).stdout).checkpoints as { id: string }[];
      const reported = [...seen.matchAll(/checkpoint (c\d+) at/g)].map((m) => m[1]);
      for (const id of reported) assert.ok(list.some((c) => c.id === id), `${id} was reported taken, so it must be listed`);
      assert.equal(cli(['verify', '--store', dir]).status, 0, 'no damage after the kill');
      if (list.length) {
        const last = lastJson(cli(['restore', list[list.length - 1].id, '--store', dir, '--json']).stderr);
        assert.equal(last.instructions, full.instructions);
        assert.equal(last.memoryHash, full.memoryHash);
      }
    }
  });
});

describe('cli: checkpoints carry pending signals, the prctl name and special nodes', function () {
  this.timeout(180_000);
  it('a restored run reports the same state and dies of the pending signal when it unblocks it', () => {
    const store = path.join(tempDir('cc-cli-kstate-'), 'store');
    const elf = fixtureElf('kstate');
    const r = cli(['boot', '--elf', elf, '--checkpoint-at', '5M', '--store', store, '--no-summary']);
    assert.equal(r.stdout, 'pending SIGTERM 1, name kstate-named, fifo 1\n');
    assert.equal(r.status, 143, r.stderr);
    const again = cli(['restore', 'c0001', '--store', store, '--no-summary']);
    assert.equal(again.stdout, r.stdout);
    assert.equal(again.status, 143, again.stderr);
  });
});
