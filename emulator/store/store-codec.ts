/**
 * Byte-level helpers of the checkpoint store: page-hash keys, sealed records and the wording of
 * damage reports. LMDB keeps no checksums of its own, so every record the store writes carries
 * the hash of its payload and is checked on the way out; a flipped bit on disk is then reported
 * as damage instead of silently restoring a wrong phone.
 */
import { HASH_BYTES, hashBytes, hashHex, hashInto } from '../snapshot/page-hash';
import { StoreDamageError, StoreError } from '../snapshot/errors';
import { PageContext } from '../snapshot/source';

export type { PageContext };

/** Largest payload of a page or file block. */
export const MAX_PAGE_BYTES = 4096;

/** A 16-byte hash as a Buffer key, sharing memory with `hash`. */
export function hashKey(hash: Uint8Array): Buffer {
  if (hash.byteLength !== HASH_BYTES) throw new StoreError(`page hash must be ${HASH_BYTES} bytes, got ${hash.byteLength}`);
  return Buffer.from(hash.buffer, hash.byteOffset, HASH_BYTES);
}

/** True when `bytes` hash to `hash`. */
export function matchesHash(bytes: Uint8Array, hash: Uint8Array): boolean {
  return Buffer.compare(hashKey(hashBytes(bytes)), hashKey(hash)) === 0;
}

/** Describe a page for a damage message: "checkpoint c3: page 0x12 (hash 9f..)". */
export function describePage(hash: Uint8Array, ctx?: PageContext): string {
  const h = `hash ${hashHex(hash)}`;
  if (!ctx) return `page ${h}`;
  const what = ctx.what ?? 'page';
  const where = ctx.page === undefined ? `${what} (${h})` : `${what} 0x${ctx.page.toString(16)} (${h})`;
  return `checkpoint ${ctx.checkpoint}: ${where}`;
}

/** Prefix `payload` with its hash so that a later read can prove it unchanged. */
export function seal(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HASH_BYTES + payload.byteLength);
  hashInto(payload, out, 0);
  out.set(payload, HASH_BYTES);
  return out;
}

/** The payload of a sealed record, or StoreDamageError naming `what` when it was altered. */
export function unseal(sealed: Uint8Array, what: string): Uint8Array {
  if (sealed.byteLength < HASH_BYTES) throw new StoreDamageError(`${what}: stored record is truncated`);
  const payload = sealed.subarray(HASH_BYTES);
  if (!matchesHash(payload, sealed.subarray(0, HASH_BYTES))) {
    throw new StoreDamageError(`${what}: stored record does not match its hash`);
  }
  return payload;
}

/** Seal a JSON value. */
export function sealJson(value: unknown): Buffer {
  return seal(Buffer.from(JSON.stringify(value), 'utf8'));
}

/** Parse a sealed JSON value (damage-checked). */
export function unsealJson(sealed: Uint8Array, what: string): unknown {
  const payload = unseal(sealed, what);
  return JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
}

/** Split concatenated 16-byte hashes into views. */
export function splitHashes(concat: Uint8Array, what: string): Uint8Array[] {
  if (concat.byteLength % HASH_BYTES !== 0) {
    throw new StoreError(`${what}: extra hashes are ${concat.byteLength} bytes, not a multiple of ${HASH_BYTES}`);
  }
  const out: Uint8Array[] = [];
  for (let o = 0; o < concat.byteLength; o += HASH_BYTES) out.push(concat.subarray(o, o + HASH_BYTES));
  return out;
}
