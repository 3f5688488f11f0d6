/**
 * How a page (or a file block) travels: LZ4 block compression, or raw when that does not shrink
 * it. LZ4 was chosen by measurement on real guest pages (scripts/bench/page-codecs.ts, README
 * "Wire protocol"): it saves the most bytes per millisecond of the phone's CPU. The receiver
 * refuses a compressed page that claims to expand past one page (a compression bomb) before
 * decompressing it, and checks every page against its hash before anything uses it.
 */
import { compressSync, uncompressSync } from 'lz4-napi';
import { HASH_BYTES, hashBytes } from '../snapshot/page-hash';
import { ErrorCode, ProtocolError } from './errors';

/** Largest page or file block that travels (bytes). */
export const MAX_PAGE_BYTES = 4096;

/** How a page's bytes are encoded in a page batch. */
export enum PageEncoding {
  /** The bytes as they are. */
  Raw = 0,
  /** An LZ4 block with its decompressed length in front (u32 little-endian). */
  Lz4 = 1,
}

/** A page as a page batch carries it. */
export interface WirePage {
  /** The page's 16-byte content hash (snapshot/page-hash.ts). */
  hash: Uint8Array;
  encoding: PageEncoding;
  data: Uint8Array;
}

/** `bytes` (1 to 4096 of them, hashing to `hash`) ready to send: compressed when that shrinks it. */
export function packPage(hash: Uint8Array, bytes: Uint8Array): WirePage {
  if (hash.length !== HASH_BYTES) throw new ProtocolError(ErrorCode.Internal, `page hash of ${hash.length} bytes; a page hash has ${HASH_BYTES}`);
  if (bytes.length < 1 || bytes.length > MAX_PAGE_BYTES) {
    throw new ProtocolError(ErrorCode.Internal, `page of ${bytes.length} bytes cannot travel: pages are 1 to ${MAX_PAGE_BYTES} bytes`);
  }
  const packed = compressSync(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  if (packed.length < bytes.length) return { hash, encoding: PageEncoding.Lz4, data: packed };
  return { hash, encoding: PageEncoding.Raw, data: bytes };
}

/** The decompressed length an LZ4 page claims, refused when it is not 1 to 4096 bytes. */
function claimedLength(data: Uint8Array, at: string): number {
  if (data.length < 5) throw new ProtocolError(ErrorCode.BadPage, `${at}: compressed page of ${data.length} bytes is truncated`);
  const n = new DataView(data.buffer, data.byteOffset, 4).getUint32(0, true);
  if (n < 1 || n > MAX_PAGE_BYTES) {
    throw new ProtocolError(ErrorCode.BadPage, `${at}: compressed page claims ${n} bytes; a page is at most ${MAX_PAGE_BYTES} (refused unread)`);
  }
  return n;
}

/**
 * The bytes of a received page, decompressed and verified against its hash; ProtocolError (code
 * BadPage) when it is malformed, would expand past one page, or does not match its hash.
 */
export function unpackPage(page: WirePage): Uint8Array {
  const at = `page ${Buffer.from(page.hash).toString('hex')}`;
  let bytes: Uint8Array;
  if (page.encoding === PageEncoding.Raw) {
    bytes = page.data;
    if (bytes.length < 1 || bytes.length > MAX_PAGE_BYTES) throw new ProtocolError(ErrorCode.BadPage, `${at}: raw page of ${bytes.length} bytes`);
  } else if (page.encoding === PageEncoding.Lz4) {
    const n = claimedLength(page.data, at);
    try {
      bytes = uncompressSync(Buffer.from(page.data.buffer, page.data.byteOffset, page.data.byteLength));
    } catch (e) {
      throw new ProtocolError(ErrorCode.BadPage, `${at}: does not decompress (${(e as Error).message})`);
    }
    if (bytes.length !== n) throw new ProtocolError(ErrorCode.BadPage, `${at}: decompressed to ${bytes.length} bytes, not the ${n} it claims`);
  } else {
    throw new ProtocolError(ErrorCode.BadPage, `${at}: unknown page encoding ${String(page.encoding)}`);
  }
  if (Buffer.compare(hashBytes(bytes), page.hash) !== 0) {
    throw new ProtocolError(ErrorCode.BadPage, `${at}: bytes do not match the hash (damaged in transit or sent wrongly); nothing was applied`);
  }
  return bytes;
}
