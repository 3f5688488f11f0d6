/** The ARM EABI encodings of file status (struct stat64 and struct statx). */
import type { Stat, Timespec } from '../vfs/vfs';
import { StructWriter } from './guest-structs';

export type { Stat, Timespec };

/** struct stat64 for ARM EABI (104 bytes; note the padding after st_dev and the 64-bit st_ino at the end). */
export function encodeStat64(s: Stat): Uint8Array {
  const w = new StructWriter(104);
  w.u64(0, s.dev)
    .u32(12, s.ino) // __st_ino
    .u32(16, s.mode)
    .u32(20, s.nlink)
    .u32(24, s.uid)
    .u32(28, s.gid)
    .u64(32, s.rdev)
    .u64(48, s.size)
    .u32(56, s.blksize)
    .u64(64, s.blocks)
    .u32(72, s.atime.sec)
    .u32(76, s.atime.nsec)
    .u32(80, s.mtime.sec)
    .u32(84, s.mtime.nsec)
    .u32(88, s.ctime.sec)
    .u32(92, s.ctime.nsec)
    .u64(96, s.ino);
  return w.bytes;
}

/** STATX_BASIC_STATS: every field statx can fill from a Stat. */
export const STATX_BASIC_STATS = 0x7ff;

/** struct statx (256 bytes). */
export function encodeStatx(s: Stat): Uint8Array {
  const w = new StructWriter(256);
  const ts = (off: number, t: Timespec) => w.u64(off, t.sec).u32(off + 8, t.nsec);
  w.u32(0, STATX_BASIC_STATS)
    .u32(4, s.blksize)
    .u64(8, 0) // attributes
    .u32(16, s.nlink)
    .u32(20, s.uid)
    .u32(24, s.gid)
    .u16(28, s.mode)
    .u64(32, s.ino)
    .u64(40, s.size)
    .u64(48, s.blocks)
    .u64(56, 0); // attributes_mask
  ts(64, s.atime);
  ts(80, s.ctime); // btime: creation time is not tracked; ctime is the closest honest value
  ts(96, s.ctime);
  ts(112, s.mtime);
  w.u32(128, Math.floor(s.rdev / 256) & 0xfff).u32(132, s.rdev & 0xff);
  w.u32(136, Math.floor(s.dev / 256) & 0xfff).u32(140, s.dev & 0xff);
  return w.bytes;
}
