/**
 * `clonecloud partition` and `boot --offload auto` on the virus scanner: its small input stays on
 * the phone, its medium input goes to the clone over Wi-Fi and stays over 3G, and an automatic
 * run prints what the local run prints, with the plan's prediction beside what it measured.
 */
import { strict as assert } from 'assert';
import * as crypto from 'crypto';
import * as path from 'path';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { CloneProcess, startClone } from '../support/clone-process';
import { runCli, runCliAsync } from '../support/cli-run';
import { tempDir } from '../support/toolchain';

type PlanJson = {
  chosen: string[];
  entries: { name: string; decision: string; why: string }[];
  predicted: { local: { seconds: number }; partitioned: { seconds: number } };
};

describe('cli: partition and boot --offload auto', function () {
  this.timeout(300_000);
  const dir = tempDir('cc-partition-cli-');
  const tokenFile = path.join(dir, 'token');
  let clone: CloneProcess;
  before(async () => {
    await initHashing();
    clone = await startClone(path.join(dir, 'mirrors'), tokenFile, crypto.randomBytes(32).toString('hex'));
  });
  after(async () => {
    assert.equal(await clone.stop(), 0, clone.output());
  });

  const plan = (args: string[]): PlanJson => {
    const r = runCli(['partition', 'images/virusscan', ...args, '--json']);
    assert.equal(r.status, 0, r.lines.join('\n'));
    return JSON.parse(r.stdout.toString()) as PlanJson;
  };

  it('keeps the small scan on the phone, offloads the medium one over Wi-Fi, not over 3G', () => {
    const small = plan(['small', '--link', 'wifi-2009']);
    assert.deepEqual(small.chosen, []);
    assert.deepEqual(small.predicted.partitioned, small.predicted.local);
    const wifi = plan(['medium', '--link', 'wifi-2009']);
    assert.equal(wifi.chosen.length, 1, JSON.stringify(wifi.entries));
    assert.ok(['scan_tree', 'walk', 'main'].includes(wifi.chosen[0]));
    assert.ok(wifi.predicted.partitioned.seconds < wifi.predicted.local.seconds);
    const g3 = plan(['medium', '--link', '3g-2009']);
    assert.deepEqual(g3.chosen, []);
    const text = runCli(['partition', 'images/virusscan', 'medium', '--link', 'wifi-2009']);
    assert.match(text.stdout.toString(), /^partition of images\/virusscan: htc-g1 with a dell-t7400 clone over wifi-2009, minimising time\n/);
    assert.match(text.stdout.toString(), /\noffload: (scan_tree|walk|main)\npredicted: phone alone [\d.]+ s, [\d.]+ J; partitioned [\d.]+ s, [\d.]+ J\n$/);
  });

  it('refuses a bad objective and an unknown candidate in one line', () => {
    const bad = runCli(['partition', 'images/virusscan', 'small', '--objective', 'speed']);
    assert.equal(bad.status, 2);
    assert.match(bad.lines.join('\n'), /--objective speed: use time or energy/);
    const unknown = runCli(['partition', 'images/virusscan', 'small', '--candidates', 'no_such_function']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.lines.join('\n'), /no_such_function/);
  });

  it('boot --offload auto: the plan picks the function, the run is the local one, prediction beside measurement', async () => {
    const local = await runCliAsync(['boot', 'images/virusscan', 'medium', '--json']);
    const r = await runCliAsync([
      'boot',
      'images/virusscan',
      'medium',
      '--json',
      '--clone',
      `127.0.0.1:${clone.port}`,
      '--token-file',
      tokenFile,
      '--phone-id',
      'auto-virusscan',
      '--sync-policy',
      'on-demand',
      '--offload',
      'auto',
    ]);
    assert.equal(r.status, 0, r.lines.join('\n'));
    assert.ok(r.stdout.equals(local.stdout));
    assert.equal(r.summary?.memoryHash, local.summary?.memoryHash);
    assert.match(r.lines.join('\n'), /clonecloud: partition over wifi-2009 \(dell-t7400 clone, minimising time\): offload (scan_tree|walk|main); predicted/);
    const s = r.summary as unknown as { partition: { chosen: string[]; predicted: { partitioned: { seconds: number } } }; offload: { offloaded: number } };
    assert.equal(s.partition.chosen.length, 1);
    assert.equal(s.offload.offloaded, 1);
    assert.ok(r.summary!.modelledSeconds < local.summary!.modelledSeconds);
  });
});
