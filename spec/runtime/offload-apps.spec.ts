/**
 * A function of each sample image offloaded explicitly, on every link: the output is the local
 * run's byte for byte, and with a clone of the phone's own profile (the same RAM, so the program
 * sizes nothing differently) the final memory is too.
 */
import { strict as assert } from 'assert';
import * as crypto from 'crypto';
import * as path from 'path';
import { BUILTIN_LINKS } from '../../emulator/model/links';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { CloneProcess, startClone } from '../support/clone-process';
import { CliRun, runCliAsync } from '../support/cli-run';
import { tempDir } from '../support/toolchain';

/**
 * Each sample image, the argument it runs with here, a function of its own to offload, and
 * whether its work is independent of time. hello and fsscan observe modelled time (a directory's
 * mtime on the stack; CPU time printed on stderr), which an offloaded run spends differently (the
 * phone waits for the network): their stdout must be the local run's, their memory and
 * instruction count need not be.
 */
const APPS: [image: string, args: string[], fn: string, timeFree: boolean][] = [
  ['virusscan', ['small'], 'scan_tree', true],
  ['imagesearch', ['small'], 'search_gallery', true],
  ['behavior', ['small'], 'profile_log', true],
  ['hello', [], 'show_motd', false],
  ['compute', [], 'main', true],
  ['memtouch', [], 'main', true],
  // main runs every syscall test: the process ones come back to the phone (fork, exit).
  ['syscalls', [], 'main', true],
  ['fsscan', [], 'scan_tree', false],
];

describe('runtime/offloader: every sample image offloaded on every link', function () {
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

  for (const [image, args, fn, timeFree] of APPS) {
    it(`${[image, ...args].join(' ')}, ${fn} on the clone: the local run's ${timeFree ? 'output and memory' : 'output'} on ${BUILTIN_LINKS.map((l) => l.id).join(', ')}`, async () => {
      const local = await runCliAsync(['boot', `images/${image}`, ...args, '--json']);
      assert.equal(local.status, 0);
      for (const link of BUILTIN_LINKS) {
        const r: CliRun = await runCliAsync([
          'boot',
          `images/${image}`,
          ...args,
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
        if (timeFree) {
          assert.equal(r.summary?.instructions, local.summary?.instructions, link.id);
          assert.equal(r.summary?.memoryHash, local.summary?.memoryHash, link.id);
        }
        const o = (r.summary as unknown as { offload: { offloaded: number } }).offload;
        assert.ok(o.offloaded >= 1, `${image} over ${link.id}:\n${r.lines.join('\n')}`);
      }
    });
  }
});
