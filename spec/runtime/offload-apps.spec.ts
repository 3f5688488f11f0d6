/**
 * Each sample application's heavy function offloaded explicitly, on every link: the output is the
 * local run's byte for byte, and with a clone of the phone's own profile (the same RAM, so the
 * program sizes nothing differently) the final memory is too.
 */
import { strict as assert } from 'assert';
import * as crypto from 'crypto';
import * as path from 'path';
import { BUILTIN_LINKS } from '../../emulator/model/links';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { CloneProcess, startClone } from '../support/clone-process';
import { CliRun, runCliAsync } from '../support/cli-run';
import { tempDir } from '../support/toolchain';

const APPS: [image: string, fn: string][] = [
  ['virusscan', 'scan_tree'],
  ['imagesearch', 'search_gallery'],
  ['behavior', 'profile_log'],
];

describe('runtime/offloader: the sample applications offloaded on every link', function () {
  this.timeout(600_000);
  const dir = tempDir('cc-offload-apps-');
  const tokenFile = path.join(dir, 'token');
  let clone: CloneProcess;
  before(async () => {
    await initHashing();
    // The clone has the phone's profile: the same memory, so the same program decisions.
    clone = await startClone(path.join(dir, 'mirrors'), tokenFile, crypto.randomBytes(32).toString('hex'), ['--profile', 'htc-g1']);
  });
  after(async () => {
    assert.equal(await clone.stop(), 0, clone.output());
  });

  for (const [image, fn] of APPS) {
    it(`${image} small, ${fn} on the clone: the local run's output and memory on ${BUILTIN_LINKS.map((l) => l.id).join(', ')}`, async () => {
      const local = await runCliAsync(['boot', `images/${image}`, 'small', '--json']);
      assert.equal(local.status, 0);
      for (const link of BUILTIN_LINKS) {
        const r: CliRun = await runCliAsync([
          'boot',
          `images/${image}`,
          'small',
          '--json',
          '--clone',
          `127.0.0.1:${clone.port}`,
          '--token-file',
          tokenFile,
          '--phone-id',
          `${image}-${link.id}`,
          '--link',
          link.id,
          '--sync-policy',
          'on-demand',
          '--offload',
          fn,
        ]);
        assert.equal(r.status, 0, r.lines.join('\n'));
        assert.ok(r.stdout.equals(local.stdout), `${image} over ${link.id}: stdout differs`);
        assert.equal(r.summary?.instructions, local.summary?.instructions, link.id);
        assert.equal(r.summary?.memoryHash, local.summary?.memoryHash, link.id);
        const o = (r.summary as unknown as { offload: { offloaded: number } }).offload;
        assert.equal(o.offloaded, 1, `${image} over ${link.id}:\n${r.lines.join('\n')}`);
      }
    });
  }
});
