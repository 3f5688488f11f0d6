/** The standard streams: a fixed input and two output sinks (the host's stdout/stderr by default). */
import { EDQUOT, EFBIG, EIO, ENOSPC, EPIPE, ErrnoError } from '../abi/errno';
import { S_IFCHR } from '../abi/fcntl';
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

/** A character device standing for a terminal-less console stream. */
export class ConsoleStream implements FileObject {
  readonly kind = 'console';
  readonly seekable = false;
  /** Bytes consumed from the input (checkpoints restore it). */
  inputPos = 0;
  /** Bytes written to the sink so far. */
  written = 0;

  constructor(
    readonly path: string,
    private readonly input: Uint8Array | null,
    private readonly sink: OutputSink | null,
    private readonly rdev: number,
  ) {}

  /** Read from the fixed input; end of file once it is consumed. */
  read(dst: Uint8Array): number {
    if (!this.input) return 0;
    const n = Math.min(dst.length, this.input.length - this.inputPos);
    dst.set(this.input.subarray(this.inputPos, this.inputPos + n));
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
