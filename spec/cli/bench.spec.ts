/** `clonecloud bench fsscan` on a small tree: rows, speedups, files written. */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { advantageLadder, parseGcStats } from '../../emulator/experiments/fsscan-experiment';
import { findProfile } from '../../emulator/model/profiles';
import { tempDir } from '../support/toolchain';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** `clonecloud bench ARGS...` in its own process. */
const bench = (...args: string[]) => spawnSync(process.execPath, [path.join(ROOT, 'bin', 'clonecloud'), 'bench', ...args], { cwd: ROOT, encoding: 'utf8' });

describe('cli: bench fsscan', function () {
  this.timeout(120_000);

  it('adds one advantage at a time from the phone to the clone', () => {
    const ladder = advantageLadder(findProfile('htc-g1'), findProfile('clone-2009'));
    assert.deepEqual(
      ladder.map((c) => [c.profile.clockHz, c.profile.ramBytes]),
      [
        [528e6, 192 * 2 ** 20],
        [2.83e9, 192 * 2 ** 20],
        [2.83e9, 4 * 2 ** 30],
        [2.83e9, 4 * 2 ** 30],
      ],
    );
  });

  it('reads the GC figures the scan prints', () => {
    const s = parseGcStats('fsscan: gc collections 12 allocated_objects 1 heap_limit 16777216\nfsscan: gc_cpu_ns 5 total_cpu_ns 20 gc_share 25.0%\n');
    assert.deepEqual(s, { heapLimit: 16777216, collections: 12, gcCpuNs: 5, totalCpuNs: 20 });
    assert.throws(() => parseGcStats('hello'), /no heap limit/);
  });

  it('runs the experiment and writes results.json and chart.svg', () => {
    const out = tempDir('cc-bench-');
    const r = bench('fsscan', '--entries', '1000', '--out', out, '--json');
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.results.length, 4);
    assert.equal(new Set(j.results.map((x: { summary: string }) => x.summary)).size, 1);
    assert.equal(j.results[0].speedup, 1);
    const g1 = findProfile('htc-g1');
    const clone = findProfile('clone-2009');
    // The same work with the same heap (only the printed timings differ): the clock step is the clock x IPC ratio.
    assert.ok(Math.abs(j.results[1].instructions - j.results[0].instructions) < 1000);
    assert.ok(Math.abs(j.results[1].speedup - (clone.clockHz * clone.ipc) / (g1.clockHz * g1.ipc)) < 0.01);
    assert.ok(j.results[2].heapLimit > j.results[1].heapLimit, 'the clone RAM gives a larger heap');
    assert.ok(j.results[2].collections <= j.results[1].collections);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')).results, j.results);
    assert.match(fs.readFileSync(path.join(out, 'chart.svg'), 'utf8'), /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const bad = bench('nope');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown benchmark "nope"; available: fsscan/);
  });

  it('--runtime lua runs the Lua scan ladder beside the C scan ladder: the same summary on every row', () => {
    const out = tempDir('cc-bench-lua-');
    const cli = (...args: string[]) => bench('fsscan', ...args);
    const r = cli('--runtime', 'lua', '--entries', '600', '--out', out, '--json');
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.runtime, 'lua');
    assert.equal(j.results.length, 4);
    assert.equal(j.c.length, 4);
    assert.equal(new Set([...j.results, ...j.c].map((x: { summary: string }) => x.summary)).size, 1, 'Lua and C agree on the checksum');
    assert.match(j.results[0].summary, /^fsscan: entries 600 dirs \d+ files \d+ bytes \d+ index [0-9a-f]{8}$/);
    assert.ok(j.results[0].instructions > 5 * j.c[0].instructions, 'the interpreter does more work than the native scan');
    assert.equal(j.results[0].heapLimit, 16 * 2 ** 20, "the G1's Dalvik-sized heap");
    assert.equal(j.results[3].heapLimit, 256 * 2 ** 20);
    const bad = cli('--runtime', 'java');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--runtime: one of c, lua/);
  });
});

describe('cli: bench cores', function () {
  this.timeout(300_000);

  it('runs the parallel image on each core count: same result, speedup and efficiency against one core', () => {
    const out = tempDir('cc-bench-cores-');
    const r = bench('cores', '--cores', '1,2,4', '--out', out, '--json');
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as {
      results: { cores: number; threads: number; speedup: number; efficiency: number; modelledSeconds: number; outputHash: string; hostSeconds: number }[];
    };
    assert.deepEqual(
      report.results.map((x) => [x.cores, x.threads]),
      [
        [1, 1],
        [2, 2],
        [4, 4],
      ],
    );
    assert.equal(new Set(report.results.map((x) => x.outputHash)).size, 1);
    assert.equal(report.results[0].speedup, 1);
    for (const x of report.results) {
      assert.ok(Math.abs(x.speedup - report.results[0].modelledSeconds / x.modelledSeconds) < 1e-9);
      assert.ok(Math.abs(x.efficiency - x.speedup / x.cores) < 1e-9);
      assert.ok(x.hostSeconds > 0);
    }
    assert.ok(report.results[2].speedup > 3, `4 cores: ${report.results[2].speedup}`);
    assert.ok(fs.existsSync(path.join(out, 'results.json')) && fs.existsSync(path.join(out, 'chart.svg')));
  });

  it('refuses core counts that are not whole numbers from 1 to 1024, in one line', () => {
    const r = bench('cores', '--cores', '0,2');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr.trim(), /^clonecloud: --cores: core counts as whole numbers from 1 to 1024/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
