/** File descriptors: small integers naming shared open-file descriptions (offset and flags). */
import { EBADF, EMFILE, ErrnoError } from '../abi/errno';
import { O_ACCMODE, O_APPEND, O_DIRECTORY, O_NONBLOCK } from '../abi/fcntl';
import { Persist, PersistError } from '../persist';
import { displayName } from '../vfs/path';
import { Vfs } from '../vfs/vfs';
import { ConsoleStream } from './console';
import { FileObject, vfsFileObject } from './file-object';

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

/** Default RLIMIT_NOFILE. */
export const MAX_FDS = 1024;

/**
 * An open file description as plain data; files are reopened by path on restore. Part of the
 * snapshot format: changing it needs a bump of the snapshot version (machine/state-version.ts).
 */
export interface DescriptionState {
  kind: 'console' | 'file' | 'dir';
  path: string;
  offset: number;
  flags: number;
  dirCursor: number;
}

/**
 * The descriptor table as plain data: descriptions once each, descriptors pointing at them by
 * index. Part of the snapshot format: changing it needs a bump of the snapshot version.
 */
export interface FdTableState {
  descriptions: DescriptionState[];
  fds: { fd: number; description: number; cloexec: boolean }[];
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
        return fd;
      }
    }
    throw new ErrnoError(EMFILE);
  }

  /** Install `desc` at exactly `fd`, closing what was there (dup2/dup3). */
  installAt(fd: number, desc: OpenDescription, cloexec: boolean): void {
    if (fd < 0 || fd >= MAX_FDS) throw new ErrnoError(EBADF);
    if (this.slots[fd]) this.close(fd);
    this.slots[fd] = { desc, cloexec };
  }

  /** Close `fd`, or EBADF; the file is released when no other descriptor shares it. */
  close(fd: number): void {
    const desc = this.get(fd);
    this.slots[fd] = undefined;
    if (!this.slots.some((s) => s?.desc === desc)) desc.file.close?.();
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
    const descs: OpenDescription[] = [];
    const fds = this.entries().map(({ fd, desc, cloexec }) => {
      let i = descs.indexOf(desc);
      if (i < 0) i = descs.push(desc) - 1;
      return { fd, description: i, cloexec };
    });
    const descriptions = descs.map((d): DescriptionState => {
      const kind = d.file instanceof ConsoleStream ? 'console' : d.file.kind === 'dir' ? 'dir' : 'file';
      return { kind, path: d.file.path, offset: d.offset, flags: d.flags, dirCursor: d.dirCursor };
    });
    for (const d of descriptions) {
      if (d.kind !== 'console' && !this.exists(d.path)) {
        throw new PersistError(`an open file was deleted (${displayName(d.path)}): it cannot be reopened on restore, so no checkpoint can be taken now`);
      }
    }
    return { descriptions, fds };
  }

  /** Close every descriptor, then reopen the descriptions of `s` and install its descriptors. */
  restore(s: FdTableState): void {
    const consoles = new Map(this.files.consoles().map((c) => [c.path, c]));
    const descs = s.descriptions.map((d): OpenDescription => {
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
    for (const { fd } of this.entries()) this.close(fd);
    for (const { fd, description, cloexec } of s.fds) this.installAt(fd, descs[description], cloexec);
  }

  /** A copy for a forked child: the same descriptors naming the same (shared) descriptions. */
  fork(): FdTable {
    const child = new FdTable(this.files);
    child.slots = this.slots.map((s) => (s ? { ...s } : undefined));
    return child;
  }

  /** Close the descriptors marked close-on-exec (what execve does). */
  closeOnExec(): void {
    for (const { fd, cloexec } of this.entries()) if (cloexec) this.close(fd);
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
