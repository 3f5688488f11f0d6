/**
 * Content hashes of 4 KiB pages and file blocks: two xxHash64 digests with different seeds, 128
 * bits in all. A page is identified by this hash alone in the store, so it must be wide enough
 * that two different pages never share one in practice; 64 bits would not be (a store of 2^32
 * pages has a 1-in-2 chance of a collision at 64 bits, about 2^-64 at 128).
 */
import xxhash from 'xxhash-wasm';

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
