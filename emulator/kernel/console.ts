/** The standard streams: an input read on demand and two output sinks (the host's stdout/stderr by default). */
import * as fs from 'fs';
import { EDQUOT, EFBIG, EIO, ENOSPC, EPIPE, ErrnoError } from '../abi/errno';
import { S_IFCHR } from '../abi/fcntl';
import { Persist } from '../persist';
import { FileObject } from './file-object';
import { Stat } from './stat';

/** Where guest output goes. */
export type OutputSink = (bytes: Uint8Array) => void;

/** Host write errors a guest's write can meet on Linux too, by the host's error code. */
const HOST_WRITE_ERRORS: Record<string, number> = { EPIPE, ENOSPC, EFBIG, EIO, EDQUOT };

/**
 * The guest-visible form of a failure of the host's stdout or stderr: a closed pipe or a full
 * device is the guest's broken pipe or full disk, not a fault of the emulator.
 */
function asGuestError(e: unknown): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  const errno = typeof code === 'string' ? HOST_WRITE_ERRORS[code] : undefined;
  return errno === undefined ? e : new ErrnoError(errno, `host output: ${code}`);
}

/**
 * Where guest input comes from, read only when the guest reads. `consumed` is how many bytes the
 * guest has taken so far (restored from checkpoints), so a seekable source can resume there.
 * Returns the count copied into `dst`, 0 at end of input.
 */
export interface InputSource {
  read(dst: Uint8Array, consumed: number): number;
}

/** Input from bytes already in memory (tests, and programs fed from a buffer). */
export function bytesInput(bytes: Uint8Array): InputSource {
  return {
    read(dst, consumed) {
      const part = bytes.subarray(Math.min(consumed, bytes.length), consumed + dst.length);
      dst.set(part);
      return part.length;
    },
  };
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Input from a host descriptor, read synchronously on demand: the guest blocks as it would on a
 * pipe or terminal, gets data as it arrives, and nothing is read before it asks. `positional`
 * reads at the guest's consumed count (a regular file given with --stdin, so a restored run
 * continues where the checkpoint was taken); otherwise the descriptor's own offset advances.
 */
export function fdInput(fd: number, positional: boolean): InputSource {
  return {
    read(dst, consumed) {
      for (;;) {
        try {
          return fs.readSync(fd, dst, 0, dst.length, positional ? consumed : null);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          // A descriptor someone made non-blocking: the guest's read blocks, so wait and retry.
          if (code === 'EAGAIN') {
            Atomics.wait(pause, 0, 0, 5);
            continue;
          }
          // No standard input at all (closed descriptor) reads as an empty one.
          if (code === 'EBADF' || code === 'EOF') return 0;
          throw new ErrnoError(EIO, `standard input: ${(e as Error).message}`);
        }
      }
    },
  };
}

/**
 * How far a console has got: bytes consumed from its input and written to its sink. Part of the
 * snapshot format: changing it needs a bump of the snapshot version (machine/state-version.ts).
 */
export interface ConsoleState {
  path: string;
  inputPos: number;
  written: number;
}

/** A character device standing for a terminal-less console stream. */
export class ConsoleStream implements FileObject, Persist<ConsoleState> {
  readonly kind = 'console';
  readonly seekable = false;
  /** Bytes consumed from the input (checkpoints restore it). */
  inputPos = 0;
  /** Bytes written to the sink so far. */
  written = 0;

  constructor(
    readonly path: string,
    private readonly input: InputSource | null,
    private readonly sink: OutputSink | null,
    private readonly rdev: number,
  ) {}

  /** Its positions. */
  save(): ConsoleState {
    return { path: this.path, inputPos: this.inputPos, written: this.written };
  }

  /** Take the positions of `s` (a state of the console with the same path). */
  restore(s: ConsoleState): void {
    this.inputPos = s.inputPos;
    this.written = s.written;
  }

  /** Read from the input source (blocking until it has data); 0 at its end. */
  read(dst: Uint8Array): number {
    if (!this.input || dst.length === 0) return 0;
    const n = this.input.read(dst, this.inputPos);
    this.inputPos += n;
    return n;
  }

  /** Pass the bytes to the sink; its EPIPE, ENOSPC and similar failures become the guest's. */
  write(src: Uint8Array): number {
    try {
      this.sink?.(src.slice());
    } catch (e) {
      throw asGuestError(e);
    }
    this.written += src.length;
    return src.length;
  }

  /** Consoles have no size. */
  size(): number {
    return 0;
  }

  /** Truncating a console does nothing, as on a tty. */
  truncate(): void {}

  /** A character device owned by the process's user. */
  stat(): Stat {
    const t = { sec: 0, nsec: 0 };
    return {
      dev: 5,
      ino: this.rdev,
      mode: S_IFCHR | 0o620,
      nlink: 1,
      uid: 0,
      gid: 0,
      rdev: this.rdev,
      size: 0,
      blksize: 1024,
      blocks: 0,
      atime: t,
      mtime: t,
      ctime: t,
    };
  }
}
