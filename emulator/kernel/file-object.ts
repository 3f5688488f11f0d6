/** What a file descriptor refers to, as the I/O syscalls see it. */
import type { DirEntry, OpenFile, Stat } from '../vfs/vfs';

export type { DirEntry };

/**
 * An open file, directory, device or pipe end. Positions are byte offsets; devices and pipes
 * ignore them. A read or write that must wait throws WouldBlock (kernel/blocking.ts); the
 * descriptor layer turns that into EAGAIN for O_NONBLOCK descriptions.
 */
export interface FileObject {
  readonly kind: 'file' | 'dir' | 'console' | 'pipe';
  /** Guest path it was opened by (for /proc/self/fd-style reporting and traces). */
  readonly path: string;
  /** Whether lseek makes sense (false for consoles and pipes: ESPIPE). */
  readonly seekable: boolean;
  /** Devices whose position is always 0 (lseek answers 0 whatever was read or asked). */
  readonly positionless?: boolean;
  read(dst: Uint8Array, position: number): number;
  write(src: Uint8Array, position: number): number;
  size(): number;
  truncate(length: number): void;
  stat(): Stat;
  /** Directory entries in a stable order (directories only). */
  readdir?(): DirEntry[];
  /** Release it when the last descriptor referring to it closes. */
  close?(): void;
  /** poll(2) events it is ready for now (POLLIN, POLLOUT, POLLHUP...); without it, its kind decides. */
  poll?(): number;
  /** Bytes a read would get now (ioctl FIONREAD), for streams that know. */
  pending?(): number;
}

/** Adapt a VFS open file to what descriptors hold. */
export function vfsFileObject(f: OpenFile): FileObject {
  return {
    kind: f.isDirectory ? 'dir' : 'file',
    path: f.path,
    seekable: true,
    positionless: f.positionless === true,
    read: (dst, pos) => f.read(dst, pos),
    write: (src, pos) => f.write(src, pos),
    size: () => f.size(),
    truncate: (len) => f.truncate(len),
    stat: () => f.stat(),
    readdir: f.isDirectory ? () => f.readdir() : undefined,
    close: () => f.close(),
  };
}
