/** File descriptors: small integers naming shared open-file descriptions (offset and flags). */
import { EBADF, EMFILE, ErrnoError } from '../abi/errno';
import { O_ACCMODE, O_APPEND, O_DIRECTORY, O_NONBLOCK } from '../abi/fcntl';
import { Persist, PersistError } from '../persist';
import { displayName } from '../vfs/path';
import { Vfs } from '../vfs/vfs';
import { ConsoleStream } from './console';
import { FileObject, vfsFileObject } from './file-object';
import { Pipe, PipeEnd } from './pipe';
import { FIRST_PIPE_INO, pipeFsOf, PipeState } from './pipe-fs';

/** An open file description: shared by dup'ed descriptors, as in Linux. */
export interface OpenDescription {
  file: FileObject;
  offset: number;
  /** O_* status flags (access mode, O_APPEND, O_NONBLOCK...). */
  flags: number;
  /** Next directory entry index for getdents64. */
  dirCursor: number;
}

interface Slot {
  desc: OpenDescription;
  cloexec: boolean;
}

/**
 * How many descriptors, in every table, refer to each description: its file is released when
 * the last one closes (after fork the parent's and child's descriptors share descriptions).
 */
const refs = new WeakMap<OpenDescription, number>();

function hold(desc: OpenDescription): void {
  refs.set(desc, (refs.get(desc) ?? 0) + 1);
}

function drop(desc: OpenDescription): void {
  const n = (refs.get(desc) ?? 1) - 1;
  refs.set(desc, n);
  if (n <= 0) desc.file.close?.();
}

/** Default RLIMIT_NOFILE. */
export const MAX_FDS = 1024;

/**
 * An open file description as plain data; files are reopened by path on restore. Part of the
 * snapshot format: changing it needs a bump of the snapshot version (machine/state-version.ts).
 */
export interface DescriptionState {
  kind: 'console' | 'file' | 'dir' | 'pipe';
  path: string;
  offset: number;
  flags: number;
  dirCursor: number;
  /** A pipe end's pipe (index into FdTableState.pipes) and which end(s) it holds. */
  pipe?: number;
  end?: 'read' | 'write' | 'both';
}

/**
 * The descriptor table as plain data: descriptions once each, descriptors pointing at them by
 * index. Part of the snapshot format: changing it needs a bump of the snapshot version.
 */
/** A table's descriptors, naming descriptions by their index in the saved list. */
export type FdSlotsState = { fd: number; description: number; cloexec: boolean }[];

export interface FdTableState {
  descriptions: DescriptionState[];
  fds: FdSlotsState;
  /** Pipes the descriptions refer to, with their buffered bytes (absent: none open). */
  pipes?: PipeState[];
  /** The next pipe inode number of the machine (absent: no pipe was ever made). */
  nextPipeIno?: number;
}

/** Where restored descriptions find their files: the file system and the machine's consoles. */
export interface OpenFiles {
  readonly vfs: Vfs;
  consoles(): ConsoleStream[];
}

/** The process's descriptor table. */
export class FdTable implements Persist<FdTableState> {
  private slots: (Slot | undefined)[] = [];

  constructor(private readonly files: OpenFiles) {}

  /** An empty table over the same files (another process's, being restored). */
  emptyLike(): FdTable {
    return new FdTable(this.files);
  }

  /** The description behind `fd`, or EBADF. */
  get(fd: number): OpenDescription {
    const s = fd >= 0 ? this.slots[fd] : undefined;
    if (!s) throw new ErrnoError(EBADF);
    return s.desc;
  }

  /** True when `fd` is open. */
  has(fd: number): boolean {
    return fd >= 0 && this.slots[fd] !== undefined;
  }

  /** Install `desc` at the lowest free descriptor >= `min`. */
  install(desc: OpenDescription, cloexec = false, min = 0): number {
    for (let fd = min; fd < MAX_FDS; fd++) {
      if (!this.slots[fd]) {
        this.slots[fd] = { desc, cloexec };
        hold(desc);
        return fd;
      }
    }
    throw new ErrnoError(EMFILE);
  }

  /** Install `desc` at exactly `fd`, closing what was there (dup2/dup3). */
  installAt(fd: number, desc: OpenDescription, cloexec: boolean): void {
    if (fd < 0 || fd >= MAX_FDS) throw new ErrnoError(EBADF);
    hold(desc);
    if (this.slots[fd]) this.close(fd);
    this.slots[fd] = { desc, cloexec };
  }

  /** Close `fd`, or EBADF; the file is released when no descriptor in any table shares it. */
  close(fd: number): void {
    const desc = this.get(fd);
    this.slots[fd] = undefined;
    drop(desc);
  }

  /** A copy for a forked child: the same descriptors naming the same descriptions (shared offsets and flags). */
  fork(): FdTable {
    const child = new FdTable(this.files);
    this.slots.forEach((s, fd) => {
      if (!s) return;
      child.slots[fd] = { desc: s.desc, cloexec: s.cloexec };
      hold(s.desc);
    });
    return child;
  }

  /** Close every close-on-exec descriptor, as execve does. */
  closeOnExec(): void {
    this.slots.forEach((s, fd) => s?.cloexec && this.close(fd));
  }

  /** The close-on-exec flag of `fd`. */
  cloexec(fd: number): boolean {
    this.get(fd);
    return this.slots[fd]!.cloexec;
  }

  /** Set the close-on-exec flag of `fd`. */
  setCloexec(fd: number, on: boolean): void {
    this.get(fd);
    this.slots[fd]!.cloexec = on;
  }

  /** Open descriptors, ascending, with their descriptions (for checkpoints and reports). */
  entries(): { fd: number; desc: OpenDescription; cloexec: boolean }[] {
    const out: { fd: number; desc: OpenDescription; cloexec: boolean }[] = [];
    this.slots.forEach((s, fd) => s && out.push({ fd, desc: s.desc, cloexec: s.cloexec }));
    return out;
  }

  /** The table as plain data; PersistError when an open file was deleted (it could not be reopened). */
  save(): FdTableState {
    return this.saveWith([]).state;
  }

  /**
   * This table and `others` (other processes' tables) as plain data, each open description and
   * pipe once, so descriptions shared across fork stay shared: `state` holds them all with this
   * table's descriptors, `others` the other tables' descriptors.
   */
  saveWith(others: readonly FdTable[]): { state: FdTableState; others: FdSlotsState[] } {
    const descs: OpenDescription[] = [];
    const slotsOf = (table: FdTable): FdSlotsState =>
      table.entries().map(({ fd, desc, cloexec }) => {
        let i = descs.indexOf(desc);
        if (i < 0) i = descs.push(desc) - 1;
        return { fd, description: i, cloexec };
      });
    const fds = slotsOf(this);
    const otherSlots = others.map(slotsOf);
    const pipes: Pipe[] = [];
    const descriptions = descs.map((d): DescriptionState => {
      const base = { path: d.file.path, offset: d.offset, flags: d.flags, dirCursor: d.dirCursor };
      if (d.file instanceof PipeEnd) {
        let i = pipes.indexOf(d.file.pipe);
        if (i < 0) i = pipes.push(d.file.pipe) - 1;
        return { kind: 'pipe', ...base, pipe: i, end: d.file.mode };
      }
      return { kind: d.file instanceof ConsoleStream ? 'console' : d.file.kind === 'dir' ? 'dir' : 'file', ...base };
    });
    for (const d of descriptions) {
      if ((d.kind === 'file' || d.kind === 'dir') && !this.exists(d.path)) {
        throw new PersistError(`an open file was deleted (${displayName(d.path)}): it cannot be reopened on restore, so no checkpoint can be taken now`);
      }
    }
    const pipeFs = pipeFsOf(this.files.vfs);
    if (pipes.length === 0 && pipeFs.nextIno === FIRST_PIPE_INO) return { state: { descriptions, fds }, others: otherSlots };
    return { state: { descriptions, fds, pipes: pipes.map(savePipe), nextPipeIno: pipeFs.nextIno }, others: otherSlots };
  }

  /** Close every descriptor, then reopen the descriptions of `s` and install its descriptors. */
  restore(s: FdTableState): void {
    this.restoreWith(s, []);
  }

  /** Restore a saveWith() result: this table from `s`, each of `others` (emptied first) from its descriptors. */
  restoreWith(s: FdTableState, others: readonly { table: FdTable; fds: FdSlotsState }[]): void {
    const consoles = new Map(this.files.consoles().map((c) => [c.path, c]));
    const pipeFs = pipeFsOf(this.files.vfs);
    pipeFs.reset(s.nextPipeIno ?? FIRST_PIPE_INO);
    const pipes = (s.pipes ?? []).map((p) => {
      const pipe = new Pipe(p.ino, { ...p.owner, time: { ...p.owner.time } }, p.fifoIno);
      pipe.capacity = p.capacity;
      pipe.setContents(Buffer.from(p.data, 'base64'));
      pipeFs.adoptFifo(pipe);
      return pipe;
    });
    const descs = s.descriptions.map((d): OpenDescription => {
      if (d.kind === 'pipe') {
        const pipe = d.pipe === undefined ? undefined : pipes[d.pipe];
        if (!pipe || !d.end) throw new PersistError(`a pipe description in the saved descriptor table names no saved pipe`);
        const statOf = pipe.fifoIno === undefined ? undefined : () => this.files.vfs.stat(d.path, '/', false);
        return { file: pipeFs.restoredEnd(pipe, d.end, d.path, statOf), offset: d.offset, flags: d.flags, dirCursor: d.dirCursor };
      }
      if (d.kind === 'console') {
        const c = consoles.get(d.path);
        if (!c) throw new PersistError(`unknown console ${d.path} in the saved descriptor table`);
        return { file: c, offset: d.offset, flags: d.flags, dirCursor: d.dirCursor };
      }
      // Reopen without O_CREAT/O_TRUNC/O_EXCL: the file's contents come from the restored layer.
      const keep = O_ACCMODE | O_APPEND | O_NONBLOCK | (d.kind === 'dir' ? O_DIRECTORY : 0);
      const f = this.files.vfs.open(d.path, '/', d.flags & keep, 0);
      return { file: vfsFileObject(f), offset: d.offset, flags: d.flags, dirCursor: d.dirCursor };
    });
    // The old descriptions' pipes are other objects: closing them leaves the restored ones alone.
    for (const { fd } of this.entries()) this.close(fd);
    for (const { fd, description, cloexec } of s.fds) this.installAt(fd, descs[description], cloexec);
    for (const o of others) {
      for (const { fd } of o.table.entries()) o.table.close(fd);
      for (const { fd, description, cloexec } of o.fds) {
        if (!descs[description]) throw new PersistError(`a saved descriptor table names description ${description}, which is not saved`);
        o.table.installAt(fd, descs[description], cloexec);
      }
    }
    // A description no descriptor refers to (corrupt state) must not keep a pipe end counted.
    for (const d of descs) if (!refs.get(d)) d.file.close?.();
  }

  private exists(path: string): boolean {
    try {
      this.files.vfs.stat(path, '/', false);
      return true;
    } catch {
      return false;
    }
  }
}

/** A pipe as plain data. */
function savePipe(p: Pipe): PipeState {
  const s: PipeState = {
    ino: p.ino,
    capacity: p.capacity,
    data: Buffer.from(p.contents()).toString('base64'),
    owner: { ...p.owner, time: { ...p.owner.time } },
  };
  if (p.fifoIno !== undefined) s.fifoIno = p.fifoIno;
  return s;
}
