/** Read-only nodes over a synthesized tree index; nothing is materialized beyond the index. */
import { S_IFDIR, S_IFREG } from '../abi/fcntl';
import { LowerNode, makeStat, Provenance, Stat } from './node';
import type { SynthEntrySpec } from './rootfs-spec';
import { buildSynthIndex, synthContent, synthIsText, synthLookup, synthName, synthSize, SynthIndex } from './synth-index';

/** A mounted synthesized tree: owns the index and hands out nodes for its root and entries. */
export class SynthTree {
  readonly index: SynthIndex;

  /** Build the index; inode numbers are inoBase (root) and inoBase + 1 + id. */
  constructor(
    spec: SynthEntrySpec,
    readonly dev: number,
    readonly inoBase: number,
    readonly owner: Provenance,
  ) {
    this.index = buildSynthIndex(spec);
  }

  /** Inode numbers this tree uses, root included. */
  get inoCount(): number {
    return this.index.entries + 1;
  }

  /** Node of the tree root. */
  root(): LowerNode {
    return new SynthDir(this, 0);
  }

  /** Node for entry `id`. */
  node(id: number): LowerNode {
    return id < this.index.dirCount ? new SynthDir(this, id + 1) : new SynthFile(this, id);
  }
}

class SynthDir extends LowerNode {
  readonly kind = 'dir';

  constructor(
    private readonly tree: SynthTree,
    private readonly slot: number,
  ) {
    super();
  }

  override stat(): Stat {
    const { index } = this.tree;
    let subdirs = 0;
    // Directories come first among a slot's children, so counting stops at the first file.
    for (let i = index.childStart[this.slot]; i < index.childStart[this.slot + 1]; i++) {
      if (index.children[i] >= index.dirCount) break;
      subdirs++;
    }
    return makeStat({
      dev: this.tree.dev,
      ino: this.tree.inoBase + this.slot,
      mode: S_IFDIR | 0o755,
      size: 4096,
      nlink: 2 + subdirs,
      owner: this.tree.owner,
    });
  }

  override names(): string[] {
    const { index } = this.tree;
    const out: string[] = [];
    for (let i = index.childStart[this.slot]; i < index.childStart[this.slot + 1]; i++) {
      out.push(synthName(index, index.children[i]));
    }
    return out;
  }

  override lookup(name: string): LowerNode | undefined {
    const id = synthLookup(this.tree.index, this.slot, name);
    return id === undefined ? undefined : this.tree.node(id);
  }
}

class SynthFile extends LowerNode {
  readonly kind = 'file';

  constructor(
    private readonly tree: SynthTree,
    private readonly id: number,
  ) {
    super();
  }

  override stat(): Stat {
    return makeStat({
      dev: this.tree.dev,
      ino: this.tree.inoBase + 1 + this.id,
      mode: S_IFREG | 0o644,
      size: synthSize(this.tree.index, this.id),
      owner: this.tree.owner,
    });
  }

  override read(dst: Uint8Array, position: number): number {
    const { index } = this.tree;
    const count = Math.max(0, Math.min(dst.length, synthSize(index, this.id) - position));
    if (count > 0) synthContent(index.seedHash, this.id, synthIsText(index, this.id), position, dst.subarray(0, count));
    return count;
  }
}
