/**
 * Path-based file-system syscalls: openat, the stat family, directories, links and names. They
 * resolve a (dirfd, path) pair to a guest path and ask the VFS; descriptor I/O is in io.ts.
 */
import { EINVAL, ENOENT, ENOTDIR, ERANGE, ErrnoError } from '../../abi/errno';
import { AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, O_ACCMODE, O_CLOEXEC, O_PATH, O_RDONLY, S_IFIFO, S_IFMT } from '../../abi/fcntl';
import { Task } from '../task';
import { SUPPORTED, syscallTable } from '../syscall-table';
import { FileObject, vfsFileObject } from '../file-object';
import { pipeFsOf } from '../pipe-fs';
import { readPath } from '../path-arg';
import { encodeStat64, encodeStatx, Stat } from '../stat';
import { nameBytes } from '../../vfs/path';

/** The directory a relative path in an *at() call starts from. */
export function baseDir(t: Task, dirfd: number): string {
  if ((dirfd | 0) === AT_FDCWD) return t.group.cwd;
  const d = t.fds.get(dirfd | 0);
  if (d.file.kind !== 'dir') throw new ErrnoError(ENOTDIR);
  return d.file.path;
}

/** Read a path argument; "" is ENOENT unless the caller handles AT_EMPTY_PATH itself. */
export function pathArg(t: Task, addr: number): string {
  const p = readPath(t, addr);
  if (p === '') throw new ErrnoError(ENOENT);
  return p;
}

/** The (path, cwd) pair the VFS needs for an *at() call. */
export function at(t: Task, dirfd: number, addr: number): [string, string] {
  const p = pathArg(t, addr);
  return [p, p.startsWith('/') ? '/' : baseDir(t, dirfd)];
}

/** stat of (dirfd, path) honouring AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW. */
function statAt(t: Task, dirfd: number, addr: number, flags: number): Stat {
  if (flags & AT_EMPTY_PATH && readPath(t, addr) === '') {
    if ((dirfd | 0) === AT_FDCWD) return t.vfs.stat(t.group.cwd, '/', true);
    return t.fds.get(dirfd | 0).file.stat();
  }
  const [p, cwd] = at(t, dirfd, addr);
  return t.vfs.stat(p, cwd, (flags & AT_SYMLINK_NOFOLLOW) === 0);
}

function openat(t: Task, a: number[]): number {
  const [dirfd, pathAddr, flags, mode] = a;
  const [p, cwd] = at(t, dirfd, pathAddr);
  const f = t.vfs.open(p, cwd, flags & ~O_PATH, mode & ~t.group.umask);
  const accFlags = flags & O_PATH ? (flags & ~O_ACCMODE) | O_RDONLY : flags;
  let file: FileObject = vfsFileObject(f);
  if (!(flags & O_PATH)) {
    const st = f.stat();
    if ((st.mode & S_IFMT) === S_IFIFO) file = openFifo(t, f.path, st.ino, flags, () => f.stat());
  }
  return t.fds.install({ file, offset: 0, flags: accFlags & ~O_CLOEXEC, dirCursor: 0 }, (flags & O_CLOEXEC) !== 0);
}

/** Connect an open of a FIFO node to the FIFO's pipe (waiting for the peer end as Linux does). */
function openFifo(t: Task, path: string, ino: number, flags: number, statOf: () => Stat): FileObject {
  const ns = t.clock.realtimeNs();
  const owner = { uid: t.group.uid, gid: t.group.gid, time: { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) } };
  return pipeFsOf(t.vfs).openFifo(t, ino, path, flags, owner, statOf);
}

function readlinkat(t: Task, a: number[]): number {
  const [dirfd, pathAddr, buf, size] = a;
  if ((size | 0) <= 0) return -EINVAL;
  const [p, cwd] = at(t, dirfd, pathAddr);
  const target = nameBytes(t.vfs.readlink(p, cwd));
  const n = Math.min(target.length, size);
  t.space.write(buf, target.subarray(0, n));
  return n;
}

function getcwd(t: Task, a: number[]): number {
  const [buf, size] = a;
  const bytes = nameBytes(t.group.cwd + '\0');
  if (bytes.length > size) return -ERANGE;
  t.space.write(buf, bytes);
  return bytes.length;
}

/** The path-based file-system syscalls. */
export const fsSyscalls = syscallTable(
  {
    openat,
    open: (t, a) => openat(t, [AT_FDCWD >>> 0, a[0], a[1], a[2]]),
    fstatat64(t, a) {
      t.space.write(a[2], encodeStat64(statAt(t, a[0], a[1], a[3])));
      return 0;
    },
    stat64(t, a) {
      t.space.write(a[1], encodeStat64(statAt(t, AT_FDCWD >>> 0, a[0], 0)));
      return 0;
    },
    lstat64(t, a) {
      t.space.write(a[1], encodeStat64(statAt(t, AT_FDCWD >>> 0, a[0], AT_SYMLINK_NOFOLLOW)));
      return 0;
    },
    statx(t, a) {
      const [dirfd, pathAddr, flags, , buf] = a;
      t.space.write(buf, encodeStatx(statAt(t, dirfd, pathAddr, flags)));
      return 0;
    },
    readlinkat,
    readlink: (t, a) => readlinkat(t, [AT_FDCWD >>> 0, a[0], a[1], a[2]]),
    faccessat(t, a) {
      const [p, cwd] = at(t, a[0], a[1]);
      t.vfs.access(p, cwd, a[2]);
      return 0;
    },
    faccessat2(t, a) {
      const [p, cwd] = at(t, a[0], a[1]);
      t.vfs.access(p, cwd, a[2]);
      return 0;
    },
    access(t, a) {
      t.vfs.access(pathArg(t, a[0]), t.group.cwd, a[1]);
      return 0;
    },
    getcwd,
    chdir(t, a) {
      t.group.cwd = t.vfs.resolveDirectory(pathArg(t, a[0]), t.group.cwd);
      return 0;
    },
    fchdir(t, a) {
      const d = t.fds.get(a[0]);
      if (d.file.kind !== 'dir') return -ENOTDIR;
      t.group.cwd = d.file.path;
      return 0;
    },
    mkdirat(t, a) {
      const [p, cwd] = at(t, a[0], a[1]);
      t.vfs.mkdir(p, cwd, a[2] & ~t.group.umask & 0o7777);
      return 0;
    },
    mkdir(t, a) {
      t.vfs.mkdir(pathArg(t, a[0]), t.group.cwd, a[1] & ~t.group.umask & 0o7777);
      return 0;
    },
    unlinkat(t, a) {
      const [dirfd, pathAddr, flags] = a;
      if (flags & ~AT_REMOVEDIR) return -EINVAL;
      const [p, cwd] = at(t, dirfd, pathAddr);
      if (flags & AT_REMOVEDIR) t.vfs.rmdir(p, cwd);
      else t.vfs.unlink(p, cwd);
      return 0;
    },
    unlink(t, a) {
      t.vfs.unlink(pathArg(t, a[0]), t.group.cwd);
      return 0;
    },
    rmdir(t, a) {
      t.vfs.rmdir(pathArg(t, a[0]), t.group.cwd);
      return 0;
    },
    renameat(t, a) {
      const [from, fromCwd] = at(t, a[0], a[1]);
      const [to, toCwd] = at(t, a[2], a[3]);
      t.vfs.rename(from, fromCwd, to, toCwd);
      return 0;
    },
    renameat2(t, a) {
      if (a[4] !== 0) return -EINVAL;
      const [from, fromCwd] = at(t, a[0], a[1]);
      const [to, toCwd] = at(t, a[2], a[3]);
      t.vfs.rename(from, fromCwd, to, toCwd);
      return 0;
    },
    rename(t, a) {
      t.vfs.rename(pathArg(t, a[0]), t.group.cwd, pathArg(t, a[1]), t.group.cwd);
      return 0;
    },
    truncate64(t, a) {
      const len = (a[3] | 0) * 0x100000000 + (a[2] >>> 0);
      if (len < 0) return -EINVAL;
      t.vfs.truncate(pathArg(t, a[0]), t.group.cwd, len);
      return 0;
    },
    truncate(t, a) {
      if ((a[1] | 0) < 0) return -EINVAL;
      t.vfs.truncate(pathArg(t, a[0]), t.group.cwd, a[1] | 0);
      return 0;
    },
  },
  {
    openat: SUPPORTED,
    open: SUPPORTED,
    fstatat64: SUPPORTED,
    stat64: SUPPORTED,
    lstat64: SUPPORTED,
    statx: SUPPORTED,
    readlinkat: SUPPORTED,
    readlink: SUPPORTED,
    faccessat: SUPPORTED,
    faccessat2: SUPPORTED,
    access: SUPPORTED,
    getcwd: SUPPORTED,
    chdir: SUPPORTED,
    fchdir: SUPPORTED,
    mkdirat: SUPPORTED,
    mkdir: SUPPORTED,
    unlinkat: SUPPORTED,
    unlink: SUPPORTED,
    rmdir: SUPPORTED,
    renameat: SUPPORTED,
    renameat2: SUPPORTED,
    rename: SUPPORTED,
    truncate64: SUPPORTED,
    truncate: SUPPORTED,
  },
);
