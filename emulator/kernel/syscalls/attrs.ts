/**
 * File attributes and special names: chmod, chown, utimensat/utimes, symlink and mknod in all
 * their path, *at and descriptor forms. Rules for an unprivileged caller are in vfs/attributes.ts.
 */
import { EFAULT, EINVAL, ENOENT, EPERM } from '../../abi/errno';
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK } from '../../abi/fcntl';
import { KEEP_ID, TimeChange } from '../../vfs/vfs';
import { Task } from '../task';
import { partial, SUPPORTED, syscallTable } from '../syscall-table';
import { readPath } from '../path-arg';
import { at, pathArg } from './fs';

const UTIME_NOW = (1 << 30) - 1;
const UTIME_OMIT = (1 << 30) - 2;
const NS = 1_000_000_000;

/** Where an attribute change applies: a path relative to `cwd` (a descriptor's is canonical). */
interface Target {
  path: string;
  cwd: string;
  follow: boolean;
}

/**
 * The target of an *at() call. A NULL or (with AT_EMPTY_PATH) empty path names the descriptor
 * itself; consoles are not in the file system, so changes to them succeed without effect.
 */
function target(t: Task, dirfd: number, addr: number, flags: number, nullIsFd = false): Target | undefined {
  const follow = (flags & AT_SYMLINK_NOFOLLOW) === 0;
  if (addr === 0 && nullIsFd) return fdTarget(t, dirfd);
  if (flags & AT_EMPTY_PATH && readPath(t, addr) === '') {
    return (dirfd | 0) === AT_FDCWD ? { path: t.group.cwd, cwd: '/', follow } : fdTarget(t, dirfd);
  }
  const [path, cwd] = at(t, dirfd, addr);
  return { path, cwd, follow };
}

function fdTarget(t: Task, fd: number): Target | undefined {
  const d = t.fds.get(fd | 0);
  return d.file.kind === 'console' ? undefined : { path: d.file.path, cwd: '/', follow: false };
}

/** Apply `change` to the target, if any (undefined: a console, where it has no effect). */
function apply(target: Target | undefined, change: (path: string, cwd: string, follow: boolean) => void): number {
  if (target) change(target.path, target.cwd, target.follow);
  return 0;
}

function chmod(t: Task, target: Target | undefined, mode: number): number {
  return apply(target, (p, cwd, follow) => t.vfs.chmod(p, cwd, mode, follow));
}

function chown(t: Task, target: Target | undefined, uid: number, gid: number): number {
  return apply(target, (p, cwd, follow) => t.vfs.chown(p, cwd, uid >>> 0, gid >>> 0, follow));
}

/** The 16-bit ids of the old chown calls: 0xffff means "leave unchanged". */
function id16(v: number): number {
  return (v & 0xffff) === 0xffff ? KEEP_ID : v & 0xffff;
}

/** One utimensat time: UTIME_NOW, UTIME_OMIT, or a valid timespec (else EINVAL). */
function timeChange(sec: number, nsec: number): TimeChange {
  if (nsec === UTIME_NOW) return 'now';
  if (nsec === UTIME_OMIT) return 'omit';
  if (nsec < 0 || nsec >= NS) throw new RangeError('nsec');
  return { sec, nsec };
}

/** utimensat and utimensat_time64: `wide` selects 64-bit timespecs. */
function utimensat(wide: boolean) {
  return (t: Task, a: number[]): number => {
    const [dirfd, pathAddr, timesAddr, flags] = a;
    let atime: TimeChange = 'now';
    let mtime: TimeChange = 'now';
    if (timesAddr) {
      const size = wide ? 16 : 8;
      const read = (off: number): [number, number] => {
        const b = t.space.view(timesAddr + off, size);
        const dv = new DataView(b.buffer, b.byteOffset, size);
        return wide ? [Number(dv.getBigInt64(0, true)), Number(dv.getBigInt64(8, true))] : [dv.getInt32(0, true), dv.getInt32(4, true)];
      };
      const [as, an] = read(0);
      const [ms, mn] = read(size);
      // Nothing to do: Linux does not even look the path up.
      if (an === UTIME_OMIT && mn === UTIME_OMIT) return 0;
      try {
        atime = timeChange(as, an);
        mtime = timeChange(ms, mn);
      } catch {
        return -EINVAL;
      }
    }
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
    if (pathAddr === 0 && (dirfd | 0) === AT_FDCWD) return -EFAULT;
    return apply(target(t, dirfd, pathAddr, flags, true), (p, cwd, follow) => t.vfs.utimens(p, cwd, atime, mtime, follow));
  };
}

/** utimes: microsecond timevals, NULL for now; symlinks are followed. */
function utimes(t: Task, a: number[]): number {
  const [pathAddr, timesAddr] = a;
  let times: [TimeChange, TimeChange] = ['now', 'now'];
  if (timesAddr) {
    const tv = [0, 4, 8, 12].map((off) => t.space.readU32(timesAddr + off) | 0);
    if (tv[1] < 0 || tv[1] >= 1e6 || tv[3] < 0 || tv[3] >= 1e6) return -EINVAL;
    times = [
      { sec: tv[0], nsec: tv[1] * 1000 },
      { sec: tv[2], nsec: tv[3] * 1000 },
    ];
  }
  t.vfs.utimens(pathArg(t, pathAddr), t.group.cwd, times[0], times[1], true);
  return 0;
}

/** mknod and mknodat: regular files, FIFOs and sockets; devices EPERM, other types EINVAL. */
function mknodat(t: Task, dirfd: number, pathAddr: number, mode: number): number {
  const type = mode & S_IFMT;
  if (type === S_IFDIR) return -EPERM;
  if (![0, S_IFREG, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK].includes(type)) return -EINVAL;
  const [p, cwd] = at(t, dirfd, pathAddr);
  t.vfs.mknod(p, cwd, type === 0 ? S_IFREG : type, mode & ~t.group.umask & 0o7777);
  return 0;
}

/** symlink and symlinkat: the target is stored as given (an empty one is ENOENT). */
function symlinkat(t: Task, targetAddr: number, dirfd: number, pathAddr: number): number {
  const targetText = readPath(t, targetAddr);
  if (targetText === '') return -ENOENT;
  const [p, cwd] = at(t, dirfd, pathAddr);
  t.vfs.symlink(targetText, p, cwd);
  return 0;
}

const CWD = AT_FDCWD >>> 0;

/** The attribute syscalls. */
export const attrSyscalls = syscallTable(
  {
    chmod: (t, a) => chmod(t, target(t, CWD, a[0], 0), a[1]),
    fchmod: (t, a) => chmod(t, fdTarget(t, a[0]), a[1]),
    fchmodat: (t, a) => chmod(t, target(t, a[0], a[1], 0), a[2]),
    chown32: (t, a) => chown(t, target(t, CWD, a[0], 0), a[1], a[2]),
    lchown32: (t, a) => chown(t, target(t, CWD, a[0], AT_SYMLINK_NOFOLLOW), a[1], a[2]),
    fchown32: (t, a) => chown(t, fdTarget(t, a[0]), a[1], a[2]),
    chown: (t, a) => chown(t, target(t, CWD, a[0], 0), id16(a[1]), id16(a[2])),
    lchown: (t, a) => chown(t, target(t, CWD, a[0], AT_SYMLINK_NOFOLLOW), id16(a[1]), id16(a[2])),
    fchown: (t, a) => chown(t, fdTarget(t, a[0]), id16(a[1]), id16(a[2])),
    fchownat(t, a) {
      const [dirfd, pathAddr, uid, gid, flags] = a;
      if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return -EINVAL;
      return chown(t, target(t, dirfd, pathAddr, flags), uid, gid);
    },
    utimensat: utimensat(false),
    utimensat_time64: utimensat(true),
    utimes,
    mknodat: (t, a) => mknodat(t, a[0], a[1], a[2]),
    mknod: (t, a) => mknodat(t, CWD, a[0], a[1]),
    symlinkat: (t, a) => symlinkat(t, a[0], a[1], a[2]),
    symlink: (t, a) => symlinkat(t, a[0], CWD, a[1]),
  },
  {
    chmod: SUPPORTED,
    fchmod: SUPPORTED,
    fchmodat: SUPPORTED,
    chown32: SUPPORTED,
    lchown32: SUPPORTED,
    fchown32: SUPPORTED,
    chown: SUPPORTED,
    lchown: SUPPORTED,
    fchown: SUPPORTED,
    fchownat: SUPPORTED,
    utimensat: SUPPORTED,
    utimensat_time64: SUPPORTED,
    utimes: SUPPORTED,
    mknodat: partial('regular files, FIFOs and sockets; device nodes are EPERM'),
    mknod: partial('regular files, FIFOs and sockets; device nodes are EPERM'),
    symlinkat: SUPPORTED,
    symlink: SUPPORTED,
  },
);
