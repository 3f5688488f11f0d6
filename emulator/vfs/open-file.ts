/** Open files and directories as the syscall layer's descriptors use them. */
import { EBADF, EINVAL, EISDIR, ErrnoError } from '../abi/errno';
import type { MemFile, MemLayer } from './mem-layer';
import { memStat } from './mem-layer';
import type { DirEntry, LowerNode, Stat } from './node';

/**
 * An open file or directory. Positions are explicit: the descriptor keeps the offset and applies
 * O_APPEND itself (writing at size()), so one OpenFile may serve several descriptors.
 */
export interface OpenFile {
  /** Canonical guest path it was opened by. */
  readonly path: string;
  readonly isDirectory: boolean;
  readonly kind: 'file' | 'dir';
  /** Devices that ignore positions: for them every lseek answers 0, as Linux's null_lseek does. */
  readonly positionless?: boolean;
  /** Copy bytes at `position` into `dst`; returns the count, 0 at end of file. */
  read(dst: Uint8Array, position: number): number;
  /** Write `src` at `position`, extending the file (gaps read as zeros); returns the count. */
  write(src: Uint8Array, position: number): number;
  size(): number;
  truncate(length: number): void;
  stat(): Stat;
  /** Directory entries with "." and ".." first, then by name; directories only. */
  readdir(): DirEntry[];
  /** Release the file; later calls are not expected. */
  close(): void;
}

/** Where an open regular file's bytes come from. */
export type FileSource =
  | { kind: 'mem'; file: MemFile }
  | { kind: 'lower'; node: LowerNode; dev: number; ino: number }
  | { kind: 'snapshot'; node: LowerNode; bytes: Uint8Array }
  /** A node without data of its own (a FIFO nobody writes to): reads see end of file. */
  | { kind: 'empty'; stat: () => Stat };

/** An open regular file. */
export class FileHandle implements OpenFile {
  readonly isDirectory = false;
  readonly kind = 'file';
  private released = false;

  /** `writable` reflects the access mode; writes through a read-only handle fail with EBADF. */
  constructor(
    readonly path: string,
    private readonly source: FileSource,
    private readonly layer: MemLayer,
    private readonly writable: boolean,
  ) {
    // An unlinked file keeps its space while open.
    if (source.kind === 'mem') source.file.opens++;
  }

  /** The writable copy of an image file made after this handle was opened, if any. */
  private current(): MemFile | undefined {
    const s = this.source;
    if (s.kind === 'mem') return s.file;
    if (s.kind === 'snapshot' || s.kind === 'empty') return undefined;
    // Another descriptor may have copied the file up since; POSIX says every descriptor sees its writes.
    const copy = this.layer.byIno.get(s.ino);
    return copy && copy.meta.dev === s.dev ? copy : undefined;
  }

  read(dst: Uint8Array, position: number): number {
    if (position < 0) throw new ErrnoError(EINVAL);
    const mem = this.current();
    if (mem) return mem.data.read(dst, position);
    const s = this.source;
    if (s.kind === 'snapshot') {
      const part = s.bytes.subarray(Math.min(position, s.bytes.length), position + dst.length);
      dst.set(part);
      return part.length;
    }
    return s.kind === 'lower' ? s.node.read(dst, position) : 0;
  }

  write(src: Uint8Array, position: number): number {
    const mem = this.writable ? this.current() : undefined;
    if (!mem) throw new ErrnoError(EBADF);
    const n = mem.data.write(src, position);
    this.layer.touch(mem.meta);
    return n;
  }

  size(): number {
    const mem = this.current();
    if (mem) return mem.data.size;
    const s = this.source;
    if (s.kind === 'snapshot') return s.bytes.length;
    return s.kind === 'lower' ? s.node.stat().size : 0;
  }

  truncate(length: number): void {
    const mem = this.writable ? this.current() : undefined;
    if (!mem) throw new ErrnoError(EINVAL);
    mem.data.truncate(length);
    this.layer.touch(mem.meta);
  }

  stat(): Stat {
    const mem = this.current();
    if (mem) return memStat(mem);
    const s = this.source;
    if (s.kind === 'empty') return s.stat();
    return s.kind === 'mem' ? memStat(s.file) : s.node.stat();
  }

  readdir(): DirEntry[] {
    throw new ErrnoError(EBADF);
  }

  close(): void {
    // Counted once, however often a caller closes.
    if (this.source.kind === 'mem' && !this.released) this.layer.closed(this.source.file);
    this.released = true;
  }
}

/** How a directory handle lists and describes its directory; looked up afresh on every call. */
export interface DirSource {
  list(): DirEntry[];
  stat(): Stat;
}

/** An open directory. */
export class DirHandle implements OpenFile {
  readonly isDirectory = true;
  readonly kind = 'dir';

  /** The source resolves the path again each time so entries added after open are listed. */
  constructor(
    readonly path: string,
    private readonly source: DirSource,
  ) {}

  read(): number {
    throw new ErrnoError(EISDIR);
  }

  write(): number {
    throw new ErrnoError(EBADF);
  }

  size(): number {
    return this.source.stat().size;
  }

  truncate(): void {
    throw new ErrnoError(EISDIR);
  }

  stat(): Stat {
    return this.source.stat();
  }

  readdir(): DirEntry[] {
    return this.source.list();
  }

  close(): void {}
}
