/**
 * The device's storage as the writable layer fills it. Counted the way ext4 counts: data blocks
 * of 4 KiB (file contents, one per directory, one per symlink too long to live in its inode) and
 * inodes, one per 16 KiB of capacity (mke2fs's default ratio). Beyond either, Linux answers
 * ENOSPC, and so does the layer: it keeps every byte in host memory, so this bound is also what
 * keeps a guest from exhausting the host.
 */
import { ENOSPC, ErrnoError } from '../abi/errno';
import { BLOCK_SIZE } from './node';
import { NAME_MAX } from './path';

/** Bytes of capacity per inode (mke2fs's default inode_ratio). */
export const BYTES_PER_INODE = 16384;
/** Capacity when none is given: large enough never to matter (1 PiB). */
export const UNBOUNDED_STORAGE = 2 ** 50;
/** ext4 keeps symlink targets shorter than this in the inode itself (a "fast" symlink). */
export const FAST_SYMLINK_MAX = 59;

/** What statfs reports of a file system's space. */
export interface SpaceReport {
  blocks: number;
  freeBlocks: number;
  inodes: number;
  freeInodes: number;
}

/** Blocks and inodes used against the device's capacity. */
export class Storage {
  readonly totalBlocks: number;
  readonly totalInodes: number;
  usedBlocks = 0;
  usedInodes = 0;

  /** `capacityBytes`: the device's storage size. */
  constructor(readonly capacityBytes: number = UNBOUNDED_STORAGE) {
    this.totalBlocks = Math.floor(capacityBytes / BLOCK_SIZE);
    this.totalInodes = Math.max(16, Math.floor(capacityBytes / BYTES_PER_INODE));
  }

  /** Take `n` blocks, or ENOSPC when fewer are free. */
  takeBlocks(n: number): void {
    if (this.usedBlocks + n > this.totalBlocks) throw new ErrnoError(ENOSPC);
    this.usedBlocks += n;
  }

  /** Give back `n` blocks. */
  giveBlocks(n: number): void {
    this.usedBlocks -= n;
  }

  /** Take an inode, or ENOSPC when none is free. */
  takeInode(): void {
    if (this.usedInodes >= this.totalInodes) throw new ErrnoError(ENOSPC);
    this.usedInodes++;
  }

  /** Give back an inode. */
  giveInode(): void {
    this.usedInodes--;
  }

  /** Forget all use (before a layer is imported and counted again). */
  reset(): void {
    this.usedBlocks = 0;
    this.usedInodes = 0;
  }

  /** Totals and what is free, for statfs. */
  report(): SpaceReport {
    return {
      blocks: this.totalBlocks,
      freeBlocks: Math.max(0, this.totalBlocks - this.usedBlocks),
      inodes: this.totalInodes,
      freeInodes: Math.max(0, this.totalInodes - this.usedInodes),
    };
  }
}

/** Magic numbers statfs reports in f_type (linux/magic.h). */
export const EXT4_SUPER_MAGIC = 0xef53;
export const PROC_SUPER_MAGIC = 0x9fa0;
export const SYSFS_MAGIC = 0x62656572;

/** What statfs(2) reports. */
export interface FsStats extends SpaceReport {
  type: number;
  blockSize: number;
  nameMax: number;
}

/** statfs of the file system a canonical guest path lies on: /proc and /sys, or the root's storage. */
export function fsStatsAt(path: string, storage: Storage): FsStats {
  const under = (mount: string) => path === mount || path.startsWith(mount + '/');
  if (under('/proc') || under('/sys')) {
    return {
      type: under('/proc') ? PROC_SUPER_MAGIC : SYSFS_MAGIC,
      blockSize: BLOCK_SIZE,
      nameMax: NAME_MAX,
      blocks: 0,
      freeBlocks: 0,
      inodes: 0,
      freeInodes: 0,
    };
  }
  return { type: EXT4_SUPER_MAGIC, blockSize: BLOCK_SIZE, nameMax: NAME_MAX, ...storage.report() };
}
