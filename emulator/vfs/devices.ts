/**
 * The character devices every Linux program may rely on, served from a generated /dev (as
 * devtmpfs is mounted over whatever the root holds there): null, zero, full, random, urandom and
 * tty, with Linux's device numbers and semantics.
 */
import { EBADF, EINVAL, ENOSPC, ENXIO, ErrnoError } from '../abi/errno';
import { S_IFCHR } from '../abi/fcntl';
import { DirEntry, LowerNode, makeStat, Provenance, Stat } from './node';
import type { OpenFile } from './open-file';
import { StaticDir } from './static-nodes';

/** st_dev of /dev (an anonymous device, as devtmpfs gets). */
export const DEV_DEV = 5;

/** Fills a buffer with the guest's random bytes (its seeded generator, so runs stay reproducible). */
export type RandomSource = (out: Uint8Array) => void;

/** How one device answers reads and writes. */
interface Behaviour {
  major: number;
  minor: number;
  read(dst: Uint8Array): number;
  write(src: Uint8Array): number;
}

/** What lies behind each name in /dev. `tty` has no behaviour: opening it gives ENXIO. */
function behaviours(random: RandomSource): Record<string, Behaviour | { major: number; minor: number }> {
  const zeros = (dst: Uint8Array) => (dst.fill(0), dst.length);
  const discard = (src: Uint8Array) => src.length;
  const entropy = (dst: Uint8Array) => (random(dst), dst.length);
  return {
    full: {
      major: 1,
      minor: 7,
      read: zeros,
      write: () => {
        throw new ErrnoError(ENOSPC);
      },
    },
    null: { major: 1, minor: 3, read: () => 0, write: discard },
    random: { major: 1, minor: 8, read: entropy, write: discard },
    // A process without a controlling terminal (the guest never has one) gets ENXIO for /dev/tty.
    tty: { major: 5, minor: 0 },
    urandom: { major: 1, minor: 9, read: entropy, write: discard },
    zero: { major: 1, minor: 5, read: zeros, write: discard },
  };
}

/** A device node of /dev. */
export class DeviceNode extends LowerNode {
  readonly kind = 'special';

  /** `behaviour` is undefined for devices that cannot be opened here. */
  constructor(
    private readonly ino: number,
    private readonly owner: Provenance,
    readonly rdev: number,
    private readonly behaviour: Behaviour | undefined,
  ) {
    super();
  }

  override get sealed(): boolean {
    return true;
  }

  override stat(): Stat {
    return makeStat({ dev: DEV_DEV, ino: this.ino, owner: this.owner, mode: S_IFCHR | 0o666, size: 0, blocks: 0, rdev: this.rdev });
  }

  /** An open file on the device; ENXIO when the device has no behaviour here. */
  open(path: string): OpenFile {
    const b = this.behaviour;
    if (!b) throw new ErrnoError(ENXIO);
    return new DeviceHandle(path, b, () => this.stat());
  }
}

/** An open device: positions are ignored, the size is always 0. */
class DeviceHandle implements OpenFile {
  readonly isDirectory = false;
  readonly kind = 'file';
  readonly positionless = true;

  constructor(
    readonly path: string,
    private readonly b: Behaviour,
    private readonly attrs: () => Stat,
  ) {}

  read(dst: Uint8Array): number {
    return this.b.read(dst);
  }

  write(src: Uint8Array): number {
    return this.b.write(src);
  }

  size(): number {
    return 0;
  }

  /** ftruncate on anything but a regular file is EINVAL. */
  truncate(): void {
    throw new ErrnoError(EINVAL);
  }

  stat(): Stat {
    return this.attrs();
  }

  readdir(): DirEntry[] {
    throw new ErrnoError(EBADF);
  }

  close(): void {}
}

/** Build /dev: root-owned, mode 0755, with the devices in name order. */
export function buildDev(random: RandomSource, owner: Provenance): LowerNode {
  const dir = new StaticDir({ dev: DEV_DEV, ino: 1, owner, sealed: true }, 0o755);
  let ino = 2;
  for (const [name, b] of Object.entries(behaviours(random))) {
    const rdev = (b.major << 8) | b.minor;
    dir.children.set(name, new DeviceNode(ino++, owner, rdev, 'read' in b ? b : undefined));
  }
  return dir;
}
