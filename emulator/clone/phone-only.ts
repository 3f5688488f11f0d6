/**
 * Which syscalls a migrated run must not serve on the clone: those that end the process (the
 * phone's process must end on the phone), that read the phone's console, that start processes,
 * and those that name a path the image marks phone-only (a camera, a GPS device, a contacts
 * database), by path or through a descriptor open on one. The clone stops before such a syscall
 * and hands the run back; the phone executes it and goes on.
 */
import { NR } from '../abi/syscall-names';

/** AT_FDCWD: a relative path of an *at() syscall is relative to the working directory. */
const AT_FDCWD = -100;

/** What the check needs of the stopped machine. */
export interface SyscallView {
  nr: number;
  /** Argument registers r0-r5 as unsigned numbers. */
  args: readonly number[];
  cwd: string;
  /** The NUL-terminated string at a guest address, or undefined when it cannot be read. */
  readString(addr: number): string | undefined;
  /** The path an open descriptor names (undefined: not open, or a console). */
  fdPath(fd: number): string | undefined;
}

const name = (n: string): number => NR[n];

/** Syscalls that always go back to the phone, and why. */
const ALWAYS: ReadonlyMap<number, string> = new Map([
  [name('exit'), 'the process ends on the phone'],
  [name('exit_group'), 'the process ends on the phone'],
  [name('execve'), 'a new program starts on the phone'],
  [name('fork'), 'processes start on the phone'],
  [name('vfork'), 'processes start on the phone'],
  [name('clone'), 'processes and threads start on the phone'],
]);

/** Path arguments: syscall -> [index of the path, index of its dirfd or -1]. */
const PATHS: ReadonlyMap<number, [number, number][]> = new Map(
  (
    [
      ['open', [[0, -1]]],
      ['creat', [[0, -1]]],
      ['openat', [[1, 0]]],
      ['openat2', [[1, 0]]],
      ['stat64', [[0, -1]]],
      ['lstat64', [[0, -1]]],
      ['fstatat64', [[1, 0]]],
      ['statx', [[1, 0]]],
      ['access', [[0, -1]]],
      ['faccessat', [[1, 0]]],
      ['faccessat2', [[1, 0]]],
      ['readlink', [[0, -1]]],
      ['readlinkat', [[1, 0]]],
      ['truncate', [[0, -1]]],
      ['truncate64', [[0, -1]]],
      ['mknod', [[0, -1]]],
      ['mknodat', [[1, 0]]],
      ['unlink', [[0, -1]]],
      ['unlinkat', [[1, 0]]],
      [
        'rename',
        [
          [0, -1],
          [1, -1],
        ],
      ],
      [
        'renameat',
        [
          [1, 0],
          [3, 2],
        ],
      ],
      [
        'renameat2',
        [
          [1, 0],
          [3, 2],
        ],
      ],
      ['mkdir', [[0, -1]]],
      ['mkdirat', [[1, 0]]],
      ['rmdir', [[0, -1]]],
      ['chdir', [[0, -1]]],
      ['chmod', [[0, -1]]],
      ['fchmodat', [[1, 0]]],
      ['chown32', [[0, -1]]],
      ['lchown32', [[0, -1]]],
      ['fchownat', [[1, 0]]],
      ['utimensat', [[1, 0]]],
      ['symlink', [[1, -1]]],
      ['symlinkat', [[2, 1]]],
      [
        'link',
        [
          [0, -1],
          [1, -1],
        ],
      ],
      ['statfs64', [[0, -1]]],
    ] as [string, [number, number][]][]
  )
    .filter(([n]) => NR[n] !== undefined)
    .map(([n, a]) => [NR[n], a]),
);

/** Syscalls whose first argument is a descriptor. */
const FD_FIRST: ReadonlySet<number> = new Set(
  [
    'read',
    'write',
    'readv',
    'writev',
    'pread64',
    'pwrite64',
    'preadv',
    'pwritev',
    'ioctl',
    'lseek',
    '_llseek',
    'fstat64',
    'fstatfs64',
    'fsync',
    'fdatasync',
    'ftruncate64',
    'getdents64',
    'fchdir',
    'fchmod',
    'fchown32',
    'sendfile64',
    'fcntl64',
  ]
    .filter((n) => NR[n] !== undefined)
    .map((n) => NR[n]),
);

const READS: ReadonlySet<number> = new Set(['read', 'readv', 'pread64', 'preadv'].filter((n) => NR[n] !== undefined).map((n) => NR[n]));

/** Join a relative guest path to its base and drop `.` and `..` (lexically). */
function absolute(path: string, base: string): string {
  const parts: string[] = [];
  for (const p of (path.startsWith('/') ? path : `${base}/${path}`).split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return '/' + parts.join('/');
}

/** True when `path` is one of `roots` or below one. */
export function underAny(path: string, roots: readonly string[]): boolean {
  return roots.some((r) => {
    const root = r.length > 1 ? r.replace(/\/+$/, '') : r;
    return path === root || path.startsWith(root === '/' ? '/' : root + '/');
  });
}

/** Why the syscall in `v` must run on the phone, or undefined when the clone may serve it. */
export function mustRunOnPhone(v: SyscallView, phoneOnly: readonly string[]): string | undefined {
  const always = ALWAYS.get(v.nr);
  if (always) return always;
  if (READS.has(v.nr) && v.args[0] === 0) return "it reads the phone's standard input";
  if (FD_FIRST.has(v.nr)) {
    const p = v.fdPath(v.args[0] | 0);
    if (p !== undefined && underAny(p, phoneOnly)) return `it uses ${p}, which is phone-only`;
  }
  for (const [at, dirAt] of PATHS.get(v.nr) ?? []) {
    const raw = v.readString(v.args[at]);
    if (raw === undefined) continue;
    const dirfd = dirAt < 0 ? AT_FDCWD : v.args[dirAt] | 0;
    const base = dirfd === AT_FDCWD ? v.cwd : (v.fdPath(dirfd) ?? v.cwd);
    const p = absolute(raw, base);
    if (underAny(p, phoneOnly)) return `it names ${p}, which is phone-only`;
  }
  return undefined;
}
