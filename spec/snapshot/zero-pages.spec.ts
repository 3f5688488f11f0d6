/**
 * Pages the guest wrote and then zeroed are resident memory it can see (sysinfo's free RAM), yet
 * they are not in a page table: a checkpoint lists them, and a restored run reports the same
 * figures as the run that was never stopped.
 */
import { strict as assert } from 'assert';
import * as path from 'path';
import { runCli } from '../support/cli-run';
import { compileC, tempDir } from '../support/toolchain';
import { CheckpointStore } from '../../emulator/store/store';
import { markZeroPages } from '../../emulator/snapshot/restore';
import { bootImage, collect } from '../support/images';
import { CheckpointManifest } from '../../emulator/snapshot/manifest';
import { initHashing } from '../../emulator/snapshot/page-hash';

const ROOT = path.resolve(__dirname, '..', '..', '..');

describe('snapshot: written pages that are zero again', function () {
  this.timeout(120_000);
  before(initHashing);

  it('are listed in the checkpoint and resident again after a restore: the guest sees the same free memory', () => {
    const elf = compileC(path.join(ROOT, 'spec', 'fixtures', 'zero-pages.c'));
    const store = path.join(tempDir('cc-zero-pages-'), 'store');
    const plain = runCli(['boot', '--elf', elf, '--no-summary']);
    const taken = runCli(['boot', '--elf', elf, '--no-summary', '--store', store, '--checkpoint-at', '1000000']);
    assert.ok(taken.stdout.equals(plain.stdout));
    const s = CheckpointStore.open(store, { readOnly: true });
    const [id] = s.ids();
    const manifest = s.manifest(id) as CheckpointManifest;
    s.close();
    // Half of the 128-page buffer was zeroed after being written: the 63 whole pages of it at least (it is not page-aligned).
    const zero = (manifest.zeroPages ?? []).reduce((n, [, count]) => n + count, 0);
    assert.ok(zero >= 63, JSON.stringify(manifest.zeroPages));
    const restored = runCli(['restore', id, '--store', store, '--no-summary']);
    const after = plain.stdout
      .toString()
      .split('\n')
      .filter((l) => l.startsWith('after:'));
    assert.deepEqual(restored.stdout.toString().split('\n').filter(Boolean), after);
  });

  it('refuses runs that do not name pages of the address space', () => {
    const r = bootImage('hello');
    try {
      for (const bad of [[[-1, 2]], [[0, 0]], [[0xfffff, 5]], [[1.5, 1]], 'pages']) {
        const m = { id: 'c1', zeroPages: bad } as unknown as CheckpointManifest;
        assert.throws(() => markZeroPages(r.machine, m), /checkpoint c1: zeroPages is not a list of \[first, count\] page runs/);
      }
    } finally {
      r.machine.close();
      collect();
    }
  });
});
