import { strict as assert } from 'assert';
import { encodeStat64, encodeStatx, Stat } from '../../emulator/kernel/stat';
import { GuestRandom } from '../../emulator/kernel/rng';
import { NR, syscallName } from '../../emulator/abi/syscall-names';

const stat: Stat = {
  dev: 0xb302,
  ino: 123456,
  mode: 0o100644,
  nlink: 1,
  uid: 10001,
  gid: 10002,
  rdev: 0,
  size: 5_000_000_000,
  blksize: 4096,
  blocks: 9765632,
  atime: { sec: 1242604800, nsec: 1 },
  mtime: { sec: 1242604801, nsec: 2 },
  ctime: { sec: 1242604802, nsec: 3 },
};

describe('kernel/stat encodings', () => {
  it('lays out struct stat64 as the ARM EABI kernel does (offsets from asm/stat.h)', () => {
    const b = Buffer.from(encodeStat64(stat));
    assert.equal(b.length, 104);
    assert.equal(b.readBigUInt64LE(0), 0xb302n);
    assert.equal(b.readUInt32LE(12), 123456);
    assert.equal(b.readUInt32LE(16), 0o100644);
    assert.equal(b.readUInt32LE(24), 10001);
    assert.equal(b.readUInt32LE(28), 10002);
    assert.equal(b.readBigUInt64LE(48), 5_000_000_000n);
    assert.equal(b.readUInt32LE(56), 4096);
    assert.equal(b.readBigUInt64LE(64), 9765632n);
    assert.deepEqual([b.readUInt32LE(72), b.readUInt32LE(76), b.readUInt32LE(80), b.readUInt32LE(92)], [1242604800, 1, 1242604801, 3]);
    assert.equal(b.readBigUInt64LE(96), 123456n);
  });

  it('lays out struct statx', () => {
    const b = Buffer.from(encodeStatx(stat));
    assert.equal(b.length, 256);
    assert.equal(b.readUInt32LE(0), 0x7ff);
    assert.equal(b.readUInt16LE(28), 0o100644);
    assert.equal(b.readBigUInt64LE(32), 123456n);
    assert.equal(b.readBigUInt64LE(40), 5_000_000_000n);
    assert.equal(b.readBigInt64LE(112), 1242604801n);
    assert.equal(b.readUInt32LE(120), 2);
    assert.deepEqual([b.readUInt32LE(136), b.readUInt32LE(140)], [0xb3, 0x02]);
  });
});

describe('kernel/rng', () => {
  it('is deterministic per seed and restorable from its state', () => {
    const a = new GuestRandom(7);
    const b = new GuestRandom(7);
    const c = new GuestRandom(8);
    const xs = Array.from({ length: 8 }, () => a.next());
    assert.deepEqual(
      xs,
      Array.from({ length: 8 }, () => b.next()),
    );
    assert.notDeepEqual(
      xs,
      Array.from({ length: 8 }, () => c.next()),
    );
    const saved = a.save();
    const next = a.next();
    a.restore(saved);
    assert.equal(a.next(), next);
  });
});

describe('abi/syscall-names', () => {
  it('knows the EABI numbers of the syscalls glibc starts with', () => {
    assert.equal(NR.exit_group, 248);
    assert.equal(NR.mmap2, 192);
    assert.equal(NR.statx, 397);
    assert.equal(NR.clock_gettime64, 403);
    assert.equal(NR.ARM_set_tls, 0xf0005);
    assert.equal(syscallName(9999), 'syscall_9999');
  });
});
