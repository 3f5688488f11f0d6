/**
 * Path-based file-system syscalls: openat, the stat family, directories, links and names. They
 * resolve a (dirfd, path) pair to a guest path and ask the VFS; descriptor I/O is in io.ts.
 */
import { EINVAL, ENOENT, ENOTDIR, ERANGE, ErrnoError } from '../../abi/errno';
import {
  AT_EMPTY_PATH,
  AT_FDCWD,
  AT_REMOVEDIR,
  AT_SYMLINK_NOFOLLOW,
  O_ACCMODE,
  O_CLOEXEC,
  O_PATH,
  O_RDONLY,
} from '../../abi/fcntl';
import { KernelContext, SyscallTable } from '../context';
import { vfsFileObject } from '../file-object';
import { readPath } from '../path-arg';
import { encodeStat64, encodeStatx, Stat } from '../stat';
import { nameBytes } from '../../vfs/path';

/** The directory a relative path in an *at() call starts from. */
export function baseDir(k: KernelContext, dirfd: number): string {
  if ((dirfd | 0) === AT_FDCWD) return k.proc.cwd;
  const d = k.fds.get(dirfd | 0);
  if (d.file.kind !== 'dir') throw new ErrnoError(ENOTDIR);
  return d.file.path;
}

/** Read a path argument; "" is ENOENT unless the caller handles AT_EMPTY_PATH itself. */
export function pathArg(k: KernelContext, addr: number): string {
  const p = readPath(k, addr);
  if (p === '') throw new ErrnoError(ENOENT);
  return p;
}

/** The (path, cwd) pair the VFS needs for an *at() call. */
export function at(k: KernelContext, dirfd: number, addr: number): [string, string] {
  const p = pathArg(k, addr);
  return [p, p.startsWith('/') ? '/' : baseDir(k, dirfd)];
}

/** stat of (dirfd, path) honouring AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW. */
function statAt(k: KernelContext, dirfd: number, addr: number, flags: number): Stat {
  if (flags & AT_EMPTY_PATH && readPath(k, addr) === '') {
    if ((dirfd | 0) === AT_FDCWD) return k.vfs.stat(k.proc.cwd, '/', true);
    return k.fds.get(dirfd | 0).file.stat();
  }
  const [p, cwd] = at(k, dirfd, addr);
  return k.vfs.stat(p, cwd, (flags & AT_SYMLINK_NOFOLLOW) === 0);
}

function openat(k: KernelContext, a: number[]): number {
  const [dirfd, pathAddr, flags, mode] = a;
  const [p, cwd] = at(k, dirfd, pathAddr);
  const f = k.vfs.open(p, cwd, flags & ~O_PATH, mode & ~k.proc.umask);
  const accFlags = flags & O_PATH ? (flags & ~O_ACCMODE) | O_RDONLY : flags;
  return k.fds.install({ file: vfsFileObject(f), offset: 0, flags: accFlags & ~O_CLOEXEC, dirCursor: 0 }, (flags & O_CLOEXEC) !== 0);
}

function readlinkat(k: KernelContext, a: number[]): number {
  const [dirfd, pathAddr, buf, size] = a;
  if ((size | 0) <= 0) return -EINVAL;
  const [p, cwd] = at(k, dirfd, pathAddr);
  const target = nameBytes(k.vfs.readlink(p, cwd));
  const n = Math.min(target.length, size);
  k.space.write(buf, target.subarray(0, n));
  return n;
}

function getcwd(k: KernelContext, a: number[]): number {
  const [buf, size] = a;
  const bytes = nameBytes(k.proc.cwd + '\0');
  if (bytes.length > size) return -ERANGE;
  k.space.write(buf, bytes);
  return bytes.length;
}

/** The path-based file-system syscalls. */
export const fsSyscalls: SyscallTable = {
  openat,
  open: (k, a) => openat(k, [AT_FDCWD >>> 0, a[0], a[1], a[2]]),
  fstatat64(k, a) {
    k.space.write(a[2], encodeStat64(statAt(k, a[0], a[1], a[3])));
    return 0;
  },
  stat64(k, a) {
    k.space.write(a[1], encodeStat64(statAt(k, AT_FDCWD >>> 0, a[0], 0)));
    return 0;
  },
  lstat64(k, a) {
    k.space.write(a[1], encodeStat64(statAt(k, AT_FDCWD >>> 0, a[0], AT_SYMLINK_NOFOLLOW)));
    return 0;
  },
  statx(k, a) {
    const [dirfd, pathAddr, flags, , buf] = a;
    k.space.write(buf, encodeStatx(statAt(k, dirfd, pathAddr, flags)));
    return 0;
  },
  readlinkat,
  readlink: (k, a) => readlinkat(k, [AT_FDCWD >>> 0, a[0], a[1], a[2]]),
  faccessat(k, a) {
    const [p, cwd] = at(k, a[0], a[1]);
    k.vfs.access(p, cwd, a[2]);
    return 0;
  },
  faccessat2(k, a) {
    const [p, cwd] = at(k, a[0], a[1]);
    k.vfs.access(p, cwd, a[2]);
    return 0;
  },
  access(k, a) {
    k.vfs.access(pathArg(k, a[0]), k.proc.cwd, a[1]);
    return 0;
  },
  getcwd,
  chdir(k, a) {
    k.proc.cwd = k.vfs.resolveDirectory(pathArg(k, a[0]), k.proc.cwd);
    return 0;
  },
  fchdir(k, a) {
    const d = k.fds.get(a[0]);
    if (d.file.kind !== 'dir') return -ENOTDIR;
    k.proc.cwd = d.file.path;
    return 0;
  },
  mkdirat(k, a) {
    const [p, cwd] = at(k, a[0], a[1]);
    k.vfs.mkdir(p, cwd, a[2] & ~k.proc.umask & 0o7777);
    return 0;
  },
  mkdir(k, a) {
    k.vfs.mkdir(pathArg(k, a[0]), k.proc.cwd, a[1] & ~k.proc.umask & 0o7777);
    return 0;
  },
  unlinkat(k, a) {
    const [dirfd, pathAddr, flags] = a;
    if (flags & ~AT_REMOVEDIR) return -EINVAL;
    const [p, cwd] = at(k, dirfd, pathAddr);
    if (flags & AT_REMOVEDIR) k.vfs.rmdir(p, cwd);
    else k.vfs.unlink(p, cwd);
    return 0;
  },
  unlink(k, a) {
    k.vfs.unlink(pathArg(k, a[0]), k.proc.cwd);
    return 0;
  },
  rmdir(k, a) {
    k.vfs.rmdir(pathArg(k, a[0]), k.proc.cwd);
    return 0;
  },
  renameat(k, a) {
    const [from, fromCwd] = at(k, a[0], a[1]);
    const [to, toCwd] = at(k, a[2], a[3]);
    k.vfs.rename(from, fromCwd, to, toCwd);
    return 0;
  },
  renameat2(k, a) {
    if (a[4] !== 0) return -EINVAL;
    const [from, fromCwd] = at(k, a[0], a[1]);
    const [to, toCwd] = at(k, a[2], a[3]);
    k.vfs.rename(from, fromCwd, to, toCwd);
    return 0;
  },
  rename(k, a) {
    k.vfs.rename(pathArg(k, a[0]), k.proc.cwd, pathArg(k, a[1]), k.proc.cwd);
    return 0;
  },
  truncate64(k, a) {
    const len = (a[3] | 0) * 0x100000000 + (a[2] >>> 0);
    if (len < 0) return -EINVAL;
    k.vfs.truncate(pathArg(k, a[0]), k.proc.cwd, len);
    return 0;
  },
  truncate(k, a) {
    if ((a[1] | 0) < 0) return -EINVAL;
    k.vfs.truncate(pathArg(k, a[0]), k.proc.cwd, a[1] | 0);
    return 0;
  },
};

