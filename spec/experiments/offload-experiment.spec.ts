/**
 * `clonecloud bench offload` on its smallest configuration (the virus scanner's small input over
 * Wi-Fi): the JSON's shape, the files written, the offloaded run printing what the phone-only run
 * prints, and the small input staying on the phone.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { LinkRun, OffloadRow, outputErrors, parseList } from '../../emulator/experiments/offload-experiment';
import { tempDir } from '../support/toolchain';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'clonecloud');

describe('experiments: bench offload', function () {
  this.timeout(60_000);

  it('parses the lists of apps, sizes and links', () => {
    assert.deepEqual(parseList(undefined, ['a', 'b'], ['a', 'b'], '--apps'), ['a', 'b']);
    assert.deepEqual(parseList(' b ,a', ['a', 'b'], ['a'], '--apps'), ['b', 'a']);
    assert.deepEqual(parseList('x,y', undefined, ['a'], '--links'), ['x', 'y']);
    assert.throws(() => parseList('c', ['a', 'b'], ['a'], '--apps'), /--apps: unknown "c"; use a, b/);
    assert.throws(() => parseList(' , ', ['a'], ['a'], '--sizes'), /--sizes: give at least one/);
  });

  it('flags an offloaded run whose output differs from the phone-only run', () => {
    const link = (id: string, sameOutput: boolean) => ({ link: id, sameOutput }) as LinkRun;
    const row = { app: 'virusscan', size: 'medium', links: [link('wifi-2009', true), link('3g-2009', false)] } as OffloadRow;
    assert.deepEqual(outputErrors([row]), ['virusscan medium over 3g-2009: the offloaded run printed different output from the phone-only run']);
  });

  it('runs the virus scanner small over Wi-Fi: same output, stays local, results.json and charts written', () => {
    const out = tempDir('cc-bench-offload-');
    const r = spawnSync(
      process.execPath,
      [BIN, 'bench', 'offload', '--apps', 'virusscan', '--sizes', 'small', '--links', 'wifi-2009', '--out', out, '--json'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stderr.trim().split('\n'), [
      'clonecloud: [1/2] virusscan small: phone only',
      'clonecloud: [2/2] virusscan small: --offload auto over wifi-2009',
    ]);
    const j = JSON.parse(r.stdout);
    assert.equal(j.benchmark, 'offload');
    assert.equal(j.phone, 'htc-g1');
    assert.equal(j.clone, 'dell-t7400');
    assert.deepEqual(j.errors, []);
    assert.match(j.published.perAppNote, /not found/);
    assert.equal(j.rows.length, 1);
    const row = j.rows[0];
    assert.equal(row.app, 'virusscan');
    assert.equal(row.size, 'small');
    assert.equal(row.function, 'scan_tree');
    assert.ok(row.phoneOnly.seconds > 0 && row.phoneOnly.joules > 0 && row.phoneOnly.instructions > 0);
    assert.equal(row.links.length, 1);
    const wifi = row.links[0];
    assert.equal(wifi.link, 'wifi-2009');
    assert.equal(wifi.sameOutput, true);
    // The small input is cheaper than a round trip: the partitioner keeps it on the phone, nothing travels.
    assert.deepEqual(wifi.chosen, []);
    assert.equal(wifi.offloaded, 0);
    assert.equal(wifi.bytesUp, 0);
    assert.equal(wifi.bytesDown, 0);
    assert.equal(wifi.instructions, row.phoneOnly.instructions);
    assert.ok(Math.abs(wifi.measured.seconds - row.phoneOnly.seconds) < 1e-6);
    assert.ok(Math.abs(wifi.predicted.seconds - row.phoneOnly.seconds) < 1e-3);
    for (const k of ['seconds', 'joules']) assert.equal(typeof wifi.predicted[k], 'number');
    const { files, ...report } = j;
    assert.deepEqual(JSON.parse(fs.readFileSync(files.results, 'utf8')), report);
    for (const f of [files.chart, files.energy]) assert.match(fs.readFileSync(f, 'utf8'), /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const bad = spawnSync(process.execPath, [BIN, 'bench', 'offload', '--apps', 'nope'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--apps: unknown "nope"; use virusscan, imagesearch, behavior/);
  });
});
