/**
 * The fsscan heap follows the device's RAM while the scan runs: before collecting it applies the
 * RAM rule again and grows when the rule now gives more. Offloaded with `--offload scan_tree`, the
 * scan finds itself on the clone's 8 GB and stops collecting there, as the paper anticipates; its
 * stdout is the local run's. A 10,000-entry tree makes the G1's 16 MB heap collect a few times and
 * keeps the file to seconds.
 */
import { strict as assert } from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { CloneProcess, startClone } from '../support/clone-process';
import { CliRun, runCliAsync } from '../support/cli-run';
import { tempDir } from '../support/toolchain';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const MB = 1024 * 1024;

/** The guest's own stderr lines (the run's notes and summary taken out). */
const guestErr = (r: CliRun): string[] => r.lines.filter((l) => !l.startsWith('clonecloud: ') && !l.startsWith('{'));

/** The collector figures of the final report: collections, final limit, raises. */
function gcFigures(r: CliRun): { collections: number; heapLimit: number; raises: number } {
  const m = /^fsscan: gc collections (\d+) .* heap_limit (\d+) heap_raises (\d+)$/m.exec(guestErr(r).join('\n'));
  assert.ok(m, `no collector report:\n${r.lines.join('\n')}`);
  return { collections: Number(m[1]), heapLimit: Number(m[2]), raises: Number(m[3]) };
}

/** The lines of a report that may differ with the heap: the collector figures and the raise. */
const heapDependent = (l: string): boolean => /^fsscan: (gc[ _]|heap limit raised to )/.test(l);

describe('fsscan: the heap limit follows the RAM of the machine the scan runs on', function () {
  this.timeout(300_000);
  const dir = tempDir('cc-fsscan-heap-');
  const tokenFile = path.join(dir, 'token');
  const image = path.join(dir, 'fsscan');
  let clone: CloneProcess;
  let local: CliRun;

  before(async () => {
    fs.cpSync(path.join(ROOT, 'images', 'fsscan'), image, { recursive: true });
    const manifestFile = path.join(image, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { rootfs: { entries?: number }[] };
    manifest.rootfs[0].entries = 10_000;
    fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
    clone = await startClone(path.join(dir, 'mirrors'), tokenFile, crypto.randomBytes(32).toString('hex'));
    local = await runCliAsync(['boot', image, '--json']);
    assert.equal(local.status, 0, local.lines.join('\n'));
  });
  after(async () => {
    assert.equal(await clone.stop(), 0, clone.output());
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const offload = (phone: string, extra: string[] = []) =>
    runCliAsync([
      'boot',
      image,
      '--json',
      '--clone',
      `127.0.0.1:${clone.port}`,
      '--token-file',
      tokenFile,
      '--phone-id',
      phone,
      '--link',
      'wifi-2009',
      '--offload',
      'scan_tree',
      ...extra,
    ]);

  it('collects on the G1 and never grows there; a local run on the Dell collects less', async () => {
    const g1 = gcFigures(local);
    assert.ok(g1.collections >= 2, `the G1's 16 MB heap collects (${g1.collections})`);
    assert.deepEqual([g1.heapLimit, g1.raises], [16 * MB, 0], 'the G1 re-reads its own 192 MB: no raise');
    const dell = await runCliAsync(['boot', image, '--json', '--profile', 'dell-t7400']);
    assert.equal(dell.status, 0, dell.lines.join('\n'));
    assert.ok(dell.stdout.equals(local.stdout), dell.stdout.toString());
    const d = gcFigures(dell);
    assert.ok(d.collections < g1.collections, `dell-t7400 ${d.collections} < htc-g1 ${g1.collections}`);
    assert.deepEqual([d.heapLimit, d.raises], [256 * MB, 0]);
  });

  it('offloaded to a dell-t7400 clone, the scan grows its heap there instead of collecting, with the same stdout', async () => {
    const r = await offload('fsscan-heap-wifi');
    assert.equal(r.status, 0, r.lines.join('\n') + clone.output());
    const o = (r.summary as unknown as { offload: { offloaded: number; local: number } }).offload;
    assert.deepEqual([o.offloaded, o.local], [1, 0], r.lines.join('\n'));

    assert.match(local.stdout.toString(), /^fsscan: entries 10000 dirs \d+ files \d+ bytes \d+ index [0-9a-f]{8}\n$/);
    assert.ok(r.stdout.equals(local.stdout), `stdout differs:\n${r.stdout.toString()}`);

    const g1 = gcFigures(local);
    const off = gcFigures(r);
    assert.ok(off.collections < g1.collections, `offloaded ${off.collections} < local ${g1.collections} collections`);
    assert.ok(off.heapLimit > g1.heapLimit, `final heap ${off.heapLimit} > ${g1.heapLimit}`);
    assert.deepEqual([off.heapLimit, off.raises], [256 * MB, 1], 'raised once, to the clone RAM rule: 8 GB / 12 clamped to 256 MB');

    // stderr differs in the heap's figures and the one line saying it grew, and nothing else.
    const mine = guestErr(r);
    assert.deepEqual(
      mine.filter((l) => l.startsWith('fsscan: heap limit raised to ')),
      ['fsscan: heap limit raised to 268435456 bytes (MemTotal 8388608 kB: 8192 MB RAM / 12, clamped to [16, 256] MB)'],
    );
    assert.equal(mine.filter(heapDependent).length, guestErr(local).filter(heapDependent).length + 1);
    assert.deepEqual(
      mine.filter((l) => !heapDependent(l)),
      guestErr(local).filter((l) => !heapDependent(l)),
    );
  });

  // The CPU times it reports are partly the clone's, so that one line (and what formatting it
  // takes, and the memory holding it) differs.
  it('keeps an FSSCAN_HEAP_MB limit fixed on the clone: the same collections as locally', async () => {
    const env = ['--env', 'FSSCAN_HEAP_MB=16'];
    const fixed = await runCliAsync(['boot', image, '--json', ...env]);
    const r = await offload('fsscan-heap-fixed', env);
    assert.equal(r.status, 0, r.lines.join('\n') + clone.output());
    assert.equal((r.summary as unknown as { offload: { offloaded: number } }).offload.offloaded, 1, r.lines.join('\n'));
    assert.ok(r.stdout.equals(fixed.stdout));
    assert.deepEqual(
      guestErr(r).filter((l) => !/^fsscan: gc_cpu_ns /.test(l)),
      guestErr(fixed).filter((l) => !/^fsscan: gc_cpu_ns /.test(l)),
    );
    assert.deepEqual(gcFigures(r), gcFigures(fixed));
    assert.equal(gcFigures(r).raises, 0);
  });
});
