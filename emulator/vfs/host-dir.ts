/**
 * Read-only view of a host folder. Every call goes to the host (nothing cached) so the view follows
 * the folder; host symlinks are reported as symlinks and resolved by the VFS in guest space, and
 * lookups never accept "." or "..", so nothing outside the folder is reachable.
 */
import * as fs from 'fs';
import { EIO, ErrnoError } from '../abi/errno';
import { S_IFDIR, S_IFLNK, S_IFREG } from '../abi/fcntl';
import { hashString } from './hash';
import { INO_FIRST_HOST, INO_LIMIT, LowerNode, makeStat, NodeKind, Provenance, Stat, Timespec } from './node';
import { bytesName, nameBytes } from './path';

/**
 * Host inode numbers differ between machines, so guests see numbers hashed from (mount, path)
 * instead; a probe keeps them unique in the rare case two paths collide.
 */
export class HostInodes {
  private readonly byKey = new Map<string, number>();
  private readonly taken = new Set<number>();

  /** Stable number for `key`. */
  get(key: string): number {
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    const span = INO_LIMIT - INO_FIRST_HOST;
    let ino = INO_FIRST_HOST + (hashString(key) % span);
    while (this.taken.has(ino)) ino = ino + 1 >= INO_LIMIT ? INO_FIRST_HOST : ino + 1;
    this.taken.add(ino);
    this.byKey.set(key, ino);
    return ino;
  }
}

/** One host folder mounted in the guest. */
export class HostMount {
  /** `source` must be an absolute, symlink-free host path (parseRootfsSpec guarantees it). */
  constructor(
    readonly source: string,
    readonly mountId: number,
    readonly dev: number,
    readonly owner: Provenance,
    private readonly inodes: HostInodes,
  ) {}

  /** Node for the folder itself. */
  root(): LowerNode {
    return new HostNode(this, '', 'dir');
  }

  /**
   * Host path of a relative path inside the mount, as bytes: `rel` is a guest byte string, and a
   * host name that is not UTF-8 must reach the host unchanged.
   */
  hostPath(rel: string): Buffer {
    const root = Buffer.from(this.source, 'utf8');
    return rel === '' ? root : Buffer.concat([root, nameBytes('/' + rel)]);
  }

  /** Inode number of a relative path. */
  ino(rel: string): number {
    return this.inodes.get(`${this.mountId}:${rel}`);
  }
}

function kindOf(st: fs.Stats): NodeKind | undefined {
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  return undefined;
}

/** lstat that reports a vanished or unreadable path as absent rather than throwing. */
function lstatOrUndefined(path: Buffer): fs.Stats | undefined {
  try {
    return fs.lstatSync(path);
  } catch {
    return undefined;
  }
}

/** lstat with nanosecond times, or undefined as lstatOrUndefined. */
function lstatNs(path: string | Buffer): fs.BigIntStats | undefined {
  try {
    return fs.lstatSync(path, { bigint: true });
  } catch {
    return undefined;
  }
}

/** A host time in nanoseconds as a guest timespec. */
function timespec(ns: bigint): Timespec {
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}

class HostNode extends LowerNode {
  constructor(
    private readonly mount: HostMount,
    private readonly rel: string,
    readonly kind: NodeKind,
  ) {
    super();
  }

  private get hostPath(): Buffer {
    return this.mount.hostPath(this.rel);
  }

  /**
   * Owner and device are the guest's; mode, size, link count, mtime and ctime (to the nanosecond)
   * are the host's. The access time is shown equal to the modification time: the host moves a
   * file's atime whenever anything reads it — clonecloud's own reads for the guest included — so
   * showing it would make a run depend on what read the folder before, and a restored checkpoint
   * see other times than the run it was taken from.
   */
  override stat(): Stat {
    const st = lstatNs(this.hostPath);
    const kind = this.kind;
    const typeBits = kind === 'dir' ? S_IFDIR : kind === 'symlink' ? S_IFLNK : S_IFREG;
    const size = kind === 'dir' ? 4096 : kind === 'symlink' ? this.readlink().length : Number(st?.size ?? 0);
    return makeStat({
      dev: this.mount.dev,
      ino: this.mount.ino(this.rel),
      mode: typeBits | (Number(st?.mode ?? 0o644n) & 0o7777),
      size,
      nlink: Number(st?.nlink ?? 1n),
      owner: this.mount.owner,
      ...(st ? { atime: timespec(st.mtimeNs), mtime: timespec(st.mtimeNs), ctime: timespec(st.ctimeNs) } : {}),
    });
  }

  override names(): string[] {
    let dirents: fs.Dirent<Buffer>[];
    try {
      dirents = fs.readdirSync(this.hostPath, { withFileTypes: true, encoding: 'buffer' });
    } catch {
      return [];
    }
    const out: string[] = [];
    for (const d of dirents) {
      const name = bytesName(d.name);
      if (d.isDirectory() || d.isFile() || d.isSymbolicLink()) out.push(name);
      else if (this.child(name)) out.push(name); // file systems that do not report d_type
    }
    return out;
  }

  override lookup(name: string): LowerNode | undefined {
    if (name === '.' || name === '..' || name.includes('/') || name.includes('\0')) return undefined;
    return this.child(name);
  }

  private child(name: string): LowerNode | undefined {
    const rel = this.rel === '' ? name : `${this.rel}/${name}`;
    const st = lstatOrUndefined(this.mount.hostPath(rel));
    const kind = st && kindOf(st);
    return kind ? new HostNode(this.mount, rel, kind) : undefined;
  }

  override read(dst: Uint8Array, position: number): number {
    // O_NOFOLLOW: if the file was swapped for a symlink since lookup, refuse rather than escape.
    let fd: number;
    try {
      fd = fs.openSync(this.hostPath, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    } catch {
      throw new ErrnoError(EIO, `host file ${this.hostPath.toString()} is no longer readable`);
    }
    try {
      let done = 0;
      while (done < dst.length) {
        const n = fs.readSync(fd, dst, done, dst.length - done, position + done);
        if (n === 0) break;
        done += n;
      }
      return done;
    } finally {
      fs.closeSync(fd);
    }
  }

  override readlink(): string {
    try {
      return bytesName(fs.readlinkSync(this.hostPath, 'buffer'));
    } catch {
      return '';
    }
  }
}
