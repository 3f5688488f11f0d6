/**
 * The run report (`boot --report`): the page builder on a made-up run whose figures are known
 * (lanes, stretches, energy curve, escaping, nothing loaded from outside), then real reports from
 * real runs, with and without a clone, loaded in the distro's headless Chromium: the page loads
 * with nothing on its console and its DOM shows the lanes.
 */
import { strict as assert } from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { renderRunReport } from '../../emulator/report/run-report';
import { deriveTimeline, RunReportInput } from '../../emulator/report/timeline';
import { SyncReport } from '../../emulator/runtime/replicator';
import { startClone } from '../support/clone-process';
import { runCliAsync } from '../support/cli-run';
import { loadInChromium, LoadedPage } from '../support/headless-chromium';
import { compileC, tempDir } from '../support/toolchain';

const ROOT = path.resolve(__dirname, '..', '..', '..');

const sync = (level: 'memory' | 'files', atSeconds: number, transferSeconds: number, radioJoules: number): SyncReport => ({
  level,
  id: `s${atSeconds}`,
  link: 'wifi-2009',
  reason: 'periodic',
  instructions: 0n,
  atSeconds,
  pagesCaptured: 1,
  pagesSent: 1,
  bytesUp: 4096,
  bytesDown: 64,
  transferSeconds,
  radioJoules,
  stoppedMs: 0,
  captureMs: 0,
  memoryHash: '0'.repeat(32),
});

const FN = 'f<b>&"x';
const IMAGE = '<img src=x onerror=alert(1)>';

/**
 * 10 s on a phone of 0.4 W active, 0.03 W idle: a memory sync at 1 s, a file sync at 3 s, one call
 * offloaded at 5 s (its own sync at 5 s inside it) for which the phone waits 2 s, and 0.15 J of
 * radio tail at the end.
 */
function madeUpRun(syncWait = false): RunReportInput {
  const cpu = 8 * 0.4 + 2 * 0.03;
  const radio = 0.2 + 0.05 + 0.3 + 0.15;
  return {
    profile: { id: 'htc-g1', name: 'HTC G1 (Dream)', cpuActiveW: 0.4, cpuIdleW: 0.03 },
    syncWait,
    syncs: [sync('memory', 1, 0.5, 0.2), sync('files', 3, 0.1, 0.05), { ...sync('memory', 5, 0.5, 0.1), reason: `migration of ${FN}` }],
    summary: {
      image: IMAGE,
      profile: 'htc-g1',
      exitStatus: 0,
      instructions: 1234,
      modelledSeconds: 10,
      energyJoules: cpu + radio,
      hostSeconds: 1,
      mips: 1,
      pagesDirtied: 1,
      syscalls: 1,
      syscallCounts: {},
      unimplementedSyscalls: [],
      memoryHash: 'ab'.repeat(16),
      clone: {
        syncs: 2,
        fileSyncs: 1,
        failed: 0,
        bytesUp: 3 * 4096,
        bytesDown: 3 * 64,
        transferSeconds: 1.1,
        radioJoules: radio,
        lastSync: { id: 's5', atSeconds: 5 },
        meanStalenessSeconds: 1,
        meanFilesStalenessSeconds: 1,
      },
      offload: {
        calls: 2,
        offloaded: 1,
        local: 1,
        cloneInstructions: 1000,
        cloneSeconds: 1,
        waitSeconds: 2,
        bytesUp: 4096,
        bytesDown: 4096,
        timeline: [
          { lane: 'phone', what: 'compute', from: 0, to: 5 },
          { lane: 'link', what: `sync up (${FN})`, from: 5, to: 5.5 },
          { lane: 'clone', what: FN, from: 5.5, to: 6.5 },
          { lane: 'link', what: 'return (return)', from: 6.5, to: 7 },
          { lane: 'phone', what: 'compute', from: 7, to: 10 },
        ],
        log: [
          { target: FN, outcome: 'offloaded', atSeconds: 5, stop: 'return: returned to 0x10356', cloneSeconds: 1, waitSeconds: 2, radioJoules: 0.3 },
          { target: FN, outcome: 'local', why: `no link <to> the clone`, atSeconds: 8 },
        ],
        localEstimate: { modelledSeconds: 9, energyJoules: 3.5 },
      },
    },
  };
}

const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);
const count = (t: ReturnType<typeof deriveTimeline>, lane: string) => t.segments.filter((s) => s.lane === lane).length;

/** Bars drawn in the lanes chart: the paths of its first layer. */
function barsInPage(html: string): number {
  const at = html.indexOf('layer_0_marks');
  assert.ok(at > 0, 'the lanes chart has no bar layer');
  return html.slice(at, html.indexOf('</g>', at)).split('<path').length - 1;
}

describe('report/run-report: the page builder', () => {
  it('puts each stretch on its lane: phone compute and waits, syncs and migrations on the link, the call on the clone', () => {
    const t = deriveTimeline(madeUpRun());
    assert.deepEqual(t.lanes, ['phone', 'link', 'clone']);
    const at = (lane: string) =>
      t.segments
        .filter((s) => s.lane === lane)
        .map((s) => `${s.kind} ${s.from}-${s.to}`)
        .join(', ');
    assert.equal(at('phone'), 'compute 0-5, waiting 5-7, compute 7-10');
    // The migration's own sync is part of the call, not a sync of its own.
    assert.equal(at('link'), 'memory sync 1-1.5, file sync 3-3.1, migration up 5-5.5, migration down 6.5-7');
    assert.equal(at('clone'), 'offloaded call 5.5-6.5');
  });

  it('with --sync-wait the phone also waits over each sync', () => {
    const t = deriveTimeline(madeUpRun(true));
    assert.equal(count(t, 'phone'), 7);
    assert.deepEqual(
      t.segments.filter((s) => s.kind === 'waiting').map((s) => [s.from, s.to]),
      [
        [1, 1.5],
        [3, 3.1],
        [5, 7],
      ],
    );
  });

  it('derives the energy curve from the run: active power over compute, idle over waits, radio over each transfer, ending at the totals', () => {
    const input = madeUpRun();
    const t = deriveTimeline(input);
    near(t.breakdown.computeWatts, 0.4, 'compute power');
    near(t.breakdown.unattributedRadioJoules, 0.15, 'radio tail');
    const last = t.energy[t.energy.length - 1];
    near(last.totalJoules, input.summary.energyJoules, 'final energy');
    const at5 = t.energy.find((p) => p.seconds === 5)!;
    near(at5.cpuJoules, 2, 'CPU at 5 s');
    near(at5.radioJoules, 0.25, 'radio at 5 s');
    const at7 = t.energy.find((p) => p.seconds === 7 && p.order < last.order)!;
    near(at7.cpuJoules, 2 + 2 * 0.03, 'CPU at 7 s');
    near(at7.radioJoules, 0.55, 'radio at 7 s');
    for (let i = 1; i < t.energy.length; i++) assert.ok(t.energy[i].totalJoules >= t.energy[i - 1].totalJoules - 1e-12, 'the curve never falls');
  });

  it('writes a page with the three lanes, one bar per stretch, the figures, and nothing from outside', async () => {
    const input = madeUpRun();
    const html = await renderRunReport(input);
    for (const [lane, n] of [
      ['phone', 3],
      ['link', 4],
      ['clone', 1],
    ] as const) {
      assert.match(html, new RegExp(`<tr data-lane="${lane}"><td>${lane}</td><td class="n">${n}</td>`));
      assert.match(html, new RegExp(`>${lane}</text>`), `the chart labels the ${lane} lane`);
    }
    assert.equal(barsInPage(html), 8);
    assert.match(html, /local-only estimate/);
    assert.match(html, /1 of 2 \(1 ran on the phone\)/);
    assert.doesNotMatch(html, /:\/\//, 'the page names no URL');
    assert.doesNotMatch(html, /<script|<link rel="stylesheet"|<img/i, 'the page loads nothing and runs nothing');
  });

  it("escapes the run's own text: the image name and function names", async () => {
    const html = await renderRunReport(madeUpRun());
    assert.ok(!html.includes(IMAGE) && !html.includes(FN) && !html.includes('<to>'), 'raw text from the run reached the page');
    assert.ok(html.includes('&#60;img src=x onerror=alert(1)&#62;'));
    assert.ok(html.includes('f&#60;b&#62;&#38;&#34;x'));
    assert.ok(html.includes('no link &#60;to&#62; the clone'));
  });

  it('without a clone the timeline is one phone lane of compute', async () => {
    const input = madeUpRun();
    delete input.summary.clone;
    delete input.summary.offload;
    input.syncs = [];
    input.summary.energyJoules = 4;
    const t = deriveTimeline(input);
    assert.deepEqual(t.lanes, ['phone']);
    assert.deepEqual(t.segments, [{ lane: 'phone', kind: 'compute', from: 0, to: 10 }]);
    near(t.energy[t.energy.length - 1].totalJoules, 4, 'final energy');
    const html = await renderRunReport(input);
    assert.doesNotMatch(html, /data-lane="link"|data-lane="clone"/);
    assert.equal(barsInPage(html), 1);
  });
});

describe('report/run-report: boot --report, loaded in headless Chromium', function () {
  this.timeout(120_000);
  const dir = tempDir('cc-report-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The page loaded with nothing on its console; its DOM shows `lanes`, in the lanes table and on the chart. */
  function showsLanes(page: LoadedPage, lanes: string[]): void {
    assert.equal(page.status, 0, 'chromium failed');
    assert.deepEqual(page.console, [], 'the page wrote to its console');
    assert.match(page.dom, /<figure id="lanes-chart"><svg/);
    assert.match(page.dom, /<figure id="energy-chart"><svg/);
    const rows = [...page.dom.matchAll(/<tr data-lane="(\w+)">/g)].map((m) => m[1]);
    assert.deepEqual(rows, lanes);
    for (const lane of lanes) assert.match(page.dom, new RegExp(`>${lane}</text>`), `the chart labels the ${lane} lane`);
  }

  it("sees a page's console errors (so that an empty console means something)", async () => {
    const bad = path.join(dir, 'bad.html');
    fs.writeFileSync(bad, '<!doctype html><title>t</title><link rel="icon" href="data:,"><script>console.error("seen"); missing();</script>');
    const page = await loadInChromium(bad);
    assert.equal(page.console.length, 2, page.console.join('\n'));
    assert.match(page.console.join('\n'), /"seen".*\n.*Uncaught ReferenceError/);
  });

  it('a plain run: the page shows its one phone lane', async () => {
    const file = path.join(dir, 'hello.html');
    const r = await runCliAsync(['boot', path.join(ROOT, 'images', 'hello'), '--no-summary', '--report', file]);
    assert.equal(r.status, 0, r.lines.join('\n'));
    showsLanes(await loadInChromium(file), ['phone']);
  });

  it('a run with a clone and an offloaded function: the page shows the phone, link and clone lanes', async () => {
    const tokenFile = path.join(dir, 'token');
    const root = path.join(dir, 'root');
    fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
    const elf = compileC(path.join(ROOT, 'spec', 'fixtures', 'offload-work.c'));
    const clone = await startClone(path.join(dir, 'mirrors'), tokenFile, crypto.randomBytes(32).toString('hex'));
    const file = path.join(dir, 'offload.html');
    try {
      const r = await runCliAsync([
        'boot',
        '--elf',
        elf,
        '--root',
        root,
        '--json',
        '--clone',
        `127.0.0.1:${clone.port}`,
        '--token-file',
        tokenFile,
        '--phone-id',
        'report-offload',
        '--offload',
        'crunch',
        '--report',
        file,
      ]);
      assert.equal(r.status, 0, r.lines.join('\n'));
      const offloaded = (r.summary as unknown as { offload: { offloaded: number } }).offload.offloaded;
      assert.equal(offloaded, 4, r.lines.join('\n'));
      const page = await loadInChromium(file);
      showsLanes(page, ['phone', 'link', 'clone']);
      // Each call: a phone wait, a migration up and down, a clone run; phone compute between.
      assert.match(page.dom, /<tr data-lane="clone"><td>clone<\/td><td class="n">4<\/td>/);
      assert.match(page.dom, />offloaded call<\/text>/);
      assert.match(page.dom, />migration up<\/text>/);
    } finally {
      assert.equal(await clone.stop(), 0, clone.output());
    }
  });

  it('a report that cannot be written: one line after the run, exit 2', async () => {
    const r = await runCliAsync(['boot', path.join(ROOT, 'images', 'hello'), '--report', path.join(dir, 'no', 'such', 'folder', 'r.html')]);
    assert.equal(r.status, 2);
    assert.match(r.stdout.toString(), /bye \(0 failures\)/);
    assert.match(r.lines[r.lines.length - 1], /^clonecloud: could not write the report to .*r\.html: ENOENT.*give --report a path in a writable folder$/);
    assert.match(r.lines[r.lines.length - 2], /^memory hash /, 'the summary comes first');
  });
});
