/** Simple read-only nodes held in memory: literal files, generated files, symlinks and directories. */
import { S_IFDIR, S_IFLNK, S_IFREG } from '../abi/fcntl';
import { LowerNode, makeStat, Provenance, Stat } from './node';

/** Identity and ownership shared by every static node. */
export interface StaticIdentity {
  dev: number;
  ino: number;
  owner: Provenance;
  /** Sealed nodes belong to a generated file system the guest may not modify. */
  sealed?: boolean;
}

/** A file whose bytes are fixed at construction. */
export class LiteralFile extends LowerNode {
  readonly kind = 'file';

  /** `perm` holds permission bits only. */
  constructor(
    private readonly id: StaticIdentity,
    private readonly perm: number,
    private readonly content: Uint8Array,
  ) {
    super();
  }

  override get sealed(): boolean {
    return this.id.sealed ?? false;
  }

  override stat(): Stat {
    const { dev, ino, owner } = this.id;
    return makeStat({ dev, ino, owner, mode: S_IFREG | this.perm, size: this.content.length });
  }

  override read(dst: Uint8Array, position: number): number {
    const part = this.content.subarray(Math.min(position, this.content.length), position + dst.length);
    dst.set(part);
    return part.length;
  }
}

/**
 * A file generated when opened (procfs). Like Linux it reports size 0, because the content is
 * only known once produced; readers must read until EOF.
 */
export class GeneratedFile extends LowerNode {
  readonly kind = 'file';

  /** `generate` is called once per open and per direct read. */
  constructor(
    private readonly id: StaticIdentity,
    private readonly perm: number,
    private readonly generate: () => string,
  ) {
    super();
  }

  override get sealed(): boolean {
    return this.id.sealed ?? false;
  }

  override stat(): Stat {
    const { dev, ino, owner } = this.id;
    return makeStat({ dev, ino, owner, mode: S_IFREG | this.perm, size: 0 });
  }

  override snapshot(): Uint8Array {
    return new Uint8Array(Buffer.from(this.generate(), 'utf8'));
  }

  override read(dst: Uint8Array, position: number): number {
    const all = this.snapshot();
    const part = all.subarray(Math.min(position, all.length), position + dst.length);
    dst.set(part);
    return part.length;
  }
}

/** A symlink whose target may be computed each time (e.g. /proc/self/cwd). */
export class StaticSymlink extends LowerNode {
  readonly kind = 'symlink';

  /** `target` is read on every readlink so it can follow the caller's state. */
  constructor(
    private readonly id: StaticIdentity,
    private readonly target: () => string,
  ) {
    super();
  }

  override get sealed(): boolean {
    return this.id.sealed ?? false;
  }

  override stat(): Stat {
    const { dev, ino, owner } = this.id;
    return makeStat({ dev, ino, owner, mode: S_IFLNK | 0o777, size: this.target().length });
  }

  override readlink(): string {
    return this.target();
  }
}

/** A directory with a fixed set of children. */
export class StaticDir extends LowerNode {
  readonly kind = 'dir';

  /** Children are kept in insertion order, which is the listing order. */
  constructor(
    private readonly id: StaticIdentity,
    private readonly perm: number,
    readonly children = new Map<string, LowerNode>(),
  ) {
    super();
  }

  override get sealed(): boolean {
    return this.id.sealed ?? false;
  }

  override stat(): Stat {
    const { dev, ino, owner } = this.id;
    let subdirs = 0;
    for (const c of this.children.values()) if (c.kind === 'dir') subdirs++;
    return makeStat({ dev, ino, owner, mode: S_IFDIR | this.perm, size: 4096, nlink: 2 + subdirs });
  }

  override names(): string[] {
    return [...this.children.keys()];
  }

  override lookup(name: string): LowerNode | undefined {
    return this.children.get(name);
  }
}
