/** Namespace changes on the merged view: mkdir, mknod, unlink, rmdir, rename, symlink and truncate. */
import { EACCES, EBUSY, EEXIST, EINVAL, EISDIR, ENOENT, ENOTDIR, ENOTEMPTY, EPERM, EXDEV, ErrnoError } from '../abi/errno';
import { S_IFIFO, S_IFREG, S_IFSOCK } from '../abi/fcntl';
import { MemDir, MemLayer, MemSpecial, metaFromStat, MemSymlink, symlinkBlocks, WHITEOUT } from './mem-layer';
import { MNode, Overlay } from './overlay';
import { isWithin } from './path';
import { Credentials, permits, W_OK, X_OK } from './perm';
import { Resolved, walk } from './walk';

/** Applies namespace changes for one guest identity. */
export class Mutations {
  /** All changes go to `ov`'s writable layer; `cred` decides permission checks. */
  constructor(
    private readonly ov: Overlay,
    private readonly layer: MemLayer,
    private readonly cred: Credentials,
  ) {}

  /** Refuse changes inside generated trees and directories the guest may not write. */
  checkWritableDir(dir: MNode): void {
    if (this.ov.sealed(dir)) throw new ErrnoError(EACCES);
    if (!permits(this.ov.perms(dir), W_OK | X_OK, this.cred)) throw new ErrnoError(EACCES);
  }

  /** Record an entry change in a directory's times. */
  touchDir(dir: MemDir): void {
    this.layer.touch(dir.meta);
  }

  /** Remove `name` from `parent`, leaving a whiteout when the image has an entry there. */
  removeEntry(parent: MNode, name: string): void {
    const dir = this.ov.upperDir(parent);
    const old = dir.children.get(name);
    if (parent.lower?.lookup(name)) dir.children.set(name, WHITEOUT);
    else dir.children.delete(name);
    this.layer.dropped(old);
    this.touchDir(dir);
  }

  /** mkdir(2); the new directory is opaque so a deleted image directory's entries stay gone. */
  mkdir(path: string, cwd: string, mode: number): void {
    const r = walk(this.ov, path, cwd, false, this.cred);
    if (r.node) throw new ErrnoError(EEXIST);
    this.checkWritableDir(r.parent);
    const dir = this.ov.upperDir(r.parent);
    // A directory takes an inode and its first block.
    dir.children.set(r.name, new MemDir(this.layer.freshMeta(mode & 0o7777, 1), true));
    this.touchDir(dir);
  }

  /** symlink(2). */
  symlink(target: string, path: string, cwd: string): void {
    if (target === '') throw new ErrnoError(ENOENT);
    const r = walk(this.ov, path, cwd, false, this.cred);
    if (r.node) throw new ErrnoError(EEXIST);
    if (r.trailingSlash) throw new ErrnoError(ENOENT);
    this.checkWritableDir(r.parent);
    const dir = this.ov.upperDir(r.parent);
    dir.children.set(r.name, new MemSymlink(this.layer.freshMeta(0o777, symlinkBlocks(target)), target));
    this.touchDir(dir);
  }

  /**
   * mknod(2) for an unprivileged caller: regular files, FIFOs and sockets are made; device nodes
   * are refused with EPERM once the name and directory checks pass, as Linux does without
   * CAP_MKNOD. `type` must already be one of S_IFREG, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK.
   */
  mknod(path: string, cwd: string, type: number, perm: number): void {
    const r = walk(this.ov, path, cwd, false, this.cred);
    if (r.node) throw new ErrnoError(EEXIST);
    if (r.trailingSlash) throw new ErrnoError(ENOENT);
    this.checkWritableDir(r.parent);
    // Device nodes need CAP_MKNOD, which the guest never has (and the layer has no devices to make).
    if (type !== S_IFREG && type !== S_IFIFO && type !== S_IFSOCK) throw new ErrnoError(EPERM);
    const dir = this.ov.upperDir(r.parent);
    const meta = this.layer.freshMeta(perm & 0o7777);
    dir.children.set(r.name, type === S_IFREG ? this.layer.newFile(meta) : new MemSpecial(meta, type));
    this.touchDir(dir);
  }

  /** unlink(2): anything but a directory. */
  unlink(path: string, cwd: string): void {
    const r = walk(this.ov, path, cwd, false, this.cred);
    if (r.lastKind !== 'norm') throw new ErrnoError(EISDIR);
    const node = this.existing(r);
    if (this.ov.kind(node) === 'dir') throw new ErrnoError(EISDIR);
    this.checkWritableDir(r.parent);
    this.removeEntry(r.parent, r.name);
  }

  /** rmdir(2): only empty directories; "." is EINVAL, ".." ENOTEMPTY and "/" EBUSY as in Linux. */
  rmdir(path: string, cwd: string): void {
    const r = walk(this.ov, path, cwd, false, this.cred);
    if (r.lastKind === 'dot') throw new ErrnoError(EINVAL);
    if (r.lastKind === 'dotdot') throw new ErrnoError(ENOTEMPTY);
    if (r.lastKind === 'root') throw new ErrnoError(EBUSY);
    const node = this.existing(r);
    if (this.ov.kind(node) !== 'dir') throw new ErrnoError(ENOTDIR);
    if (this.ov.sealed(node)) throw new ErrnoError(EBUSY);
    this.checkWritableDir(r.parent);
    if (this.ov.names(node).length > 0) throw new ErrnoError(ENOTEMPTY);
    this.removeEntry(r.parent, r.name);
  }

  /** rename(2) of files, symlinks and directories; image directories move by redirect, not by copying. */
  rename(from: string, fromCwd: string, to: string, toCwd: string): void {
    const a = walk(this.ov, from, fromCwd, false, this.cred);
    const b = walk(this.ov, to, toCwd, false, this.cred);
    if (a.lastKind !== 'norm' || b.lastKind !== 'norm') throw new ErrnoError(EBUSY);
    const src = this.existing(a);
    const srcIsDir = this.ov.kind(src) === 'dir';
    if (b.trailingSlash && !b.node && !srcIsDir) throw new ErrnoError(ENOTDIR);
    const sealedA = this.ov.sealed(src) || this.ov.sealed(a.parent);
    const sealedB = (b.node !== undefined && this.ov.sealed(b.node)) || this.ov.sealed(b.parent);
    if (sealedA !== sealedB) throw new ErrnoError(EXDEV);
    this.checkWritableDir(a.parent);
    this.checkWritableDir(b.parent);
    if (b.node?.path === src.path) return;
    if (srcIsDir && isWithin(b.parent.path, src.path)) throw new ErrnoError(EINVAL);
    if (b.node) {
      const dstIsDir = this.ov.kind(b.node) === 'dir';
      if (srcIsDir && !dstIsDir) throw new ErrnoError(ENOTDIR);
      if (!srcIsDir && dstIsDir) throw new ErrnoError(EISDIR);
      if (dstIsDir && this.ov.names(b.node).length > 0) throw new ErrnoError(ENOTEMPTY);
    }
    const moved = srcIsDir ? this.detachDir(src) : this.ov.copyUp(src);
    const srcDir = this.ov.upperDir(a.parent);
    const dstDir = this.ov.upperDir(b.parent);
    if (a.parent.lower?.lookup(a.name)) srcDir.children.set(a.name, WHITEOUT);
    else srcDir.children.delete(a.name);
    const replaced = dstDir.children.get(b.name);
    dstDir.children.set(b.name, moved);
    if (replaced !== moved) this.layer.dropped(replaced);
    moved.meta.ctime = this.layer.clock.now();
    this.touchDir(srcDir);
    this.touchDir(dstDir);
  }

  /** truncate(2) by path; shrinking drops data, growing adds a hole. */
  truncate(path: string, cwd: string, length: number): void {
    if (length < 0) throw new ErrnoError(EINVAL);
    const r = walk(this.ov, path, cwd, true, this.cred);
    const node = this.existing(r);
    if (this.ov.kind(node) === 'dir') throw new ErrnoError(EISDIR);
    if (this.ov.kind(node) !== 'file' && this.ov.kind(node) !== 'symlink') throw new ErrnoError(EINVAL);
    if (this.ov.sealed(node) || !permits(this.ov.perms(node), W_OK, this.cred)) throw new ErrnoError(EACCES);
    const file = this.ov.copyUp(node, length > 0);
    if (file.kind !== 'file') throw new ErrnoError(EINVAL);
    file.data.truncate(length);
    this.layer.touch(file.meta);
  }

  /** The node of a resolution, or ENOENT. */
  existing(r: Resolved): MNode {
    if (!r.node) throw new ErrnoError(ENOENT);
    return r.node;
  }

  /**
   * The writable directory to move for a rename: one that still shows image entries points at them
   * by `redirect`; one without image entries becomes opaque so nothing at its new path leaks in.
   */
  private detachDir(n: MNode): MemDir {
    const dir = n.upper?.kind === 'dir' ? n.upper : new MemDir(metaFromStat(n.lower!.stat()), false);
    if (n.lower && n.lowerPath !== undefined) {
      dir.redirect = n.lowerPath;
      dir.opaque = false;
    } else {
      dir.redirect = undefined;
      dir.opaque = true;
    }
    return dir;
  }
}
