/**
 * The virtual file system the syscall layer talks to: the rootfs mounts, generated /proc and /sys,
 * and a writable in-memory layer over all of them. Every failure is an ErrnoError.
 */
import { EACCES, EEXIST, EINVAL, EIO, EISDIR, ELOOP, ENOENT, ENOTDIR, ENXIO, ErrnoError } from '../abi/errno';
import { O_ACCMODE, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_RDONLY, O_TRUNC, O_WRONLY, S_IFIFO } from '../abi/fcntl';
import { Attributes, TimeChange } from './attributes';
import { buildDev, DeviceNode, RandomSource } from './devices';
import { Persist } from '../persist';
import { exportLayer, importLayer, LayerState } from './layer-state';
import { MemLayer, metaFromStat } from './mem-layer';
import { composeRootfs } from './mount-tree';
import { DirEntry, Provenance, ROOTFS_DEV, Stat, Timespec } from './node';
import { DirHandle, FileHandle, FileSource, OpenFile } from './open-file';
import { MNode, Overlay } from './overlay';
import { Credentials, permits, R_OK, W_OK, X_OK } from './perm';
import { DeviceDescription } from './proc-text';
import { buildProc, buildSys } from './procfs';
import { Mutations } from './mutations';
import { joinChild } from './path';
import { parseRootfsSpec, RootfsSpec } from './rootfs-spec';
import { FsStats, fsStatsAt, Storage } from './storage';
import { Resolved, walk } from './walk';

// The syscall layer imports everything it needs from this module.
export type { OpenFile } from './open-file';
export type { DirEntry, Stat, Timespec } from './node';
export type { LayerState } from './layer-state';
export type { DeviceDescription } from './proc-text';
export { memoryKb } from './proc-text';
export type { FsStats } from './storage';
export type { RootfsEntry, RootfsSpec } from './rootfs-spec';
export type { TimeChange } from './attributes';
export { KEEP_ID } from './attributes';

/** Construction options of a Vfs. */
export interface VfsOptions {
  /** Guest path of the running program, the target of /proc/self/exe. */
  exePath: string;
  /** Modelled time for changes; defaults to `imageTime` so runs stay reproducible. */
  now?: () => Timespec;
  /** Timestamp of every image file; defaults to 2015-01-01T00:00:00Z. */
  imageTime?: Timespec;
  /** Identity of the guest process; defaults to root. */
  uid?: number;
  gid?: number;
  /** Owner reported for image files; defaults to the guest identity. */
  imageUid?: number;
  imageGid?: number;
  /** Process id shown under /proc; defaults to 1. */
  pid?: number;
  /** Current directory of the process, for /proc/self/cwd. */
  cwd?: () => string;
  /** The process's name, for /proc/self/comm. */
  comm?: () => string;
  /** The process's memory map, for /proc/self/maps. */
  maps?: () => string;
  /** Bytes for /dev/random and /dev/urandom; without it reading them fails with EIO. */
  random?: RandomSource;
  /** Size of the device's storage, which bounds the writable layer (ENOSPC beyond); default unbounded. */
  storageBytes?: number;
}

/** Reading /dev/urandom of a Vfs built without a random source. */
const NO_RANDOM: RandomSource = () => {
  throw new ErrnoError(EIO, 'no random source attached to this file system');
};

/** Timestamp of image files when the options give none (2015-01-01T00:00:00Z). */
export const DEFAULT_IMAGE_TIME: Timespec = { sec: 1420070400, nsec: 0 };

/** The guest's file system. */
export class Vfs implements Persist<LayerState> {
  private readonly ov: Overlay;
  private readonly layer: MemLayer;
  private readonly cred: Credentials;
  private readonly mutations: Mutations;
  private readonly attributes: Attributes;

  /** Build from a rootfs spec validated by parseRootfsSpec; synthesized indexes are built here. */
  constructor(spec: RootfsSpec, device: DeviceDescription, options: VfsOptions) {
    const imageTime = options.imageTime ?? DEFAULT_IMAGE_TIME;
    this.cred = { uid: options.uid ?? 0, gid: options.gid ?? 0 };
    const owner: Provenance = { uid: options.imageUid ?? this.cred.uid, gid: options.imageGid ?? this.cred.gid, time: imageTime };
    const system: Provenance = { uid: 0, gid: 0, time: imageTime };
    const proc = buildProc(device, { exePath: options.exePath, cwd: options.cwd, comm: options.comm, maps: options.maps, pid: options.pid ?? 1 }, system);
    const sys = buildSys(device, system);
    const dev = buildDev(options.random ?? NO_RANDOM, system);
    const extra = [
      { target: '/dev', root: dev },
      { target: '/proc', root: proc },
      { target: '/sys', root: sys },
    ];
    const lower = composeRootfs(spec, { owner, extra });
    const now = options.now ?? (() => ({ ...imageTime }));
    this.layer = new MemLayer(ROOTFS_DEV, { now, ...this.cred }, metaFromStat(lower.stat()), new Storage(options.storageBytes));
    this.ov = new Overlay(lower, this.layer);
    this.mutations = new Mutations(this.ov, this.layer, this.cred);
    this.attributes = new Attributes(this.ov, this.cred, now);
  }

  /** Validate a manifest's rootfs array (relative host folders start at `baseDir`) and build. */
  static fromManifest(rootfs: unknown, baseDir: string, device: DeviceDescription, options: VfsOptions): Vfs {
    return new Vfs(parseRootfsSpec(rootfs, baseDir), device, options);
  }

  /** stat(2) or lstat(2) of a path. */
  stat(path: string, cwd: string, followSymlinks = true): Stat {
    return this.ov.stat(this.existing(path, cwd, followSymlinks));
  }

  /** open(2): O_CREAT, O_EXCL, O_TRUNC, O_DIRECTORY, O_NOFOLLOW and the access mode; O_APPEND is the descriptor's job. */
  open(path: string, cwd: string, flags: number, mode = 0o666): OpenFile {
    const acc = flags & O_ACCMODE;
    const wantWrite = acc !== O_RDONLY;
    const create = (flags & O_CREAT) !== 0;
    const exclusive = create && (flags & O_EXCL) !== 0;
    // O_CREAT|O_EXCL must not create through a symlink, so the last component is not followed.
    const r = walk(this.ov, path, cwd, (flags & O_NOFOLLOW) === 0 && !exclusive, this.cred);
    if (!r.node) {
      if (!create) throw new ErrnoError(ENOENT);
      if (r.trailingSlash) throw new ErrnoError(EISDIR);
      if (flags & O_DIRECTORY) throw new ErrnoError(EINVAL);
      return this.create(r, mode, wantWrite);
    }
    const node = r.node;
    const kind = this.ov.kind(node);
    if (exclusive) throw new ErrnoError(EEXIST);
    if (kind === 'symlink') throw new ErrnoError(ELOOP);
    if (kind !== 'dir' && flags & O_DIRECTORY) throw new ErrnoError(ENOTDIR);
    if (kind === 'special') return this.openSpecial(node, acc);
    if (kind === 'dir') {
      if (wantWrite || create || flags & O_TRUNC) throw new ErrnoError(EISDIR);
      if (!permits(this.ov.perms(node), R_OK, this.cred)) throw new ErrnoError(EACCES);
      return this.openDir(node.path);
    }
    const truncate = (flags & O_TRUNC) !== 0;
    const want = (acc === O_WRONLY ? 0 : R_OK) | (wantWrite || truncate ? W_OK : 0);
    if (this.ov.sealed(node) && (wantWrite || truncate)) throw new ErrnoError(EACCES);
    if (!permits(this.ov.perms(node), want, this.cred)) throw new ErrnoError(EACCES);
    if (!wantWrite && !truncate) return new FileHandle(node.path, this.readSource(node), this.layer, false);
    const file = this.ov.copyUp(node, !truncate);
    if (file.kind !== 'file') throw new ErrnoError(ELOOP);
    if (truncate && file.data.size > 0) {
      file.data.truncate(0);
      this.layer.touch(file.meta);
    }
    return new FileHandle(node.path, { kind: 'mem', file }, this.layer, wantWrite);
  }

  /** readlink(2); EINVAL when the path is not a symlink. */
  readlink(path: string, cwd: string): string {
    const node = this.existing(path, cwd, false);
    if (this.ov.kind(node) !== 'symlink') throw new ErrnoError(EINVAL);
    return this.ov.readlink(node);
  }

  /** access(2) with F_OK (0) or a mask of R_OK, W_OK, X_OK. */
  access(path: string, cwd: string, mode: number): void {
    if (mode & ~7) throw new ErrnoError(EINVAL);
    const node = this.existing(path, cwd, true);
    if (mode !== 0 && !permits(this.ov.perms(node), mode, this.cred)) throw new ErrnoError(EACCES);
  }

  /** mkdir(2); `mode` should already have the umask applied. */
  mkdir(path: string, cwd: string, mode: number): void {
    this.mutations.mkdir(path, cwd, mode);
  }

  /** symlink(2): create `path` pointing at `target`. */
  symlink(target: string, path: string, cwd: string): void {
    this.mutations.symlink(target, path, cwd);
  }

  /** mknod(2) of a regular file, FIFO or socket (`type` is its S_IF* bits); devices are EPERM. */
  mknod(path: string, cwd: string, type: number, perm: number): void {
    this.mutations.mknod(path, cwd, type, perm);
  }

  /** chmod(2); `follow` false changes a symlink itself (Linux refuses that one level up). */
  chmod(path: string, cwd: string, mode: number, follow = true): void {
    this.attributes.chmod(this.existing(path, cwd, follow), mode);
  }

  /** chown(2) and lchown(2); KEEP_ID leaves an id unchanged. */
  chown(path: string, cwd: string, uid: number, gid: number, follow = true): void {
    this.attributes.chown(this.existing(path, cwd, follow), uid, gid);
  }

  /** utimensat(2): new access and modification times. */
  utimens(path: string, cwd: string, atime: TimeChange, mtime: TimeChange, follow = true): void {
    this.attributes.utimens(this.existing(path, cwd, follow), atime, mtime);
  }

  /** unlink(2). */
  unlink(path: string, cwd: string): void {
    this.mutations.unlink(path, cwd);
  }

  /** rmdir(2). */
  rmdir(path: string, cwd: string): void {
    this.mutations.rmdir(path, cwd);
  }

  /** renameat(2): each path is relative to its own directory. */
  rename(from: string, fromCwd: string, to: string, toCwd: string = fromCwd): void {
    this.mutations.rename(from, fromCwd, to, toCwd);
  }

  /** truncate(2). */
  truncate(path: string, cwd: string, length: number): void {
    this.mutations.truncate(path, cwd, length);
  }

  /** Canonical path of an existing node, symlinks followed (realpath). */
  resolve(path: string, cwd: string): string {
    return this.existing(path, cwd, true).path;
  }

  /** Canonical path for chdir: ENOENT, ENOTDIR or EACCES (no search permission) as Linux. */
  resolveDirectory(path: string, cwd: string): string {
    const node = this.existing(path, cwd, true);
    if (this.ov.kind(node) !== 'dir') throw new ErrnoError(ENOTDIR);
    if (!permits(this.ov.perms(node), X_OK, this.cred)) throw new ErrnoError(EACCES);
    return node.path;
  }

  /** How much of the device's storage the writable layer uses. */
  storageUse(): Storage {
    return this.layer.storage;
  }

  /** statfs(2) of the file system holding `path`. */
  statfs(path: string, cwd: string): FsStats {
    return this.fsStatsOf(this.existing(path, cwd, true).path);
  }

  /** statfs of the file system a canonical path lies on, whether or not it still exists (fstatfs). */
  fsStatsOf(canonical: string): FsStats {
    return fsStatsAt(canonical, this.layer.storage);
  }

  /** Plain-data snapshot of everything the guest changed (the writable layer). */
  save(): LayerState {
    return exportLayer(this.layer);
  }

  /** Replace the writable layer with one captured by save() (on this or an identically built Vfs). */
  restore(state: LayerState): void {
    importLayer(this.layer, state);
  }

  private existing(path: string, cwd: string, follow: boolean): MNode {
    const r = walk(this.ov, path, cwd, follow, this.cred);
    if (!r.node) throw new ErrnoError(ENOENT);
    return r.node;
  }

  private create(r: Resolved, mode: number, wantWrite: boolean): OpenFile {
    this.mutations.checkWritableDir(r.parent);
    const dir = this.ov.upperDir(r.parent);
    const file = this.layer.newFile(this.layer.freshMeta(mode & 0o7777));
    dir.children.set(r.name, file);
    this.mutations.touchDir(dir);
    const path = joinChild(r.parent.path, r.name);
    // Linux lets the creator write even when `mode` denies it; the check applies to later opens.
    return new FileHandle(path, { kind: 'mem', file }, this.layer, wantWrite);
  }

  /**
   * Devices answer as Linux's do. A FIFO opens as a handle without data that names the node (its
   * stat says S_IFIFO): the kernel connects it to the FIFO's pipe. Sockets: ENXIO.
   */
  private openSpecial(node: MNode, acc: number): OpenFile {
    const want = (acc === O_WRONLY ? 0 : R_OK) | (acc !== O_RDONLY ? W_OK : 0);
    if (!permits(this.ov.perms(node), want, this.cred)) throw new ErrnoError(EACCES);
    if (node.lower instanceof DeviceNode) return node.lower.open(node.path);
    if (node.upper?.kind === 'special' && node.upper.type === S_IFIFO) {
      return new FileHandle(node.path, { kind: 'empty', stat: () => this.ov.stat(node) }, this.layer, false);
    }
    throw new ErrnoError(ENXIO);
  }

  private readSource(node: MNode): FileSource {
    if (node.upper?.kind === 'file') return { kind: 'mem', file: node.upper };
    const lower = node.lower!;
    const bytes = lower.snapshot();
    if (bytes) return { kind: 'snapshot', node: lower, bytes };
    const st = lower.stat();
    return { kind: 'lower', node: lower, dev: st.dev, ino: st.ino };
  }

  private openDir(path: string): OpenFile {
    const ov = this.ov;
    const find = (): MNode | undefined => ov.at(path);
    return new DirHandle(path, {
      stat: () => {
        const n = find();
        if (!n) throw new ErrnoError(ENOENT);
        return ov.stat(n);
      },
      list: () => {
        const n = find();
        if (!n) return [];
        const cut = path.lastIndexOf('/');
        const parent = path === '/' ? n : (ov.at(cut === 0 ? '/' : path.slice(0, cut)) ?? n);
        const out: DirEntry[] = [
          { name: '.', ...ov.identity(n) },
          { name: '..', ...ov.identity(parent) },
        ];
        for (const name of ov.names(n)) {
          const child = ov.child(n, name);
          if (child) out.push({ name, ...ov.identity(child) });
        }
        return out;
      },
    });
  }
}
