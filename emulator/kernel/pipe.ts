/**
 * Pipes: a bounded byte queue with read and write ends, as Linux's pipe(7) behaves. Reads wait
 * while the pipe is empty and a writer remains, and see end of file once every write end is
 * closed; writes wait while it is full and a reader remains, and fail with EPIPE when none does.
 * Writes of up to PIPE_BUF bytes are atomic. Waiting is a WouldBlock the descriptor layer turns
 * into EAGAIN for O_NONBLOCK descriptions. FIFOs (named pipes) share this with their own opens.
 */
import { EINVAL, EPIPE, ErrnoError } from '../abi/errno';
import { S_IFIFO } from '../abi/fcntl';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM } from '../abi/poll';
import type { Stat, Timespec } from '../vfs/vfs';
import { WouldBlock } from './blocking';
import { FileObject } from './file-object';

/** Linux's default pipe capacity (16 pages). */
export const PIPE_CAPACITY = 65536;
/** Writes up to this size are atomic. */
export const PIPE_BUF = 4096;
/** st_dev of pipes: the anonymous pipefs superblock (0:12). */
export const PIPEFS_DEV = 12;

/** Who made a pipe and when, for fstat. */
export interface PipeOwner {
  uid: number;
  gid: number;
  time: Timespec;
}

/** One pipe: its buffered bytes and how many read and write ends are open. */
export class Pipe {
  readers = 0;
  writers = 0;
  /** Opens of each end so far: a FIFO open waiting for its peer watches the other's count. */
  readOpens = 0;
  writeOpens = 0;
  capacity = PIPE_CAPACITY;
  private chunks: Uint8Array[] = [];
  private length = 0;

  /** `ino` names it (pipe:[ino]); a FIFO's pipe has `fifoIno`, its node's inode. */
  constructor(
    readonly ino: number,
    readonly owner: PipeOwner,
    readonly fifoIno?: number,
  ) {}

  /** Bytes waiting to be read. */
  get available(): number {
    return this.length;
  }

  /** How it is named in /proc and traces. */
  get name(): string {
    return `pipe:[${this.ino}]`;
  }

  /** A copy of the buffered bytes (checkpoints). */
  contents(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  /** Replace the buffered bytes (restore). */
  setContents(bytes: Uint8Array): void {
    this.chunks = bytes.length ? [bytes.slice()] : [];
    this.length = bytes.length;
  }

  /** Take up to dst.length bytes; 0 at end of file (empty, no writer); WouldBlock while empty. */
  read(dst: Uint8Array): number {
    if (dst.length === 0) return 0;
    if (this.length === 0) {
      if (this.writers === 0) return 0;
      throw new WouldBlock({ ready: () => this.length > 0 || this.writers === 0, what: `read from ${this.name}` });
    }
    let n = 0;
    while (n < dst.length && this.chunks.length) {
      const c = this.chunks[0];
      const take = Math.min(c.length, dst.length - n);
      dst.set(c.subarray(0, take), n);
      n += take;
      if (take === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(take);
    }
    this.length -= n;
    return n;
  }

  /**
   * Append what fits of `src`: all of it or nothing when it is at most PIPE_BUF bytes (atomic),
   * otherwise as much as there is room for. EPIPE without a reader; WouldBlock when nothing fits.
   */
  write(src: Uint8Array): number {
    if (this.readers === 0) throw new ErrnoError(EPIPE);
    if (src.length === 0) return 0;
    const room = this.capacity - this.length;
    const need = src.length <= PIPE_BUF ? src.length : 1;
    if (room < need) throw new WouldBlock({ ready: () => this.writable(src.length), what: `write to ${this.name}` });
    const n = Math.min(room, src.length);
    this.chunks.push(src.slice(0, n));
    this.length += n;
    return n;
  }

  /** Whether a write of `len` bytes could make progress (or fail) now. */
  writable(len: number): boolean {
    return this.readers === 0 || this.capacity - this.length >= Math.min(len, PIPE_BUF);
  }

  /** F_SETPIPE_SZ: at least a page, rounded up to a power of two; EBUSY-like EINVAL below the buffered bytes. */
  resize(size: number): number {
    if (size <= 0 || size > 1 << 20) throw new ErrnoError(EINVAL);
    let cap = 4096;
    while (cap < size) cap *= 2;
    if (cap < this.length) throw new ErrnoError(EINVAL);
    this.capacity = cap;
    return cap;
  }

  /** fstat of either end. */
  stat(): Stat {
    const t = this.owner.time;
    return {
      dev: PIPEFS_DEV,
      ino: this.ino,
      mode: S_IFIFO | 0o600,
      nlink: 1,
      uid: this.owner.uid,
      gid: this.owner.gid,
      rdev: 0,
      size: 0,
      blksize: 4096,
      blocks: 0,
      atime: { ...t },
      mtime: { ...t },
      ctime: { ...t },
    };
  }
}

/** Which end(s) a description holds: a FIFO opened O_RDWR holds both. */
export type PipeEndMode = 'read' | 'write' | 'both';

/**
 * One open end of a pipe, held by one open file description. Creating it counts it as a reader
 * and/or writer; close() (when the last descriptor sharing the description closes) uncounts it.
 */
export class PipeEnd implements FileObject {
  readonly kind = 'pipe';
  readonly seekable = false;
  private closed = false;

  /** `path` is pipe:[ino] for an anonymous pipe, the FIFO's path for a named one. */
  constructor(
    readonly pipe: Pipe,
    readonly mode: PipeEndMode,
    readonly path: string,
    private readonly onRelease?: (p: Pipe) => void,
    private readonly statOf?: () => Stat,
  ) {
    if (mode !== 'write') {
      pipe.readers++;
      pipe.readOpens++;
    }
    if (mode !== 'read') {
      pipe.writers++;
      pipe.writeOpens++;
    }
  }

  read(dst: Uint8Array): number {
    return this.pipe.read(dst);
  }

  write(src: Uint8Array): number {
    return this.pipe.write(src);
  }

  size(): number {
    return 0;
  }

  truncate(): void {
    throw new ErrnoError(EINVAL);
  }

  /** A FIFO's end reports its node; an anonymous pipe's, its pipefs inode. */
  stat(): Stat {
    return this.statOf?.() ?? this.pipe.stat();
  }

  /**
   * Linux's pipe_poll: readable with data, hung up once no writer is left (a reader's view),
   * writable with a page of room (a free buffer slot in Linux's terms), in error once no reader is left (a writer's view).
   */
  poll(): number {
    const p = this.pipe;
    let mask = 0;
    if (this.mode !== 'write') {
      if (p.available > 0) mask |= POLLIN | POLLRDNORM;
      if (p.writers === 0) mask |= POLLHUP;
    }
    if (this.mode !== 'read') {
      if (p.capacity - p.available >= PIPE_BUF) mask |= POLLOUT | POLLWRNORM;
      if (p.readers === 0) mask |= POLLERR;
    }
    return mask;
  }

  /** FIONREAD: bytes ready. */
  pending(): number {
    return this.pipe.available;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.mode !== 'write') this.pipe.readers--;
    if (this.mode !== 'read') this.pipe.writers--;
    if (this.pipe.readers === 0 && this.pipe.writers === 0) this.onRelease?.(this.pipe);
  }
}
