/**
 * Content hashes of 4 KiB pages and file blocks: two xxHash64 digests with different seeds, 128
 * bits in all. A page is identified by this hash alone in the store, so it must be wide enough
 * that two different pages never share one in practice; 64 bits would not be (a store of 2^32
 * pages has a 1-in-2 chance of a collision at 64 bits, about 2^-64 at 128).
 */
import * as os from 'os';
import xxhash from 'xxhash-wasm';
import { nativeMemory } from '../memory/native-memory';

/** Bytes in a page hash. */
export const HASH_BYTES = 16;

type H64 = (input: Uint8Array, seed?: bigint) => bigint;
let h64: H64 | undefined;

/** Load the xxHash wasm module once; every other function here needs it loaded. */
export async function initHashing(): Promise<void> {
  if (!h64) h64 = (await xxhash()).h64Raw;
}

function hashFn(): H64 {
  if (!h64) throw new Error('page hashing used before initHashing()');
  return h64;
}

const SEED_A = 0n;
const SEED_B = 0x9e3779b97f4a7c15n;

/** The 128-bit hash of `bytes`, written into `out` at `offset` (big-endian halves). */
export function hashInto(bytes: Uint8Array, out: Uint8Array, offset = 0): void {
  const h = hashFn();
  const dv = new DataView(out.buffer, out.byteOffset + offset, HASH_BYTES);
  dv.setBigUint64(0, h(bytes, SEED_A));
  dv.setBigUint64(8, h(bytes, SEED_B));
}

/** The 128-bit hash of `bytes`. */
export function hashBytes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(HASH_BYTES);
  hashInto(bytes, out);
  return out;
}

/** Threads that hash a batch of pages: the host's cores, at most 4 (hashing runs at memory speed). */
const HASH_THREADS = Math.max(1, Math.min(4, os.availableParallelism()));

/**
 * The same 128-bit hashes as hashInto, of many 4 KiB pages in one native call shared over the
 * host's cores: page `pages[i]` of `memory` (or, without `pages`, the i-th page of `memory`) into
 * `out` at 16 i. With `zero` given, an all-zero page gets zero[i] = 1 and 16 zero bytes instead
 * of a hash. With `copies` given, every page not flagged zero is also copied there, at 4096 i
 * (in the same pass, while the page is in the cache). Returns the number of zero pages.
 */
export function hashPages(memory: Uint8Array, pages: Uint32Array | null, out: Uint8Array, zero?: Uint8Array, copies?: Uint8Array): number {
  const n = pages ? pages.length : Math.floor(memory.byteLength / 4096);
  if (out.byteLength < n * HASH_BYTES) throw new RangeError(`hashPages: room for ${out.byteLength / HASH_BYTES} hashes, ${n} pages`);
  if (zero && zero.byteLength < n) throw new RangeError(`hashPages: room for ${zero.byteLength} zero flags, ${n} pages`);
  if (copies && copies.byteLength < n * 4096) throw new RangeError(`hashPages: room for ${copies.byteLength / 4096} page copies, ${n} pages`);
  if (pages) {
    const limit = Math.floor(memory.byteLength / 4096);
    for (let i = 0; i < n; i++) if (pages[i] >= limit) throw new RangeError(`hashPages: page ${pages[i]} is past the memory's ${limit} pages`);
  }
  if (n === 0) return 0;
  return Number(nativeMemory().cc_hash_pages(memory, pages, n, out, zero ?? null, copies ?? null, HASH_THREADS));
}

/** Hash as 32 lower-case hex digits. */
export function hashHex(hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('hex');
}

/** True when every byte of `bytes` is zero (zero pages are never stored). */
export function isZero(bytes: Uint8Array): boolean {
  const words = bytes.byteOffset % 8 === 0 && bytes.byteLength % 8 === 0 ? new BigUint64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8) : bytes;
  for (let i = 0; i < words.length; i++) if (words[i]) return false;
  return true;
}

/**
 * A set of 16-byte hashes: copies of them in one growing array and an open-addressing table of
 * their indexes, probed by their first 32 bits (already uniformly spread: they are hash bits).
 * No object per entry: a Map of per-page keys was a sixth of a full checkpoint's pause.
 */
export class HashSet {
  private held = new Uint8Array(256 * HASH_BYTES);
  private slots = new Int32Array(512).fill(-1);
  private count = 0;

  /** Add a copy of `hash`; false when an equal one was there. */
  add(hash: Uint8Array): boolean {
    const at = this.slotOf(hash);
    if (this.slots[at] >= 0) return false;
    if ((this.count + 1) * HASH_BYTES > this.held.length) {
      const more = new Uint8Array(this.held.length * 2);
      more.set(this.held);
      this.held = more;
    }
    const o = this.count * HASH_BYTES;
    for (let k = 0; k < HASH_BYTES; k++) this.held[o + k] = hash[k];
    this.slots[at] = this.count++;
    if (this.count * 2 > this.slots.length) this.rehash();
    return true;
  }

  /** True when an equal hash is in the set. */
  has(hash: Uint8Array): boolean {
    return this.slots[this.slotOf(hash)] >= 0;
  }

  /** Number of hashes held. */
  get size(): number {
    return this.count;
  }

  /** The slot holding `hash`, or the empty one where it would go. */
  private slotOf(hash: Uint8Array): number {
    const mask = this.slots.length - 1;
    for (let s = prefixOf(hash, 0) & mask; ; s = (s + 1) & mask) {
      const k = this.slots[s];
      if (k < 0 || this.heldEquals(k, hash)) return s;
    }
  }

  private heldEquals(index: number, hash: Uint8Array): boolean {
    const o = index * HASH_BYTES;
    for (let k = 0; k < HASH_BYTES; k++) if (this.held[o + k] !== hash[k]) return false;
    return true;
  }

  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = this.slots.length - 1;
    for (let i = 0; i < this.count; i++) {
      let s = prefixOf(this.held, i * HASH_BYTES) & mask;
      while (this.slots[s] >= 0) s = (s + 1) & mask;
      this.slots[s] = i;
    }
  }
}

function prefixOf(h: Uint8Array, o: number): number {
  return (h[o] << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
}
