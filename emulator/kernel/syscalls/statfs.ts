/** statfs64 and fstatfs64: the size and use of the file system a path or descriptor lies on. */
import { EINVAL } from '../../abi/errno';
import { FsStats } from '../../vfs/vfs';
import { Task } from '../task';
import { SUPPORTED, syscallTable } from '../syscall-table';
import { StructWriter } from '../guest-structs';

/** sizeof(struct statfs64) as the ARM kernel packs it (4-byte aligned). */
const STATFS64_SIZE = 84;
/**
 * glibc passes its own, unpacked sizeof: 88 with EABI's tail padding. The ARM kernel accepts both
 * (sys_arm_statfs64) and writes 84 bytes; any other size is EINVAL.
 */
const okSize = (size: number) => size === STATFS64_SIZE || size === 88;
/** f_type of the consoles' file system (a terminal's devpts). */
const DEVPTS_SUPER_MAGIC = 0x1cd1;
/** f_flags: ST_VALID (the field is meaningful) and ST_RELATIME, as a default mount reports. */
const ST_FLAGS = 0x0020 | 0x1000;

/** Pack a struct statfs64. */
function encodeStatfs64(s: FsStats): Uint8Array {
  return new StructWriter(STATFS64_SIZE)
    .u32(0, s.type)
    .u32(4, s.blockSize)
    .u64(8, s.blocks)
    .u64(16, s.freeBlocks)
    .u64(24, s.freeBlocks)
    .u64(32, s.inodes)
    .u64(40, s.freeInodes)
    .u32(56, s.nameMax)
    .u32(60, s.blockSize)
    .u32(64, ST_FLAGS).bytes;
}

function statfs64(t: Task, a: number[]): number {
  const [pathAddr, size, buf] = a;
  if (!okSize(size)) return -EINVAL;
  const path = t.space.readCString(pathAddr, 4096);
  t.space.write(buf, encodeStatfs64(t.vfs.statfs(path, t.group.cwd)));
  return 0;
}

function fstatfs64(t: Task, a: number[]): number {
  const [fd, size, buf] = a;
  const file = t.fds.get(fd).file;
  if (!okSize(size)) return -EINVAL;
  const stats: FsStats =
    file.kind === 'console'
      ? { type: DEVPTS_SUPER_MAGIC, blockSize: 4096, nameMax: 255, blocks: 0, freeBlocks: 0, inodes: 0, freeInodes: 0 }
      : t.vfs.fsStatsOf(file.path);
  t.space.write(buf, encodeStatfs64(stats));
  return 0;
}

/** The statfs syscalls. */
export const statfsSyscalls = syscallTable(
  { statfs64, fstatfs64 },
  {
    statfs64: SUPPORTED,
    fstatfs64: SUPPORTED,
  },
);
