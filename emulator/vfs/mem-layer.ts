/**
 * The writable in-memory layer on top of the image. It holds only what the guest changed: copied-up
 * or new files, directories on the way to them, and whiteouts that hide deleted lower entries.
 */
import { S_IFDIR, S_IFLNK, S_IFREG } from '../abi/fcntl';
import { BlockStore, FrozenSet } from './block-store';
import { BLOCK_SIZE, INO_FIRST_HOST, INO_FIRST_MEM, makeStat, Stat, Timespec } from './node';
import { FAST_SYMLINK_MAX, Storage } from './storage';

/** Identity, permissions and times of a writable node. */
export interface MemMeta {
  dev: number;
  ino: number;
  /** Permission bits only; the type comes from the node kind. */
  perm: number;
  uid: number;
  gid: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
}

/** A regular file of the writable layer. */
export class MemFile {
  readonly kind = 'file';
  /** False once no directory names it; its space is freed when `opens` also drops to 0. */
  linked = true;
  /** Open handles that may still read or write it (an unlinked file lives on until they close). */
  opens = 0;

  /** Contents start empty; copy-up fills them. */
  constructor(
    public meta: MemMeta,
    readonly data: BlockStore,
  ) {}
}

/** A directory of the writable layer. */
export class MemDir {
  readonly kind = 'dir';
  readonly children = new Map<string, MemNode>();

  /**
   * `opaque` hides the whole lower directory (it was deleted and made again); `redirect` names the
   * lower directory this one shows after a rename, so renaming never copies a subtree.
   */
  constructor(
    public meta: MemMeta,
    public opaque: boolean,
    public redirect?: string,
  ) {}
}

/** A symlink of the writable layer. */
export class MemSymlink {
  readonly kind = 'symlink';

  /** The target text is stored verbatim, as symlink(2) does. */
  constructor(
    public meta: MemMeta,
    readonly target: string,
  ) {}
}

/** A FIFO or socket node made by mknod: it has attributes but no data here. */
export class MemSpecial {
  readonly kind = 'special';

  /** `type` is the S_IF* bits (S_IFIFO or S_IFSOCK). */
  constructor(
    public meta: MemMeta,
    readonly type: number,
  ) {}
}

/** Marks a deleted lower entry. */
export class Whiteout {
  readonly kind = 'whiteout';
}

/** Anything a writable directory can hold. */
export type MemNode = MemFile | MemDir | MemSymlink | MemSpecial | Whiteout;
/** Writable nodes that are real files, directories, links or special nodes. */
export type MemEntry = MemFile | MemDir | MemSymlink | MemSpecial;

/** Whiteouts carry no data, so one instance serves every directory. */
export const WHITEOUT = new Whiteout();

/** Clock and ownership for new nodes; the kernel supplies modelled time. */
export interface LayerClock {
  now(): Timespec;
  uid: number;
  gid: number;
}

/** The writable layer: its root, inode counter and the copy-ups older descriptors must see. */
export class MemLayer {
  root: MemDir;
  nextIno = INO_FIRST_MEM;
  readonly frozen: FrozenSet = new WeakSet();
  /** Copied-up files by their inherited inode, so a descriptor opened on the lower file follows the copy. */
  readonly byIno = new Map<number, MemFile>();

  /**
   * `rootMeta` is the lower root's identity, so / keeps its inode once copied up; `storage` is
   * the device's, which everything the layer adds is taken from.
   */
  constructor(
    readonly dev: number,
    readonly clock: LayerClock,
    rootMeta: MemMeta,
    readonly storage = new Storage(),
  ) {
    this.root = new MemDir(rootMeta, false);
  }

  /**
   * Metadata for a brand-new node, taking its inode and `blocks` data blocks from the storage
   * (ENOSPC, with nothing taken, when either has run out).
   */
  freshMeta(perm: number, blocks = 0): MemMeta {
    if (this.nextIno >= INO_FIRST_HOST) throw new RangeError('writable layer ran out of inode numbers');
    this.storage.takeBlocks(blocks);
    try {
      this.storage.takeInode();
    } catch (e) {
      this.storage.giveBlocks(blocks);
      throw e;
    }
    const t = this.clock.now();
    return { dev: this.dev, ino: this.nextIno++, perm, uid: this.clock.uid, gid: this.clock.gid, atime: t, mtime: t, ctime: t };
  }

  /** An empty file. */
  newFile(meta: MemMeta): MemFile {
    return new MemFile(meta, new BlockStore(this.frozen, this.storage));
  }

  /**
   * A node left the tree (unlink, rmdir, replaced by a rename): give its space back. A file still
   * open keeps its blocks until the last handle closes, as on Linux.
   */
  dropped(node: MemNode | undefined): void {
    if (!node || node.kind === 'whiteout') return;
    if (node.kind === 'file') {
      node.linked = false;
      if (node.opens === 0) this.free(node);
      return;
    }
    if (!isFresh(node.meta)) return;
    this.storage.giveInode();
    this.storage.giveBlocks(nodeBlocks(node));
  }

  /** A handle on `file` closed: free an unlinked file once nothing refers to it. */
  closed(file: MemFile): void {
    file.opens--;
    if (!file.linked && file.opens === 0) this.free(file);
  }

  /** Count `node` (and nothing else) as using the storage: importing a layer. */
  charge(node: MemEntry): void {
    if (node.kind === 'file') this.storage.usedBlocks += node.data.allocatedBlocks;
    if (!isFresh(node.meta)) return;
    this.storage.usedInodes++;
    this.storage.usedBlocks += nodeBlocks(node);
  }

  private free(file: MemFile): void {
    file.data.release();
    if (isFresh(file.meta)) this.storage.giveInode();
  }

  /** Record a content change (write, truncate) in the file's times. */
  touch(meta: MemMeta): void {
    const t = this.clock.now();
    meta.mtime = t;
    meta.ctime = t;
  }
}

/** True for nodes the guest created (their inodes come from the layer, not the image). */
function isFresh(meta: MemMeta): boolean {
  return meta.ino >= INO_FIRST_MEM && meta.ino < INO_FIRST_HOST;
}

/** Data blocks a directory or symlink takes besides its inode (a file's are its contents). */
function nodeBlocks(node: MemEntry): number {
  if (node.kind === 'dir') return 1;
  if (node.kind === 'symlink') return symlinkBlocks(node.target);
  return 0;
}

/** Data blocks a symlink to `target` takes: none when the target fits in the inode. */
export function symlinkBlocks(target: string): number {
  return target.length > FAST_SYMLINK_MAX ? 1 : 0;
}

/** Metadata copied from a lower node's stat, keeping its identity. */
export function metaFromStat(st: Stat): MemMeta {
  return {
    dev: st.dev,
    ino: st.ino,
    perm: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    atime: { ...st.atime },
    mtime: { ...st.mtime },
    ctime: { ...st.ctime },
  };
}

/** stat of a writable node; `nlink` is supplied by the caller for directories. */
export function memStat(node: MemEntry, nlink = 1): Stat {
  const m = node.meta;
  const owner = { uid: m.uid, gid: m.gid, time: m.mtime };
  const base = { dev: m.dev, ino: m.ino, owner, mtime: m.mtime, atime: m.atime, ctime: m.ctime };
  switch (node.kind) {
    case 'file':
      return makeStat({
        ...base,
        mode: S_IFREG | m.perm,
        size: node.data.size,
        blocks: node.data.allocatedBlocks * (BLOCK_SIZE / 512),
      });
    case 'dir':
      return makeStat({ ...base, mode: S_IFDIR | m.perm, size: 4096, nlink });
    case 'symlink':
      return makeStat({ ...base, mode: S_IFLNK | 0o777, size: node.target.length });
    case 'special':
      return makeStat({ ...base, mode: node.type | m.perm, size: 0, blocks: 0 });
  }
}
