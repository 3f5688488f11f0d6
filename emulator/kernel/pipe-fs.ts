/**
 * The machine's pipes: inode numbers for new pipes, and the one pipe behind each FIFO node that
 * has open ends. Machine-wide, like Linux's pipefs: descriptors of every process share it.
 */
import { ENXIO, ErrnoError } from '../abi/errno';
import { O_ACCMODE, O_NONBLOCK, O_RDONLY, O_WRONLY } from '../abi/fcntl';
import type { Stat, Vfs } from '../vfs/vfs';
import { WouldBlock } from './blocking';
import { Pipe, PipeEnd, PipeOwner } from './pipe';

/** First pipefs inode number handed out. */
export const FIRST_PIPE_INO = 4100;

/**
 * A pipe as plain data: its bytes and identity; its ends are the descriptions that refer to it.
 * Part of the snapshot format (inside FdTableState): changing it needs a bump of the snapshot
 * version (machine/state-version.ts).
 */
export interface PipeState {
  ino: number;
  capacity: number;
  /** Buffered bytes, base64. */
  data: string;
  owner: PipeOwner;
  /** The FIFO node's inode, for a named pipe. */
  fifoIno?: number;
}

/** Who is waiting in a FIFO open for its peer, and the end they already hold. */
interface PendingOpen {
  end: PipeEnd;
  /** The peer's open count when the wait began: any later open of the peer ends it. */
  peerOpens: number;
}

/** Pipes and FIFOs of one machine. */
export class PipeFs {
  nextIno = FIRST_PIPE_INO;
  private readonly fifos = new Map<number, Pipe>();
  private readonly pending = new Map<object, PendingOpen>();

  /** A new anonymous pipe. */
  create(owner: PipeOwner): Pipe {
    return new Pipe(this.nextIno++, owner);
  }

  /** An end of an anonymous pipe. */
  end(p: Pipe, mode: 'read' | 'write'): PipeEnd {
    return new PipeEnd(p, mode, p.name);
  }

  /**
   * Open the FIFO node `fifoIno` at `path` with `flags` for `opener` (the task: a retried open
   * finds the end it got before waiting). Like Linux's fifo_open: a reader waits for a writer
   * unless O_NONBLOCK; a writer waits for a reader, or gets ENXIO with O_NONBLOCK; O_RDWR holds
   * both ends and never waits.
   */
  openFifo(opener: object, fifoIno: number, path: string, flags: number, owner: PipeOwner, statOf: () => Stat): PipeEnd {
    const acc = flags & O_ACCMODE;
    const nonblock = (flags & O_NONBLOCK) !== 0;
    const waiting = this.pending.get(opener);
    if (waiting) {
      this.pending.delete(opener);
      return waiting.end;
    }
    let pipe = this.fifos.get(fifoIno);
    if (!pipe) {
      if (acc === O_WRONLY && nonblock) throw new ErrnoError(ENXIO);
      pipe = new Pipe(this.nextIno++, owner, fifoIno);
      this.fifos.set(fifoIno, pipe);
    }
    const p = pipe;
    if (acc === O_WRONLY && nonblock && p.readers === 0) throw new ErrnoError(ENXIO);
    const mode = acc === O_RDONLY ? 'read' : acc === O_WRONLY ? 'write' : 'both';
    const end = new PipeEnd(p, mode, path, (released) => this.release(released), statOf);
    if (mode === 'both' || nonblock) return end;
    const peer = () => (mode === 'read' ? p.writers : p.readers);
    const peerOpens = () => (mode === 'read' ? p.writeOpens : p.readOpens);
    if (peer() > 0) return end;
    const seen = peerOpens();
    this.pending.set(opener, { end, peerOpens: seen });
    throw new WouldBlock({ ready: () => peerOpens() !== seen, what: `open of FIFO ${path} for ${mode === 'read' ? 'reading' : 'writing'}` });
  }

  /** Abandon `opener`'s waiting FIFO open (a signal interrupted it, or the task died): its end closes. */
  cancelOpen(opener: object): void {
    const waiting = this.pending.get(opener);
    this.pending.delete(opener);
    waiting?.end.close();
  }

  /** The pipe of FIFO `fifoIno`, if it has open ends. */
  fifo(fifoIno: number): Pipe | undefined {
    return this.fifos.get(fifoIno);
  }

  /** Register a restored FIFO's pipe. */
  adoptFifo(p: Pipe): void {
    if (p.fifoIno !== undefined) this.fifos.set(p.fifoIno, p);
  }

  /** An end of a restored pipe, released from the FIFO table with its last end. */
  restoredEnd(p: Pipe, mode: 'read' | 'write' | 'both', path: string, statOf?: () => Stat): PipeEnd {
    return new PipeEnd(p, mode, path, (released) => this.release(released), statOf);
  }

  /** Forget every FIFO and pending open (before a restore puts the saved ones back). */
  reset(nextIno: number): void {
    this.fifos.clear();
    this.pending.clear();
    this.nextIno = nextIno;
  }

  /** A FIFO's pipe and its buffered bytes go when its last end closes, as in Linux. */
  private release(p: Pipe): void {
    if (p.fifoIno !== undefined && this.fifos.get(p.fifoIno) === p) this.fifos.delete(p.fifoIno);
  }
}

const machines = new WeakMap<Vfs, PipeFs>();

/** The pipes of the machine whose file system is `vfs` (one per machine, made on first use). */
export function pipeFsOf(vfs: Vfs): PipeFs {
  let fs = machines.get(vfs);
  if (!fs) {
    fs = new PipeFs();
    machines.set(vfs, fs);
  }
  return fs;
}
