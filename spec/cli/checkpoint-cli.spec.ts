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
  /** The three checkpoints the run took. */
  let c1: string, c2: string, c3: string;
  before(() => {
    store = path.join(tempDir('cc-cli-ckpt-'), 'store');
    const r = cli(['boot', 'images/compute', '--checkpoint-at', '20M,60M', '--checkpoint-every', '100M', '--store', store, '--json', '--', '1']);
    assert.equal(r.status, 0, r.stderr);
    full = lastJson(r.stderr);
    fullOut = r.stdout;
    [c1, c2, c3] = full.checkpoints as string[];
  });

  it('takes checkpoints at the listed counts and every n instructions', () => {
    const ids = full.checkpoints as string[];
    assert.equal(ids.length, 3);
    const run = ids[0].split('-')[0];
    assert.match(run, /^[a-z][a-z0-9]{5}$/, 'a short random run part');
    assert.deepEqual(
      ids,
      [1, 2, 3].map((n) => `${run}-${n}`),
      "then the run's sequence number",
    );
    assert.match(cli(['boot', 'images/hello', '--checkpoint-every', '1M']).stderr, /checkpoints need a store: add --store <dir>/);
    const list = JSON.parse(cli(['checkpoints', '--store', store, '--json']).stdout);
    const counts = list.checkpoints.map((c: { instructions: number }) => c.instructions);
    assert.ok(counts[0] <= 20e6 && counts[0] > 19.99e6, String(counts));
    assert.ok(counts[1] <= 60e6 && counts[2] <= 100e6 && counts[2] > 99.99e6, String(counts));
    assert.equal(list.checkpoints[1].parent, c1);
    assert.match(cli(['checkpoints', '--store', store]).stdout, /^id +parent +image +instructions/);
  });

  it('restores to the same end: instruction count, memory hash, exit status, remaining output', () => {
    // By full id and by the sequence form, which is unambiguous in a store of one run.
    for (const id of [c1, '3']) {
      const r = cli(['restore', id, '--store', store, '--json']);
      assert.equal(r.status, 0, r.stderr);
      const s = lastJson(r.stderr);
      assert.equal(s.instructions, full.instructions);
      assert.equal(s.memoryHash, full.memoryHash);
      assert.ok(fullOut.endsWith(r.stdout), 'the rest of the output');
    }
    const dell = lastJson(cli(['restore', c2, '--store', store, '--profile', 'dell-t7400', '--json']).stderr);
    assert.equal(dell.instructions, full.instructions);
    assert.equal(dell.profile, 'dell-t7400');
    assert.ok((dell.modelledSeconds as number) < (full.modelledSeconds as number));
  });

  it('diffs, as a table and as JSON', () => {
    const t = cli(['diff', c1, c2, '--store', store]);
    assert.equal(t.status, 0, t.stderr);
    assert.ok(t.stdout.startsWith(`${c1} -> ${c2}: `), t.stdout);
    assert.match(t.stdout, /^\S+ -> \S+: [\d,]+ instructions/);
    assert.match(t.stdout, /\ntotal +\d+ +\d+ +\d+ +[\d.]+ MiB\n/);
    const j = JSON.parse(cli(['diff', '1', c2, '--store', store, '--json']).stdout);
    assert.equal(j.from, c1);
    assert.equal(j.to, c2);
    assert.ok(j.totals.changed > 0);
  });

  it('verifies, prunes, and reports unknown ids and missing stores on one line', () => {
    const v = cli(['verify', '--store', store]);
    assert.equal(v.status, 0);
    assert.match(v.stdout, /store is intact: \d+ pages and 3 checkpoints checked/);
    const p = cli(['prune', c2, '--store', store]);
    assert.equal(p.status, 0, p.stderr);
    assert.match(p.stdout, /pruned 1 checkpoint\(s\); freed \d+ pages/);
    assert.match(cli(['checkpoints', '--store', store]).stdout, new RegExp(`${c3} +${c2} \\(pruned\\)`));
    const r3 = lastJson(cli(['restore', c3, '--store', store, '--json']).stderr);
    assert.equal(r3.memoryHash, full.memoryHash, 'a checkpoint whose parent was pruned still restores');
    for (const [args, re] of [
      [['restore', 'c0099', '--store', store], /unknown checkpoint c0099; known: /],
      [['restore', c1.split('-')[0], '--store', store], /checkpoint \S+ is ambiguous: it could be /],
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
    // A prefix only one id starts with names that checkpoint.
    const r = lastJson(cli(['restore', s.checkpoints[0].slice(0, 3), '--store', dir, '--json']).stderr);
    assert.equal(r.instructions, s.instructions);
  });

  it('leaves no half-made store when the process is killed as the store appears', async () => {
    // Killed the moment the folder (or its database file) shows up: a store used to be laid out
    // in place, and one killed then crashed its readers or was "no checkpoint store".
    for (const [i, watched] of ['', 'data.mdb', '', 'data.mdb', '', 'data.mdb'].entries()) {
      const dir = path.join(tempDir('cc-kill-'), 'store');
      const child = spawn(process.execPath, [BIN, 'boot', 'images/hello', '--checkpoint-every', '5000', '--store', dir, '--no-summary'], {
        cwd: ROOT,
        stdio: 'ignore',
      });
      const exited = new Promise((res) => child.on('exit', res));
      let ended = false;
      void exited.then(() => (ended = true));
      while (!ended && !fs.existsSync(path.join(dir, watched))) await new Promise((res) => setImmediate(res));
      child.kill('SIGKILL');
      await exited;
      const listed = cli(['checkpoints', '--store', dir, '--json']);
      assert.equal(listed.status, 0, `trial ${i}: ${listed.stderr}`);
      assert.ok(Array.isArray(JSON.parse(listed.stdout).checkpoints));
      assert.equal(cli(['verify', '--store', dir]).status, 0);
    }
  });

  it('keeps every earlier checkpoint restorable when the process is killed while capturing', async () => {
    for (const delay of [200, 350, 500]) {
      const dir = path.join(tempDir('cc-kill-'), 'store');
      const child = spawn(process.execPath, [BIN, 'boot', 'images/compute', '--checkpoint-every', '3M', '--store', dir, '--no-summary', '--', '1'], {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let seen = '';
      child.stderr.on('data', (d) => (seen += d));
      // Listen before waiting: a fast run may end on its own before the kill.
      const exited = new Promise((res) => child.on('exit', res));
      await new Promise((res) => setTimeout(res, delay));
      child.kill('SIGKILL');
      await exited;
      if (!fs.existsSync(dir)) continue;
      const listed = cli(['checkpoints', '--store', dir, '--json']);
      assert.equal(listed.status, 0, `killed after ${delay} ms: ${listed.stderr}`);
      const list = JSON.parse(listed.stdout).checkpoints as { id: string }[];
      const reported = [...seen.matchAll(/checkpoint (\S+) at/g)].map((m) => m[1]);
      for (const id of reported)
        assert.ok(
          list.some((c) => c.id === id),
          `${id} was reported taken, so it must be listed`,
        );
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
    const again = cli(['restore', '1', '--store', store, '--no-summary']);
    assert.equal(again.stdout, r.stdout);
    assert.equal(again.status, 143, again.stderr);
  });
});
