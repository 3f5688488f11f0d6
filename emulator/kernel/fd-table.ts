/** File descriptors: small integers naming shared open-file descriptions (offset and flags). */
import { EBADF, EMFILE, ErrnoError } from '../abi/errno';
import { FileObject } from './file-object';

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

/** The process's descriptor table. */
export class FdTable {
  private slots: (Slot | undefined)[] = [];

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
}
