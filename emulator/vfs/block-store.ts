/**
 * Sparse file contents in 4 KiB blocks. Missing blocks are holes that read as zeros. Blocks handed
 * out by an export are frozen and replaced rather than modified on the next write, so a checkpoint
 * can keep references to them without copying.
 */
import { EFBIG, EINVAL, ENOSPC, ErrnoError } from '../abi/errno';
import { BLOCK_SIZE } from './node';
import type { Storage } from './storage';

/** Largest file the layer accepts; beyond this a 32-bit guest could not address it anyway. */
export const MAX_FILE_SIZE = 2 ** 40;

/** Blocks shared with exported state; writes must copy them first. */
export type FrozenSet = WeakSet<Uint8Array>;

/** Contents of one writable file. */
export class BlockStore {
  size = 0;
  readonly blocks = new Map<number, Uint8Array>();

  /**
   * `frozen` is shared by the whole layer so one export can freeze every file at once; every
   * block allocated is taken from `storage` (the device's), when there is one.
   */
  constructor(
    private readonly frozen: FrozenSet,
    private storage?: Storage,
  ) {}

  /** Copy bytes at `position` into `dst`; holes give zeros. */
  read(dst: Uint8Array, position: number): number {
    const count = Math.max(0, Math.min(dst.length, this.size - position));
    let done = 0;
    while (done < count) {
      const pos = position + done;
      const index = Math.floor(pos / BLOCK_SIZE);
      const within = pos - index * BLOCK_SIZE;
      const n = Math.min(BLOCK_SIZE - within, count - done);
      const block = this.blocks.get(index);
      if (block) dst.set(block.subarray(within, within + n), done);
      else dst.fill(0, done, done + n);
      done += n;
    }
    return count;
  }

  /**
   * Write `src` at `position`, growing the file; a gap before `position` becomes a hole. When the
   * storage fills up part-way, the bytes that fit are written and counted, as Linux does; ENOSPC
   * only when nothing fits.
   */
  write(src: Uint8Array, position: number): number {
    if (position < 0) throw new ErrnoError(EINVAL);
    if (position + src.length > MAX_FILE_SIZE) throw new ErrnoError(EFBIG);
    let done = 0;
    while (done < src.length) {
      const pos = position + done;
      const index = Math.floor(pos / BLOCK_SIZE);
      const within = pos - index * BLOCK_SIZE;
      const n = Math.min(BLOCK_SIZE - within, src.length - done);
      let block: Uint8Array;
      try {
        block = this.writable(index);
      } catch (e) {
        if (done > 0 && e instanceof ErrnoError && e.errno === ENOSPC) break;
        throw e;
      }
      block.set(src.subarray(done, done + n), within);
      done += n;
    }
    this.size = Math.max(this.size, position + done);
    return done;
  }

  /** Cut or extend to `length`; extension is a hole, and bytes past a cut never reappear. */
  truncate(length: number): void {
    if (length < 0) throw new ErrnoError(EINVAL);
    if (length > MAX_FILE_SIZE) throw new ErrnoError(EFBIG);
    if (length < this.size) {
      const keep = Math.ceil(length / BLOCK_SIZE);
      let freed = 0;
      for (const index of [...this.blocks.keys()]) if (index >= keep && this.blocks.delete(index)) freed++;
      this.storage?.giveBlocks(freed);
      const within = length % BLOCK_SIZE;
      // Zero the tail of the last kept block so a later extension reads zeros there.
      if (within !== 0 && this.blocks.has(keep - 1)) this.writable(keep - 1).fill(0, within);
    }
    this.size = length;
  }

  /** Blocks actually stored, for st_blocks. */
  get allocatedBlocks(): number {
    return this.blocks.size;
  }

  /** Give every block back to the storage (the file is gone); later blocks are not counted. */
  release(): void {
    this.storage?.giveBlocks(this.blocks.size);
    this.storage = undefined;
  }

  /** Mark every current block as shared with an export. */
  freeze(): void {
    for (const b of this.blocks.values()) this.frozen.add(b);
  }

  /** The block at `index`, allocated or unshared so it may be modified. */
  private writable(index: number): Uint8Array {
    const block = this.blocks.get(index);
    if (block && !this.frozen.has(block)) return block;
    // A frozen block is replaced, not added: only a new index takes space.
    if (!block) this.storage?.takeBlocks(1);
    const fresh = new Uint8Array(BLOCK_SIZE);
    if (block) fresh.set(block);
    this.blocks.set(index, fresh);
    return fresh;
  }
}
