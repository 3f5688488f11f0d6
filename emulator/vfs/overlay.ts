/**
 * The merged view of the writable layer over the image, and the copy-up that moves image nodes
 * into the writable layer the first time they change.
 */
import { EACCES, ENOSPC, ErrnoError } from '../abi/errno';
import { DT_DIR, DT_LNK, DT_REG } from '../abi/fcntl';
import { MemDir, MemEntry, MemFile, MemLayer, MemSpecial, memStat, metaFromStat, MemSymlink } from './mem-layer';
import { dtypeOf, LowerNode, NodeKind, Stat, typeBits } from './node';
import { componentsOf, joinChild } from './path';
import type { Perms } from './perm';

/**
 * A node of the merged view at a canonical path: its writable part, its image part, or both (only
 * directories have both). `lowerPath` is where the image part sits in the image, which differs
 * from `path` after a directory rename.
 */
export interface MNode {
  path: string;
  upper?: MemEntry;
  lower?: LowerNode;
  lowerPath?: string;
}

/** Merges a MemLayer over a lower tree. */
export class Overlay {
  /** Both layers are shared with the facade; the layer's root may be swapped by restore. */
  constructor(
    readonly lowerRoot: LowerNode,
    readonly layer: MemLayer,
  ) {}

  /** The merged root directory. */
  root(): MNode {
    return { path: '/', upper: this.layer.root, lower: this.lowerRoot, lowerPath: '/' };
  }

  /** Kind of a merged node. */
  kind(n: MNode): NodeKind {
    return n.upper ? n.upper.kind : n.lower!.kind;
  }

  /** True for generated nodes (procfs) the guest may not change. */
  sealed(n: MNode): boolean {
    return !n.upper && n.lower !== undefined && n.lower.sealed;
  }

  /** The entry `name` of directory `dir`, or undefined when absent or whited out. */
  child(dir: MNode, name: string): MNode | undefined {
    const path = joinChild(dir.path, name);
    const up = dir.upper?.kind === 'dir' ? dir.upper.children.get(name) : undefined;
    if (up?.kind === 'whiteout') return undefined;
    if (up && up.kind !== 'dir') return { path, upper: up };
    let lower: LowerNode | undefined;
    let lowerPath: string | undefined;
    if (up?.redirect !== undefined) {
      lowerPath = up.redirect;
      lower = this.lowerAt(lowerPath);
    } else if (!up?.opaque) {
      lower = dir.lower?.lookup(name);
      lowerPath = dir.lowerPath !== undefined ? joinChild(dir.lowerPath, name) : undefined;
    }
    if (up) return lower?.kind === 'dir' ? { path, upper: up, lower, lowerPath } : { path, upper: up };
    return lower ? { path, lower, lowerPath } : undefined;
  }

  /** Names in a merged directory, sorted so listings are identical everywhere. */
  names(dir: MNode): string[] {
    const names = new Set<string>(dir.lower ? dir.lower.names() : []);
    if (dir.upper?.kind === 'dir') {
      for (const [name, node] of dir.upper.children) {
        if (node.kind === 'whiteout') names.delete(name);
        else names.add(name);
      }
    }
    return [...names].sort();
  }

  /** The merged node at a canonical path, without following symlinks. */
  at(path: string): MNode | undefined {
    let n: MNode | undefined = this.root();
    for (const name of componentsOf(path)) {
      if (!n || this.kind(n) !== 'dir') return undefined;
      n = this.child(n, name);
    }
    return n;
  }

  /** An image node by its image path, ignoring the writable layer. */
  lowerAt(path: string): LowerNode | undefined {
    let n: LowerNode | undefined = this.lowerRoot;
    for (const name of componentsOf(path)) {
      if (!n || n.kind !== 'dir') return undefined;
      n = n.lookup(name);
    }
    return n;
  }

  /** Attributes of a merged node. */
  stat(n: MNode): Stat {
    if (!n.upper) return n.lower!.stat();
    if (n.upper.kind !== 'dir') return memStat(n.upper);
    let subdirs = 0;
    for (const name of this.names(n)) if (this.kind(this.child(n, name)!) === 'dir') subdirs++;
    return memStat(n.upper, 2 + subdirs);
  }

  /** Mode and owner only, without the directory scan a full stat of a writable directory needs. */
  perms(n: MNode): Perms {
    if (!n.upper) return n.lower!.stat();
    const u = n.upper;
    const m = u.meta;
    return { mode: typeBits(u.kind, u.kind === 'special' ? u.type : undefined) | (u.kind === 'symlink' ? 0o777 : m.perm), uid: m.uid, gid: m.gid };
  }

  /** Inode number and d_type, cheaper than a full stat for listings. */
  identity(n: MNode): { ino: number; type: number } {
    const kind = this.kind(n);
    if (kind === 'special') {
      const st = this.stat(n);
      return { ino: st.ino, type: dtypeOf(st.mode) };
    }
    const type = kind === 'dir' ? DT_DIR : kind === 'symlink' ? DT_LNK : DT_REG;
    return { ino: n.upper ? n.upper.meta.ino : n.lower!.stat().ino, type };
  }

  /** Symlink target of a merged node. */
  readlink(n: MNode): string {
    return n.upper?.kind === 'symlink' ? n.upper.target : n.lower!.readlink();
  }

  /** Make sure a merged directory has a writable part (copying up its ancestors) and return it. */
  upperDir(dir: MNode): MemDir {
    if (dir.upper?.kind === 'dir') return dir.upper;
    let cur = this.root();
    for (const name of componentsOf(dir.path)) {
      const next = this.child(cur, name);
      if (!next || this.kind(next) !== 'dir') throw new Error(`vfs: ${dir.path} is not a directory`);
      if (!next.upper) {
        if (next.lower!.sealed) throw new ErrnoError(EACCES);
        next.upper = new MemDir(metaFromStat(next.lower!.stat()), false);
        (cur.upper as MemDir).children.set(name, next.upper);
      }
      cur = next;
    }
    dir.upper = cur.upper;
    return cur.upper as MemDir;
  }

  /**
   * Copy an image file or symlink into the writable layer, keeping its inode. `withData` false
   * skips reading the contents when the caller is about to truncate them anyway.
   */
  copyUp(n: MNode, withData = true): MemFile | MemSymlink | MemSpecial {
    if (n.upper && n.upper.kind !== 'dir') return n.upper;
    const lower = n.lower!;
    // Image special nodes are all generated (/dev), and sealed.
    if (lower.sealed || lower.kind === 'special') throw new ErrnoError(EACCES);
    const cut = n.path.lastIndexOf('/');
    const parent = this.at(cut === 0 ? '/' : n.path.slice(0, cut))!;
    const dir = this.upperDir(parent);
    const meta = metaFromStat(lower.stat());
    let copy: MemFile | MemSymlink;
    if (lower.kind === 'symlink') {
      copy = new MemSymlink(meta, lower.readlink());
    } else {
      const file = this.layer.newFile(meta);
      try {
        if (withData) copyContents(lower, file);
      } catch (e) {
        // Storage full part-way: the tree is unchanged and the partial copy's blocks go back.
        file.data.release();
        throw e;
      }
      this.layer.byIno.set(meta.ino, file);
      copy = file;
    }
    dir.children.set(n.path.slice(cut + 1), copy);
    n.upper = copy;
    n.lower = undefined;
    return copy;
  }
}

/** Read a whole image file into a writable one, in chunks so large files need no single buffer. */
function copyContents(from: LowerNode, to: MemFile): void {
  const chunk = new Uint8Array(64 * 1024);
  for (let pos = 0; ;) {
    const n = from.read(chunk, pos);
    if (n === 0) break;
    if (to.data.write(chunk.subarray(0, n), pos) !== n) throw new ErrnoError(ENOSPC);
    pos += n;
  }
  // Trailing holes report no bytes but still count toward the size.
  to.data.truncate(Math.max(to.data.size, from.stat().size));
}
