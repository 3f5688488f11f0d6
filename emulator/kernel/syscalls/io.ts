/**
 * Descriptor I/O syscalls: everything that works on an already-open descriptor and needs nothing
 * from the file system's name space.
 */
import { EAGAIN, EBADF, EFAULT, EINVAL, EISDIR, ENOTDIR, ENOTTY, EPIPE, ESPIPE, EOVERFLOW, ErrnoError } from '../../abi/errno';
import { O_ACCMODE, O_APPEND, O_CLOEXEC, O_NONBLOCK, O_RDONLY, O_WRONLY } from '../../abi/fcntl';
import { FIONREAD, F_GETPIPE_SZ, F_SETPIPE_SZ } from '../../abi/poll';
import { PROT_WRITE } from '../../memory/address-space';
import { Task } from '../task';
import { partial, SUPPORTED, syscallTable } from '../syscall-table';
import { OpenDescription } from '../fd-table';
import { encodeStat64 } from '../stat';
import { StructWriter } from '../guest-structs';
import { SIGPIPE } from '../../abi/signal';
import { postSignal } from '../signal-actions';
import { nameBytes } from '../../vfs/path';
import { WouldBlock } from '../blocking';
import { PipeEnd } from '../pipe';
import { pipeFsOf } from '../pipe-fs';

const SEEK_SET = 0;
const SEEK_CUR = 1;
const SEEK_END = 2;
const F_DUPFD = 0;
const F_GETFD = 1;
const F_SETFD = 2;
const F_GETFL = 3;
const F_SETFL = 4;
const F_DUPFD_CLOEXEC = 1030;
const FD_CLOEXEC = 1;
const IOV_MAX = 1024;
/** Largest single transfer Linux performs (MAX_RW_COUNT). */
const MAX_RW = 0x7ffff000;

function checkRead(d: OpenDescription): number {
  if ((d.flags & O_ACCMODE) === O_WRONLY) return -EBADF;
  if (d.file.kind === 'dir') return -EISDIR;
  return 0;
}

function checkWrite(d: OpenDescription): number {
  if ((d.flags & O_ACCMODE) === O_RDONLY) return -EBADF;
  if (d.file.kind === 'dir') return -EISDIR;
  return 0;
}

/** Read into guest memory at `buf`, from the description's offset or from `pos` when given. */
function readInto(t: Task, d: OpenDescription, buf: number, len: number, pos?: number): number {
  const count = Math.min(len, MAX_RW);
  // Check the destination first so a bad pointer fails without consuming input.
  if (count > 0 && !t.space.isMapped(buf, count, PROT_WRITE)) return -EFAULT;
  const dst = new Uint8Array(count);
  const n = nonblocking(d, () => d.file.read(dst, pos ?? d.offset));
  if (n > 0) t.space.write(buf, dst.subarray(0, n));
  if (pos === undefined && d.file.seekable) d.offset += n;
  return n;
}

/** Write from guest memory at `buf`, appending when O_APPEND is set. */
function writeFrom(t: Task, d: OpenDescription, buf: number, len: number, pos?: number): number {
  return writeBytes(t, d, t.space.read(buf, Math.min(len, MAX_RW)), pos);
}

/** Write `src` at the description's offset (or `pos`), appending when O_APPEND is set. */
function writeBytes(t: Task, d: OpenDescription, src: Uint8Array, pos?: number): number {
  let at = pos ?? d.offset;
  if (pos === undefined && d.flags & O_APPEND && d.file.seekable) at = d.file.size();
  const n = sendSigpipe(t, () => nonblocking(d, () => d.file.write(src, at)));
  if (pos === undefined && d.file.seekable) d.offset = at + n;
  return n;
}

/** Run a transfer; one that would wait fails with EAGAIN instead on an O_NONBLOCK description. */
function nonblocking(d: OpenDescription, transfer: () => number): number {
  try {
    return transfer();
  } catch (e) {
    if (e instanceof WouldBlock && d.flags & O_NONBLOCK) throw new ErrnoError(EAGAIN);
    throw e;
  }
}

/**
 * Write all of `src` to a pipe as a blocking write(2) does: what fits now, then wait for room and
 * go on (the count so far kept in `t.progress` across the waits). A non-blocking write, or one
 * that meets EPIPE after some bytes, returns the short count; other files take one write.
 */
function writeStream(t: Task, d: OpenDescription, src: Uint8Array): number {
  if (d.file.kind !== 'pipe') return writeBytes(t, d, src);
  let total = t.progress;
  try {
    while (total < src.length) {
      const n = writeBytes(t, d, src.subarray(total));
      if (n === 0) break;
      total += n;
      if (d.flags & O_NONBLOCK) break;
    }
  } catch (e) {
    if (e instanceof WouldBlock) {
      t.progress = total;
      throw e;
    }
    t.progress = 0;
    if (total > 0 && e instanceof ErrnoError) return total;
    throw e;
  }
  t.progress = 0;
  return total;
}
/** Run a write; a broken pipe also raises SIGPIPE, which kills unless ignored or blocked (then EPIPE). */
function sendSigpipe(t: Task, write: () => number): number {
  try {
    return write();
  } catch (e) {
    if (e instanceof ErrnoError && e.errno === EPIPE) postSignal(t, SIGPIPE);
    throw e;
  }
}

/** The (base, length) pairs of an iovec array. */
function iovecs(t: Task, addr: number, count: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < count; i++) out.push([t.space.readU32(addr + 8 * i), t.space.readU32(addr + 8 * i + 4)]);
  return out;
}

/** readv/writev of a pipe: one transfer over all the buffers, as atomic as a write(2) of their total. */
function vectoredPipe(t: Task, d: OpenDescription, segs: [number, number][], write: boolean): number {
  const total = Math.min(
    segs.reduce((n, [, len]) => n + len, 0),
    MAX_RW,
  );
  if (write) {
    const src = new Uint8Array(total);
    let at = 0;
    for (const [base, len] of segs) {
      const take = Math.min(len, total - at);
      if (take > 0) src.set(t.space.read(base, take), at);
      at += take;
    }
    return writeStream(t, d, src);
  }
  for (const [base, len] of segs) if (len > 0 && !t.space.isMapped(base, len, PROT_WRITE)) return -EFAULT;
  const dst = new Uint8Array(total);
  const n = nonblocking(d, () => d.file.read(dst, 0));
  let at = 0;
  for (const [base, len] of segs) {
    if (at >= n) break;
    const take = Math.min(len, n - at);
    t.space.write(base, dst.subarray(at, at + take));
    at += take;
  }
  return n;
}

function vectored(t: Task, a: number[], write: boolean, pos?: number): number {
  const [fd, iov, cnt] = a;
  if (cnt > IOV_MAX) return -EINVAL;
  const d = t.fds.get(fd);
  const bad = write ? checkWrite(d) : checkRead(d);
  if (bad) return bad;
  if (d.file.kind === 'pipe' && pos === undefined) return vectoredPipe(t, d, iovecs(t, iov, cnt), write);
  let total = 0;
  for (const [base, len] of iovecs(t, iov, cnt)) {
    if (len === 0) continue;
    const at = pos === undefined ? undefined : pos + total;
    const n = write ? writeFrom(t, d, base, len, at) : readInto(t, d, base, len, at);
    if (n < 0) return total > 0 ? total : n;
    total += n;
    if (n < len) break;
  }
  return total;
}

/** ftruncate(2) of `fd` to `len` bytes. */
function ftruncateTo(t: Task, fd: number, len: number): number {
  const d = t.fds.get(fd);
  if (len < 0) return -EINVAL;
  if (d.file.kind !== 'file' || (d.flags & O_ACCMODE) === O_RDONLY) return -EINVAL;
  d.file.truncate(len);
  return 0;
}

/** pread64/pwrite64: fd, buf, count, pad, then the 64-bit position in r4:r5; the offset is untouched. */
function positioned(t: Task, a: number[], write: boolean): number {
  const d = t.fds.get(a[0]);
  if (!d.file.seekable) return -ESPIPE;
  const pos = pos64(a[4], a[5]);
  if (pos < 0) return -EINVAL;
  return write ? checkWrite(d) || writeFrom(t, d, a[1], a[2], pos) : checkRead(d) || readInto(t, d, a[1], a[2], pos);
}

/** A 64-bit file position from a register pair (low word first). */
function pos64(lo: number, hi: number): number {
  return (hi | 0) * 0x100000000 + (lo >>> 0);
}

function seek(d: OpenDescription, offset: number, whence: number): number {
  if (!d.file.seekable) return -ESPIPE;
  if (d.file.positionless) {
    d.offset = 0;
    return 0;
  }
  let base: number;
  if (whence === SEEK_SET) base = 0;
  else if (whence === SEEK_CUR) base = d.offset;
  else if (whence === SEEK_END) base = d.file.size();
  else return -EINVAL;
  const target = base + offset;
  if (target < 0) return -EINVAL;
  d.offset = target;
  if (d.file.kind === 'dir') d.dirCursor = target;
  return 0;
}

/** Encode directory entries from the cursor on into linux_dirent64 records that fit `size`. */
function getdents64(t: Task, a: number[]): number {
  const [fd, buf, size] = a;
  const d = t.fds.get(fd);
  if (d.file.kind !== 'dir' || !d.file.readdir) return -ENOTDIR;
  const entries = d.file.readdir();
  const chunks: Uint8Array[] = [];
  let used = 0;
  while (d.dirCursor < entries.length) {
    const e = entries[d.dirCursor];
    const name = nameBytes(e.name);
    const reclen = (19 + name.length + 1 + 7) & ~7;
    if (used + reclen > size) {
      if (used === 0) return -EINVAL;
      break;
    }
    const w = new StructWriter(reclen);
    w.u64(0, e.ino)
      .u64(8, d.dirCursor + 1)
      .u16(16, reclen)
      .u8(18, e.type);
    w.bytes.set(name, 19);
    chunks.push(w.bytes);
    used += reclen;
    d.dirCursor++;
  }
  const out = new Uint8Array(used);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  if (used > 0) t.space.write(buf, out);
  d.offset = d.dirCursor;
  return used;
}

function fcntl64(t: Task, a: number[]): number {
  const [fd, cmd, arg] = a;
  const d = t.fds.get(fd);
  switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
      return t.fds.install(d, cmd === F_DUPFD_CLOEXEC, arg);
    case F_GETFD:
      return t.fds.cloexec(fd) ? FD_CLOEXEC : 0;
    case F_SETFD:
      t.fds.setCloexec(fd, (arg & FD_CLOEXEC) !== 0);
      return 0;
    case F_GETFL:
      return d.flags;
    case F_SETFL: {
      // Only O_APPEND and O_NONBLOCK can change after open, as in Linux.
      const changeable = O_APPEND | O_NONBLOCK;
      d.flags = (d.flags & ~changeable) | (arg & changeable);
      return 0;
    }
    case F_GETPIPE_SZ:
    case F_SETPIPE_SZ:
      if (!(d.file instanceof PipeEnd)) return -EBADF;
      return cmd === F_GETPIPE_SZ ? d.file.pipe.capacity : d.file.pipe.resize(arg);
    default:
      return -EINVAL;
  }
}

/** pipe and pipe2: a new pipe's read and write ends at the two lowest free descriptors. */
function pipe2(t: Task, fdsAddr: number, flags: number): number {
  if (flags & ~(O_CLOEXEC | O_NONBLOCK)) return -EINVAL;
  if (!t.space.isMapped(fdsAddr, 8, PROT_WRITE)) return -EFAULT;
  const pipes = pipeFsOf(t.vfs);
  const ns = t.clock.realtimeNs();
  const pipe = pipes.create({ uid: t.group.uid, gid: t.group.gid, time: { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) } });
  const cloexec = (flags & O_CLOEXEC) !== 0;
  const status = flags & O_NONBLOCK;
  const reader = pipes.end(pipe, 'read');
  const writer = pipes.end(pipe, 'write');
  let r: number | undefined;
  try {
    r = t.fds.install({ file: reader, offset: 0, flags: O_RDONLY | status, dirCursor: 0 }, cloexec);
    const w = t.fds.install({ file: writer, offset: 0, flags: O_WRONLY | status, dirCursor: 0 }, cloexec);
    t.space.write(fdsAddr, new StructWriter(8).u32(0, r).u32(4, w).bytes);
    return 0;
  } catch (e) {
    if (r === undefined) reader.close();
    else t.fds.close(r);
    writer.close();
    throw e;
  }
}

/** Bytes sendfile moves per step through its buffer. */
const SENDFILE_CHUNK = 64 * 1024;

/**
 * sendfile and sendfile64: copy from `in_fd` to `out_fd`. With an offset pointer the input is read
 * there and the pointer advanced (the descriptor's offset untouched); otherwise from and advancing
 * the input's offset. An O_APPEND output is EINVAL, as in Linux. `wide` selects a 64-bit offset.
 */
function sendfile(wide: boolean) {
  return (t: Task, a: number[]): number => {
    const [outFd, inFd, offPtr, count] = a;
    const input = t.fds.get(inFd);
    const output = t.fds.get(outFd);
    if ((input.flags & O_ACCMODE) === O_WRONLY || (output.flags & O_ACCMODE) === O_RDONLY) return -EBADF;
    if (input.file.kind === 'dir' || output.flags & O_APPEND) return -EINVAL;
    let pos = input.offset;
    if (offPtr) {
      pos = wide ? pos64(t.space.readU32(offPtr), t.space.readU32(offPtr + 4)) : t.space.readU32(offPtr) | 0;
      if (pos < 0) return -EINVAL;
    }
    const buf = new Uint8Array(Math.min(count, SENDFILE_CHUNK));
    let total = 0;
    try {
      while (total < Math.min(count, MAX_RW)) {
        const n = input.file.read(buf.subarray(0, Math.min(buf.length, count - total)), pos);
        if (n === 0) break;
        const w = writeBytes(t, output, buf.slice(0, n));
        pos += w;
        total += w;
        if (w < n) break;
      }
    } catch (e) {
      // Like a short write: what was moved before the error is reported, the error is not.
      if (total === 0) throw e;
    }
    if (offPtr) {
      const w = new StructWriter(wide ? 8 : 4);
      t.space.write(offPtr, (wide ? w.u64(0, pos) : w.u32(0, pos)).bytes);
    } else if (input.file.seekable) input.offset = pos;
    return total;
  };
}

/** The descriptor I/O syscalls. */
export const ioSyscalls = syscallTable(
  {
    read(t, a) {
      const d = t.fds.get(a[0]);
      return checkRead(d) || readInto(t, d, a[1], a[2]);
    },
    write(t, a) {
      const d = t.fds.get(a[0]);
      return checkWrite(d) || writeStream(t, d, t.space.read(a[1], Math.min(a[2], MAX_RW)));
    },
    readv: (t, a) => vectored(t, a, false),
    writev: (t, a) => vectored(t, a, true),
    preadv: (t, a) => vectored(t, a, false, pos64(a[3], a[4])),
    pwritev: (t, a) => vectored(t, a, true, pos64(a[3], a[4])),
    pread64: (t, a) => positioned(t, a, false),
    pwrite64: (t, a) => positioned(t, a, true),
    lseek(t, a) {
      const d = t.fds.get(a[0]);
      const r = seek(d, a[1] | 0, a[2]);
      if (r < 0) return r;
      return d.offset > 0x7fffffff ? -EOVERFLOW : d.offset;
    },
    _llseek(t, a) {
      const [fd, hi, lo, result, whence] = a;
      const d = t.fds.get(fd);
      const r = seek(d, pos64(lo, hi), whence);
      if (r < 0) return r;
      t.space.write(result, new StructWriter(8).u64(0, d.offset).bytes);
      return 0;
    },
    close(t, a) {
      t.fds.close(a[0]);
      return 0;
    },
    dup(t, a) {
      return t.fds.install(t.fds.get(a[0]));
    },
    dup2(t, a) {
      const d = t.fds.get(a[0]);
      if (a[0] === a[1]) return a[1];
      t.fds.installAt(a[1], d, false);
      return a[1];
    },
    dup3(t, a) {
      const [oldfd, newfd, flags] = a;
      if (oldfd === newfd || flags & ~O_CLOEXEC) return -EINVAL;
      t.fds.installAt(newfd, t.fds.get(oldfd), (flags & O_CLOEXEC) !== 0);
      return newfd;
    },
    fcntl64,
    fcntl: fcntl64,
    ioctl(t, a) {
      const d = t.fds.get(a[0]);
      if (a[1] === FIONREAD && d.file.pending) {
        t.space.write(a[2], new StructWriter(4).u32(0, d.file.pending()).bytes);
        return 0;
      }
      // No descriptor here is a terminal: isatty() must say no, which selects full buffering.
      return -ENOTTY;
    },
    pipe: (t, a) => pipe2(t, a[0], 0),
    pipe2: (t, a) => pipe2(t, a[0], a[1]),
    fsync: (t, a) => (t.fds.get(a[0]), 0),
    fdatasync: (t, a) => (t.fds.get(a[0]), 0),
    fstat64(t, a) {
      t.space.write(a[1], encodeStat64(t.fds.get(a[0]).file.stat()));
      return 0;
    },
    ftruncate64: (t, a) => ftruncateTo(t, a[0], pos64(a[2], a[3])),
    // The 32-bit form, which programs built without large-file support call; the length is signed.
    ftruncate: (t, a) => ftruncateTo(t, a[0], a[1] | 0),
    getdents64,
    sendfile: sendfile(false),
    sendfile64: sendfile(true),
  },
  {
    read: SUPPORTED,
    write: SUPPORTED,
    readv: SUPPORTED,
    writev: SUPPORTED,
    preadv: SUPPORTED,
    pwritev: SUPPORTED,
    pread64: SUPPORTED,
    pwrite64: SUPPORTED,
    lseek: SUPPORTED,
    _llseek: SUPPORTED,
    close: SUPPORTED,
    dup: SUPPORTED,
    dup2: SUPPORTED,
    dup3: SUPPORTED,
    fcntl64: SUPPORTED,
    fcntl: SUPPORTED,
    ioctl: partial('no descriptor is a terminal: FIONREAD on pipes, every other request is ENOTTY'),
    pipe: SUPPORTED,
    pipe2: partial('O_CLOEXEC and O_NONBLOCK; O_DIRECT (packet mode) is EINVAL'),
    fsync: SUPPORTED,
    fdatasync: SUPPORTED,
    fstat64: SUPPORTED,
    ftruncate64: SUPPORTED,
    ftruncate: SUPPORTED,
    getdents64: SUPPORTED,
    sendfile: SUPPORTED,
    sendfile64: SUPPORTED,
  },
);
