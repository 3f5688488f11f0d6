/**
 * `boot --offload` against a clone server in its own process over loopback TCP: calls to the
 * chosen function run on the clone and the phone goes on from where the clone stopped. The run
 * must be the local run exactly (output, exit status, instruction count, memory hash) whichever
 * function is offloaded (one that calls others, a recursive one, one that touches a phone-only
 * device), on every link, and when the connection breaks in the middle of a call.
 */
import { strict as assert } from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { CloneProcess, startClone } from '../support/clone-process';
import { CliRun, runCliAsync } from '../support/cli-run';
import { compileC, tempDir } from '../support/toolchain';
import { cuttingProxy } from '../support/cutting-proxy';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** The guest's own stderr lines (the run's notes and summary taken out). */
const guestErr = (r: CliRun) => r.lines.filter((l) => !l.startsWith('clonecloud: ') && !l.startsWith('{')).join('\n');

describe('runtime/offloader: boot --offload with a clone server in its own process', function () {
  this.timeout(300_000);
  const dir = tempDir('cc-offload-');
  const tokenFile = path.join(dir, 'token');
  const root = path.join(dir, 'root');
  let clone: CloneProcess;
  let elf = '';
  let local: CliRun;
  before(async () => {
    await initHashing();
    elf = compileC(path.join(ROOT, 'spec', 'fixtures', 'offload-work.c'));
    fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
    fs.mkdirSync(path.join(root, 'dev'), { recursive: true });
    fs.writeFileSync(path.join(root, 'dev', 'camera'), 'frame-0001 pixels of the phone camera');
    clone = await startClone(path.join(dir, 'mirrors'), tokenFile, crypto.randomBytes(32).toString('hex'));
    local = await runCliAsync(['boot', '--elf', elf, '--root', root, '--json']);
    assert.equal(local.status, 0, local.lines.join('\n'));
  });
  after(async () => {
    assert.equal(await clone.stop(), 0, clone.output());
  });

  const offload = (fn: string, phone: string, extra: string[] = [], port = clone.port) =>
    runCliAsync([
      'boot',
      '--elf',
      elf,
      '--root',
      root,
      '--json',
      '--clone',
      `127.0.0.1:${port}`,
      '--token-file',
      tokenFile,
      '--phone-id',
      phone,
      '--offload',
      fn,
      '--phone-only',
      '/dev/camera',
      ...extra,
    ]);

  /** The run is the local one, exactly. */
  function sameAsLocal(r: CliRun): void {
    assert.equal(r.status, local.status, r.lines.join('\n'));
    assert.ok(r.stdout.equals(local.stdout), `stdout differs:\n${r.stdout.toString()}`);
    assert.equal(guestErr(r), guestErr(local));
    assert.equal(r.summary?.instructions, local.summary?.instructions);
    assert.equal(r.summary?.memoryHash, local.summary?.memoryHash);
  }

  type Offload = {
    calls: number;
    offloaded: number;
    local: number;
    waitSeconds: number;
    cloneSeconds: number;
    log: { outcome: string; stop?: string; why?: string }[];
    localEstimate: { modelledSeconds: number; energyJoules: number };
    timeline: { lane: string; from: number; to: number }[];
  };
  const offloadOf = (r: CliRun) => (r.summary as unknown as { offload: Offload }).offload;

  for (const [fn, calls] of [
    ['crunch', 4],
    ['work', 4],
    ['fib', 4],
  ] as const) {
    it(`${fn}: every call runs on the clone and the run is the local one`, async () => {
      const r = await offload(fn, `offload-${fn}`);
      sameAsLocal(r);
      const o = offloadOf(r);
      assert.deepEqual([o.calls, o.offloaded, o.local], [calls, calls, 0], r.lines.join('\n'));
      for (const c of o.log) assert.match(c.stop ?? '', /^return: returned to 0x[0-9a-f]+$/);
      assert.ok(o.cloneSeconds > 0 && o.waitSeconds > o.cloneSeconds, JSON.stringify(o));
      // Priced on the phone instead, the offloaded instructions give back the local run's time and energy.
      assert.ok(
        Math.abs(o.localEstimate.modelledSeconds - local.summary!.modelledSeconds) < 1e-6,
        `${o.localEstimate.modelledSeconds} vs ${local.summary!.modelledSeconds}`,
      );
      assert.ok(
        Math.abs(o.localEstimate.energyJoules - local.summary!.energyJoules) < 1e-6,
        `${o.localEstimate.energyJoules} vs ${local.summary!.energyJoules}`,
      );
      // The timeline's lanes take turns: the phone waits while the link and the clone work.
      const lanes = o.timeline.map((t) => t.lane).join(' ');
      assert.match(lanes, /^(phone link clone link )+phone$/);
      assert.match(clone.output(), new RegExp(`migration offload-${fn} \\S+ -> \\S+: return `));
    });
  }

  it('a call that opens a phone-only device comes back to the phone at that syscall', async () => {
    const r = await offload('camera', 'offload-camera');
    sameAsLocal(r);
    const o = offloadOf(r);
    assert.equal(o.offloaded, 1, r.lines.join('\n') + clone.output());
    assert.match(o.log[0].stop ?? '', /^syscall: it names \/dev\/camera, which is phone-only$/);
  });

  it('describes the clone to an offloaded call: memory, processors and affinity of its profile', async () => {
    const hw = compileC(path.join(ROOT, 'spec', 'fixtures', 'hardware.c'));
    const args = ['boot', '--elf', hw, '--no-summary'];
    const phone = await runCliAsync(args);
    const dell = await runCliAsync([...args, '--profile', 'dell-t7400']);
    assert.equal(phone.stdout.toString(), 'here: MemTotal 196608 kB, sysinfo 201326592 bytes, 1 processors, affinity 1\n');
    assert.equal(dell.stdout.toString(), 'here: MemTotal 8388608 kB, sysinfo 8589934592 bytes, 4 processors, affinity 4\n');
    const offloaded = await runCliAsync([
      ...args,
      '--clone',
      `127.0.0.1:${clone.port}`,
      '--token-file',
      tokenFile,
      '--phone-id',
      'offload-hardware',
      '--offload',
      'describe_hardware',
    ]);
    assert.equal(offloaded.status, 0, offloaded.lines.join('\n'));
    assert.ok(offloaded.stdout.equals(dell.stdout), offloaded.stdout.toString());
  });

  it('prices the wait by the link: 3G waits far longer than Wi-Fi for the same calls', async () => {
    const wifi = await offload('crunch', 'offload-wifi', ['--link', 'wifi-2009']);
    const g3 = await offload('crunch', 'offload-3g', ['--link', '3g-2009']);
    sameAsLocal(wifi);
    sameAsLocal(g3);
    assert.ok(offloadOf(wifi).offloaded > 0 && offloadOf(g3).offloaded > 0, [...wifi.lines, ...g3.lines].join('\n') + clone.output());
    assert.ok(offloadOf(g3).waitSeconds > 5 * offloadOf(wifi).waitSeconds, `${offloadOf(g3).waitSeconds} vs ${offloadOf(wifi).waitSeconds}`);
    assert.ok((g3.summary?.modelledSeconds ?? 0) > (wifi.summary?.modelledSeconds ?? 0));
  });

  it('runs the call locally when the connection breaks while the clone answers, with the same output', async () => {
    const proxy = await cuttingProxy(clone.port, 8192, { direction: 'down', firstOnly: true });
    try {
      const r = await offload('work', 'offload-cut', [], proxy.port);
      sameAsLocal(r);
      const o = offloadOf(r);
      assert.ok(o.local >= 1, r.lines.join('\n'));
      assert.match(o.log.find((c) => c.outcome === 'local')?.why ?? '', /the clone did not run it|the sync before it did not go through/);
      assert.ok(o.offloaded >= 1, `later calls went to the clone again:\n${r.lines.join('\n')}\n${clone.output()}`);
    } finally {
      proxy.close();
    }
  });

  it('refuses --offload of an unknown function, and without --clone, in one line', async () => {
    const bad = await runCliAsync([
      'boot',
      '--elf',
      elf,
      '--root',
      root,
      '--clone',
      `127.0.0.1:${clone.port}`,
      '--token-file',
      tokenFile,
      '--offload',
      'no_such_fn',
    ]);
    assert.equal(bad.status, 2);
    assert.match(bad.lines.join('\n'), /no_such_fn/);
    const alone = await runCliAsync(['boot', '--elf', elf, '--root', root, '--offload', 'crunch']);
    assert.equal(alone.status, 2);
    assert.match(alone.lines.join('\n'), /--offload needs --clone HOST:PORT/);
  });
});
