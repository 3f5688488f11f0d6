/**
 * Composes the rootfs entries into one read-only tree. Mounts behave like mount(2): a later entry
 * at a path hides everything earlier at or below that path, and missing parents of a target are
 * implicit directories that also show whatever the layer underneath has there.
 */
import { S_IFDIR } from '../abi/fcntl';
import { HostInodes, HostMount } from './host-dir';
import { INO_FIRST_IMAGE, INO_FIRST_MEM, INO_ROOT, LowerNode, makeStat, Provenance, ROOTFS_DEV, Stat } from './node';
import { componentsOf } from './path';
import type { RootfsSpec } from './rootfs-spec';
import { LiteralFile } from './static-nodes';
import { SynthTree } from './synth-tree';

interface Trie {
  ino: number;
  mount?: () => LowerNode;
  children: Map<string, Trie>;
}

/** Everything the composition needs besides the spec. */
export interface ComposeOptions {
  owner: Provenance;
  /** Generated trees placed after all entries so they always win. */
  extra: { target: string; root: LowerNode }[];
}

/** Build the lower tree of a validated spec; synthesized indexes are built here, once. */
export function composeRootfs(spec: RootfsSpec, opts: ComposeOptions): LowerNode {
  let nextIno = INO_FIRST_IMAGE;
  const root: Trie = { ino: INO_ROOT, children: new Map() };
  const place = (target: string, mount: () => LowerNode): void => {
    let t = root;
    for (const name of componentsOf(target)) {
      let c = t.children.get(name);
      if (!c) {
        c = { ino: nextIno++, children: new Map() };
        t.children.set(name, c);
      }
      t = c;
    }
    t.mount = mount;
    t.children.clear();
  };
  const inodes = new HostInodes();
  spec.forEach((entry, i) => {
    switch (entry.type) {
      case 'host': {
        const m = new HostMount(entry.source, i, ROOTFS_DEV, opts.owner, inodes);
        place(entry.target, () => m.root());
        break;
      }
      case 'file': {
        const node = new LiteralFile({ dev: ROOTFS_DEV, ino: nextIno++, owner: opts.owner }, entry.mode, Buffer.from(entry.content, 'utf8'));
        place(entry.target, () => node);
        break;
      }
      case 'synth': {
        const tree = new SynthTree(entry, ROOTFS_DEV, nextIno, opts.owner);
        nextIno += tree.inoCount;
        place(entry.target, () => tree.root());
        break;
      }
    }
  });
  if (nextIno >= INO_FIRST_MEM) throw new RangeError('image inode numbers overflow their range');
  for (const e of opts.extra) place(e.target, () => e.root);
  return new MountDir(root, root.mount?.(), opts.owner, true);
}

/** Node for a trie position: its own mount or the layer underneath, merged with mounted children. */
function resolve(t: Trie, under: LowerNode | undefined, owner: Provenance): LowerNode | undefined {
  const own = t.mount ? t.mount() : under;
  if (t.children.size === 0) return own;
  return new MountDir(t, own, owner, false);
}

/** A directory some mount passes through. */
class MountDir extends LowerNode {
  readonly kind = 'dir';
  private readonly base: LowerNode | undefined;

  /** `base` is what lies at this path below the mounts; non-directories there are hidden. */
  constructor(
    private readonly trie: Trie,
    base: LowerNode | undefined,
    private readonly owner: Provenance,
    private readonly isRoot: boolean,
  ) {
    super();
    this.base = base?.kind === 'dir' ? base : undefined;
  }

  override get sealed(): boolean {
    return this.base?.sealed ?? false;
  }

  override stat(): Stat {
    if (this.base) {
      const st = this.base.stat();
      // The root keeps Linux's conventional inode number whatever is mounted there.
      return this.isRoot ? { ...st, dev: ROOTFS_DEV, ino: INO_ROOT } : st;
    }
    let subdirs = 0;
    for (const name of this.trie.children.keys()) if (this.lookup(name)?.kind === 'dir') subdirs++;
    return makeStat({ dev: ROOTFS_DEV, ino: this.trie.ino, mode: S_IFDIR | 0o755, size: 4096, nlink: 2 + subdirs, owner: this.owner });
  }

  override names(): string[] {
    const names = new Set(this.base?.names() ?? []);
    for (const n of this.trie.children.keys()) names.add(n);
    return [...names];
  }

  override lookup(name: string): LowerNode | undefined {
    const t = this.trie.children.get(name);
    const under = this.base?.lookup(name);
    return t ? resolve(t, under, this.owner) : under;
  }
}
