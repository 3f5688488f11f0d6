/** Shared VFS types: stat records, directory entries and the read-only node every lower layer implements. */
import { EINVAL, EISDIR, ENOTDIR, ErrnoError } from '../abi/errno';
import { DT_CHR, DT_DIR, DT_FIFO, DT_LNK, DT_REG, DT_SOCK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from '../abi/fcntl';

/** A point in time as the kernel reports it. */
export interface Timespec {
  sec: number;
  nsec: number;
}

/** What stat(2) reports about a node; the syscall layer packs it into the guest's struct. */
export interface Stat {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
}

/** One getdents record. */
export interface DirEntry {
  name: string;
  ino: number;
  type: number;
}

/**
 * The node kinds the VFS models. 'special' covers character devices, FIFOs and sockets, whose
 * exact type is in their stat mode; devices and FIFOs on host folders are hidden.
 */
export type NodeKind = 'dir' | 'file' | 'symlink' | 'special';

/** Who owns image files and when they were made; fixed so every run reports the same bytes. */
export interface Provenance {
  uid: number;
  gid: number;
  time: Timespec;
}

/** Block size used for st_blksize, st_blocks and the writable layer's chunks. */
export const BLOCK_SIZE = 4096;

/** st_dev of the root filesystem (179:2, an eMMC partition as on a phone). */
export const ROOTFS_DEV = (179 << 8) | 2;
/** st_dev of /proc and /sys, anonymous devices as Linux gives them. */
export const PROC_DEV = 3;
export const SYS_DEV = 4;

/**
 * Inode ranges keep numbers unique across layers while staying below 2^32, because 32-bit guests
 * built without large-file support get EOVERFLOW from stat and readdir on larger numbers.
 */
export const INO_ROOT = 2;
export const INO_FIRST_IMAGE = 3;
export const INO_FIRST_MEM = 2 ** 30;
export const INO_FIRST_HOST = 2 ** 31;
export const INO_LIMIT = 2 ** 32;

/** Read-only node of a lower layer (host folder, literal file, synthesized tree, /proc). */
export abstract class LowerNode {
  abstract readonly kind: NodeKind;
  /** Sealed nodes (procfs) refuse copy-up, removal and new children. */
  get sealed(): boolean {
    return false;
  }

  /** Current attributes. */
  abstract stat(): Stat;

  /** Child names in a stable order (the merged view sorts them); directories only. */
  names(): string[] {
    throw new ErrnoError(ENOTDIR);
  }

  /** The child called `name`, if any; directories only. */
  lookup(_name: string): LowerNode | undefined {
    throw new ErrnoError(ENOTDIR);
  }

  /** Copy bytes at `position` into `dst`; returns the count (0 at end of file). */
  read(_dst: Uint8Array, _position: number): number {
    throw new ErrnoError(EISDIR);
  }

  /** Symlink target text. */
  readlink(): string {
    throw new ErrnoError(EINVAL);
  }

  /** Generated files (procfs) return their whole content, captured once per open. */
  snapshot(): Uint8Array | undefined {
    return undefined;
  }
}

/** Parameters for makeStat; everything but identity, type and size has a sensible default. */
export interface StatInit {
  dev: number;
  ino: number;
  mode: number;
  size: number;
  owner: Provenance;
  nlink?: number;
  blocks?: number;
  /** Device number of a device node (major << 8 | minor). */
  rdev?: number;
  mtime?: Timespec;
  ctime?: Timespec;
  atime?: Timespec;
}

/** Build a Stat, deriving st_blocks from the size when the caller does not know the allocation. */
export function makeStat(s: StatInit): Stat {
  const t = s.owner.time;
  return {
    dev: s.dev,
    ino: s.ino,
    mode: s.mode,
    nlink: s.nlink ?? 1,
    uid: s.owner.uid,
    gid: s.owner.gid,
    rdev: s.rdev ?? 0,
    size: s.size,
    blksize: BLOCK_SIZE,
    blocks: s.blocks ?? Math.ceil(s.size / BLOCK_SIZE) * (BLOCK_SIZE / 512),
    atime: { ...(s.atime ?? s.mtime ?? t) },
    mtime: { ...(s.mtime ?? t) },
    ctime: { ...(s.ctime ?? s.mtime ?? t) },
  };
}

/** S_IF* type bits for a node kind; special nodes carry their own (`special`, default S_IFCHR). */
export function typeBits(kind: NodeKind, special = S_IFCHR): number {
  return kind === 'dir' ? S_IFDIR : kind === 'symlink' ? S_IFLNK : kind === 'special' ? special : S_IFREG;
}

/** d_type for a stat mode. */
export function dtypeOf(mode: number): number {
  switch (mode & S_IFMT) {
    case S_IFDIR:
      return DT_DIR;
    case S_IFLNK:
      return DT_LNK;
    case S_IFCHR:
      return DT_CHR;
    case S_IFIFO:
      return DT_FIFO;
    case S_IFSOCK:
      return DT_SOCK;
    default:
      return DT_REG;
  }
}
