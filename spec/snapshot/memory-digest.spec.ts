/**
 * The memory digest of a checkpointed machine computed from the checkpoint's memory map and page
 * table alone (what a clone holding only the mirror can compute) equals the digest of the machine's
 * memory, on every sample image, for first and incremental checkpoints.
 */
import { strict as assert } from 'assert';
import { Checkpointer } from '../../emulator/snapshot/capture';
import { MemorySnapshots } from '../../emulator/snapshot/memory-snapshots';
import { memoryDigest, tableDigest } from '../../emulator/snapshot/memory-digest';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { bootImage, collect } from '../support/images';

const POINTS: Record<string, bigint[]> = {
  hello: [5_000n, 20_000n],
  syscalls: [400_000n, 2_000_000n],
  compute: [30_000_000n, 90_000_000n],
  fsscan: [20_000_000n, 60_000_000n],
  memtouch: [40_000_000n, 120_000_000n],
};

describe('snapshot/memory-digest: from the map and page table alone', function () {
  this.timeout(120_000);
  before(async () => {
    await initHashing();
  });

  for (const [name, points] of Object.entries(POINTS)) {
    it(`${name}: equals the digest of the machine's memory at each checkpoint`, () => {
      const r = bootImage(name);
      const snaps = new MemorySnapshots();
      const ck = new Checkpointer(snaps, r.machine);
      try {
        for (const p of points) {
          assert.equal(r.machine.run(p), 'budget');
          const { id, manifest } = ck.capture();
          assert.equal(tableDigest(manifest.state.regions, snaps.readTable(id)), memoryDigest(r.machine.space), `${name} at ${p}`);
        }
        // A change the table does not have makes them differ.
        const { id, manifest } = ck.capture();
        const table = snaps.readTable(id);
        table.hashes[0] ^= 1;
        assert.notEqual(tableDigest(manifest.state.regions, table), memoryDigest(r.machine.space));
      } finally {
        r.machine.close();
        collect();
      }
    });
  }
});
