/** The profile's storage bounds the writable layer: ENOSPC as on a full phone, and statfs reports it. */
import { strict as assert } from 'assert';
import * as path from 'path';
import { Checkpointer } from '../../emulator/snapshot/capture';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { restoreCheckpoint } from '../../emulator/snapshot/restore';
import { CheckpointStore } from '../../emulator/store/store';
import { ENOSPC } from '../../emulator/abi/errno';
import { O_CREAT, O_RDONLY, O_WRONLY } from '../../emulator/abi/fcntl';
import { findProfile } from '../../emulator/model/profiles';
import { assertErrno, makeHostTree, makeVfs, removeTree } from './helpers';
import { bootElf, runElf } from '../support/boot';
import { compileC, tempDir } from '../support/toolchain';

const MB = 2 ** 20;

describe("vfs: the profile's storage bounds the writable layer", function () {
  this.timeout(120_000);
  const small = { ...findProfile('htc-g1'), id: 'small-flash', storageBytes: 16 * MB };
  let elf: string;
  before(() => {
    elf = compileC(path.resolve(__dirname, '..', '..', '..', 'spec', 'fixtures', 'fill-storage.c'));
  });

  it('writes past it are short, then ENOSPC; statfs reports it; deleting frees space', () => {
    const r = runElf(elf, { profileObject: small });
    const out = r.stdout.toString();
    assert.equal(r.status, 0, out + r.stderr.toString());
    // 16 MiB in 4 KiB blocks, one inode per 16 KiB, Linux's NAME_MAX.
    assert.match(out, /^statvfs: 4096 blocks of 4096, 4096 free, 1024 inodes, name max 255\n/);
    // One block went to /data itself; 15 files of 256 blocks (1,046,976 bytes) fit, the 16th got
    // the last 255 blocks, its last write ending at the full 255th block (62,940 of 65,436 bytes).
    assert.match(out, /wrote 16749120 bytes in 16 files; short write of 62940 bytes, then ENOSPC\n/);
    assert.match(out, /free blocks when full: 0\nmkdir when full: ENOSPC\nempty file when full: ok\nsparse extension to 1 GiB: ok, free blocks 0\n/);
    assert.match(out, /unlinked while open: 0 blocks freed\nclosed: 256 blocks freed\nwrite after freeing: ok\n/);
  });

  it("reports the HTC G1's 256 MB of flash, where the program's 64 MiB fit", () => {
    const r = runElf(elf);
    assert.match(r.stdout.toString(), /^statvfs: 65536 blocks of 4096, 65536 free, 16384 inodes/);
    assert.match(r.stdout.toString(), /wrote \d+ bytes in 65 files; short write of -1 bytes, then no limit met\n/);
  });

  it('a checkpoint of a full layer restores with the same use, and is refused where it does not fit', async () => {
    await initHashing();
    const store = CheckpointStore.open(tempDir('cc-storage-'));
    try {
      const b = bootElf(elf, { profileObject: small });
      b.machine.run();
      const { id } = new Checkpointer(store, b.machine).capture();
      const used = { ...b.machine.vfs.storageUse() };
      b.machine.close();
      const quiet = { stdout: () => undefined, stderr: () => undefined, warn: () => undefined };
      const { machine } = restoreCheckpoint(store, id, quiet);
      const again = machine.vfs.storageUse();
      assert.equal(again.usedBlocks, used.usedBlocks);
      assert.equal(again.usedInodes, used.usedInodes);
      machine.close();
      assert.throws(
        () => restoreCheckpoint(store, id, { ...quiet, profile: { ...small, storageBytes: 8 * MB } }),
        /holds 1[56]\.\d MB of files .*has only 8\.0 MB of storage/,
      );
    } finally {
      store.close();
    }
  });

  it('counts inodes, copy-ups and renames as ext4 would, and a failed copy-up changes nothing', () => {
    const host = makeHostTree();
    try {
      const vfs = makeVfs([{ type: 'host', source: host, target: '/' }], { storageBytes: MB });
      const use = vfs.storageUse();
      // 1 MiB: 256 blocks, 64 inodes (one per 16 KiB).
      for (let i = 0; i < 64; i++) vfs.open(`/f${i}`, '/', O_CREAT | O_WRONLY).close();
      assertErrno(() => vfs.open('/one-more', '/', O_CREAT | O_WRONLY), ENOSPC);
      vfs.unlink('/f0', '/');
      vfs.open('/one-more', '/', O_CREAT | O_WRONLY).close();
      // Renaming over a file frees the one replaced.
      const f = vfs.open('/f1', '/', O_WRONLY);
      f.write(new Uint8Array(8192), 0);
      f.close();
      assert.equal(use.usedBlocks, 2);
      vfs.rename('/f2', '/', '/f1', '/');
      assert.equal(use.usedBlocks, 0);
      assert.equal(use.usedInodes, 63);
      // Fill the data blocks; then copying up an image file for writing fails and leaves it as it was.
      const big = vfs.open('/f3', '/', O_WRONLY);
      assert.equal(big.write(new Uint8Array(2 * MB), 0), MB);
      assertErrno(() => vfs.open('/etc/hosts', '/', O_WRONLY), ENOSPC);
      assert.equal(use.usedBlocks, 256);
      assert.equal(vfs.open('/etc/hosts', '/', O_RDONLY).size(), '127.0.0.1 localhost\n'.length);
      assert.equal(vfs.statfs('/', '/').freeBlocks, 0);
      big.truncate(4096);
      assert.equal(vfs.statfs('/etc', '/').freeBlocks, 255);
    } finally {
      removeTree(host);
    }
  });
});
