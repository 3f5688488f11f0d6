/**
 * The frames of the wire protocol and their payloads (README "Wire protocol"). A frame on the
 * wire is
 *
 *   u32 length (little-endian; bytes that follow: the type byte and the payload) | u8 type | payload
 *
 * with `length` at most MAX_FRAME_BYTES. Payload fields are little-endian; a string is a u16
 * length and UTF-8, a blob a u32 length and bytes, JSON a blob of UTF-8 JSON text. Decoding is
 * strict: a payload must hold exactly its fields, so truncation, trailing bytes, counts that
 * overrun and invalid values are refused with ProtocolError.
 */
import { HASH_BYTES } from '../snapshot/page-hash';
import { decodeDelta, decodePageTable, isDelta } from '../snapshot/page-table';
import { ByteReader, ByteWriter } from './bytes';
import { ErrorCode, ProtocolError } from './errors';
import { MAX_PAGE_BYTES, PageEncoding, WirePage } from './page-codec';

/** Largest `length` a frame may have: a page batch of about 4000 incompressible pages. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** Bytes before the type byte. */
export const LENGTH_BYTES = 4;
/** Bytes of each side's random nonce in the handshake. */
export const NONCE_BYTES = 32;
/** Bytes of an HMAC-SHA256 proof. */
export const PROOF_BYTES = 32;

/** The type byte of each frame. */
export enum FrameType {
  Hello = 0x01,
  Challenge = 0x02,
  Auth = 0x03,
  Welcome = 0x04,
  Phone = 0x05,
  MirrorState = 0x06,
  HaveQuery = 0x10,
  HaveAnswer = 0x11,
  IncrementStart = 0x20,
  PageBatch = 0x21,
  IncrementCommit = 0x22,
  Ack = 0x23,
  FilesStart = 0x24,
  FilesAck = 0x25,
  Migrate = 0x40,
  Output = 0x41,
  Returned = 0x42,
  ListMirrors = 0x30,
  Mirrors = 0x31,
  Error = 0x7e,
  Bye = 0x7f,
}

/** What the clone knows of one mirrored phone (the `clonecloud clones` listing). */
export interface MirrorInfo {
  phoneId: string;
  /** Checkpoint id of the last complete sync, or null before the first. */
  lastSync: string | null;
  /** Host time of the last complete sync (ISO 8601), or null. */
  syncedAt: string | null;
  /** Non-zero pages in the mirror. */
  pages: number;
  /** Bytes received for this phone since the clone started. */
  bytes: number;
  /** The mirror's memory hash, or null. */
  memoryHash: string | null;
  /** The last file-only sync held (since protocol 1.1; absent from a 1.0 clone), and the host time it came. */
  filesSync?: string | null;
  filesSyncedAt?: string | null;
}

/** Every frame, by type. */
export type Frame =
  /** First frame of the connecting side: its protocol version and nonce. */
  | { type: FrameType.Hello; version: string; nonce: Uint8Array }
  /** The answering side's version, nonce, and its proof of the token over both nonces. */
  | { type: FrameType.Challenge; version: string; nonce: Uint8Array; proof: Uint8Array }
  /** The connecting side's proof of the token over both nonces. */
  | { type: FrameType.Auth; proof: Uint8Array }
  /** Both sides proved the token: the conversation may start. */
  | { type: FrameType.Welcome }
  /** The phone names itself (an id it chose: 1 to 64 of A-Z a-z 0-9 . _ -). */
  | { type: FrameType.Phone; phoneId: string }
  /** The clone's answer to Phone: the last complete sync it holds for that phone. */
  | { type: FrameType.MirrorState; lastSync: string | null; memoryHash: string | null }
  /** Which of these page hashes does the clone hold? */
  | { type: FrameType.HaveQuery; hashes: Uint8Array }
  /** One bit per queried hash, in query order (bit i of byte i/8, least significant first): 1 = held. */
  | { type: FrameType.HaveAnswer; count: number; bitmap: Uint8Array }
  /** An increment begins: its checkpoint record, and how many pages will follow in batches. */
  | {
      type: FrameType.IncrementStart;
      id: string;
      parent: string | null;
      chain: string;
      parentChain: string | null;
      manifest: object;
      /** A full page table or a delta against `parent` (snapshot/page-table.ts). */
      pageTable: Uint8Array;
      /** Concatenated 16-byte hashes the checkpoint references outside its page table (file blocks). */
      extraHashes: Uint8Array;
      pageCount: number;
    }
  /** Some of the increment's pages. */
  | { type: FrameType.PageBatch; pages: WirePage[] }
  /** The increment is complete: the clone applies it all or nothing. */
  | { type: FrameType.IncrementCommit; id: string; pageCount: number }
  /** The clone applied increment `id`; its mirror's memory hash. */
  | { type: FrameType.Ack; id: string; memoryHash: string }
  /**
   * A file-only sync begins (protocol 1.1): its files manifest (snapshot/files-record.ts), the
   * block hashes it references, and how many blocks follow in page batches; IncrementCommit ends it.
   */
  | { type: FrameType.FilesStart; id: string; manifest: object; extraHashes: Uint8Array; pageCount: number }
  /** The clone holds file sync `id`; the digest of the files state it holds. */
  | { type: FrameType.FilesAck; id: string; filesHash: string }
  /**
   * Run the mirror on the clone from checkpoint `checkpoint` (protocol 1.2), which must be the
   * mirror's last, until the instruction at `returnPc` (bit 0: Thumb) executes with SP at
   * `returnSp`, a syscall the phone must serve itself comes, or `budget` instructions (decimal
   * text, empty for none) have run; the clone answers with Output frames, the increment back
   * (IncrementStart, PageBatch..., IncrementCommit) and Returned.
   */
  | { type: FrameType.Migrate; checkpoint: string; returnPc: number; returnSp: number; budget: string; phoneOnly: string[] }
  /** Bytes the guest wrote to fd 1 or 2 on the clone, in order (protocol 1.2). */
  | { type: FrameType.Output; fd: number; data: Uint8Array }
  /**
   * The migrated run stopped (protocol 1.2): the checkpoint it stopped at (just sent), why
   * ('return', 'syscall', 'budget'), a detail for the log, the mirror's memory hash and chain
   * there, and the clone's instructions and modelled seconds for the call.
   */
  | {
      type: FrameType.Returned;
      id: string;
      reason: string;
      detail: string;
      memoryHash: string;
      chain: string;
      instructions: string;
      cloneSeconds: number;
    }
  /** Ask for the mirrors the clone holds. */
  | { type: FrameType.ListMirrors }
  /** The mirrors the clone holds. */
  | { type: FrameType.Mirrors; mirrors: MirrorInfo[] }
  /** A refusal: why (an ErrorCode; a newer peer's unknown code is kept as it came), then the sender closes. */
  | { type: FrameType.Error; code: number; message: string }
  /** The sender is done and closes. */
  | { type: FrameType.Bye };

/** The frame of type `T`. */
export type FrameOf<T extends FrameType> = Extract<Frame, { type: T }>;

/** A phone id a clone accepts: it names a folder and a log line. */
export const PHONE_ID = /^[A-Za-z0-9._-]{1,64}$/;

const nullable = (s: string | null): string => s ?? '';
const orNull = (s: string): string | null => (s === '' ? null : s);

/** The payload of `f` (without length and type). */
export function encodePayload(f: Frame): Uint8Array {
  const w = new ByteWriter();
  switch (f.type) {
    case FrameType.Hello:
      return w.str(f.version).raw(f.nonce).bytes();
    case FrameType.Challenge:
      return w.str(f.version).raw(f.nonce).raw(f.proof).bytes();
    case FrameType.Auth:
      return w.raw(f.proof).bytes();
    case FrameType.Welcome:
    case FrameType.ListMirrors:
    case FrameType.Bye:
      return w.bytes();
    case FrameType.Phone:
      return w.str(f.phoneId).bytes();
    case FrameType.MirrorState:
      return w.str(nullable(f.lastSync)).str(nullable(f.memoryHash)).bytes();
    case FrameType.HaveQuery:
      return w
        .u32(f.hashes.length / HASH_BYTES)
        .raw(f.hashes)
        .bytes();
    case FrameType.HaveAnswer:
      return w.u32(f.count).raw(f.bitmap).bytes();
    case FrameType.IncrementStart:
      w.str(f.id).str(nullable(f.parent)).str(f.chain).str(nullable(f.parentChain)).json(f.manifest).blob(f.pageTable);
      return w
        .u32(f.extraHashes.length / HASH_BYTES)
        .raw(f.extraHashes)
        .u32(f.pageCount)
        .bytes();
    case FrameType.PageBatch:
      w.u32(f.pages.length);
      for (const p of f.pages) w.raw(p.hash).u8(p.encoding).u16(p.data.length).raw(p.data);
      return w.bytes();
    case FrameType.IncrementCommit:
      return w.str(f.id).u32(f.pageCount).bytes();
    case FrameType.Ack:
      return w.str(f.id).str(f.memoryHash).bytes();
    case FrameType.FilesStart:
      return w
        .str(f.id)
        .json(f.manifest)
        .u32(f.extraHashes.length / HASH_BYTES)
        .raw(f.extraHashes)
        .u32(f.pageCount)
        .bytes();
    case FrameType.FilesAck:
      return w.str(f.id).str(f.filesHash).bytes();
    case FrameType.Migrate:
      return w.str(f.checkpoint).u32(f.returnPc).u32(f.returnSp).str(f.budget).json(f.phoneOnly).bytes();
    case FrameType.Output:
      return w.u8(f.fd).blob(f.data).bytes();
    case FrameType.Returned:
      return w.str(f.id).str(f.reason).str(f.detail).str(f.memoryHash).str(f.chain).str(f.instructions).json(f.cloneSeconds).bytes();
    case FrameType.Mirrors:
      return w.json(f.mirrors).bytes();
    case FrameType.Error:
      return w.u16(f.code).str(f.message).bytes();
  }
}

/** `f` as it goes on the wire: length, type, payload. Refused when longer than MAX_FRAME_BYTES. */
export function encodeFrame(f: Frame): Uint8Array {
  const payload = encodePayload(f);
  if (payload.length + 1 > MAX_FRAME_BYTES) {
    throw new ProtocolError(
      ErrorCode.TooLarge,
      `a ${FrameType[f.type]} frame of ${payload.length + 1} bytes is over the ${MAX_FRAME_BYTES}-byte maximum: send fewer pages per batch`,
    );
  }
  const out = Buffer.allocUnsafe(LENGTH_BYTES + 1 + payload.length);
  out.writeUInt32LE(payload.length + 1, 0);
  out[LENGTH_BYTES] = f.type;
  out.set(payload, LENGTH_BYTES + 1);
  return out;
}

/** The most bytes a page batch entry other than its data takes. */
export const PAGE_ENTRY_OVERHEAD = HASH_BYTES + 1 + 2;

const isMirror = (m: unknown): m is MirrorInfo => {
  const o = m as Record<string, unknown> | null;
  const strOrNull = (v: unknown) => v === null || typeof v === 'string';
  return (
    !!o &&
    typeof o === 'object' &&
    typeof o.phoneId === 'string' &&
    strOrNull(o.lastSync) &&
    strOrNull(o.syncedAt) &&
    strOrNull(o.memoryHash) &&
    (o.filesSync === undefined || strOrNull(o.filesSync)) &&
    (o.filesSyncedAt === undefined || strOrNull(o.filesSyncedAt)) &&
    Number.isSafeInteger(o.pages) &&
    Number.isSafeInteger(o.bytes)
  );
};

/** A copy of `b` (a decoded frame must not share the decoder's buffer). */
const copy = (b: Uint8Array): Uint8Array => Uint8Array.prototype.slice.call(b);

/** The frame of `type` whose payload is `payload`; ProtocolError when it does not parse. */
export function decodePayload(type: number, payload: Uint8Array): Frame {
  const name = FrameType[type] as string | undefined;
  if (name === undefined)
    throw new ProtocolError(ErrorCode.Malformed, `unknown frame type 0x${type.toString(16).padStart(2, '0')}: the peer is not a clonecloud of this protocol`);
  const r = new ByteReader(payload, name);
  const f = decodeFields(type as FrameType, r);
  r.end();
  return f;
}

function decodeFields(type: FrameType, r: ByteReader): Frame {
  switch (type) {
    case FrameType.Hello:
      return { type, version: r.str(), nonce: copy(r.raw(NONCE_BYTES)) };
    case FrameType.Challenge:
      return { type, version: r.str(), nonce: copy(r.raw(NONCE_BYTES)), proof: copy(r.raw(PROOF_BYTES)) };
    case FrameType.Auth:
      return { type, proof: copy(r.raw(PROOF_BYTES)) };
    case FrameType.Welcome:
    case FrameType.ListMirrors:
    case FrameType.Bye:
      return { type };
    case FrameType.Phone: {
      const phoneId = r.str();
      if (!PHONE_ID.test(phoneId)) r.fail(`phone id ${JSON.stringify(phoneId)} is not 1 to 64 of A-Z a-z 0-9 . _ -`);
      return { type, phoneId };
    }
    case FrameType.MirrorState:
      return { type, lastSync: orNull(r.str()), memoryHash: orNull(r.str()) };
    case FrameType.HaveQuery: {
      const n = r.count(HASH_BYTES);
      return { type, hashes: copy(r.raw(n * HASH_BYTES)) };
    }
    case FrameType.HaveAnswer: {
      const count = r.u32();
      const size = Math.ceil(count / 8);
      if (size !== r.left) r.fail(`bitmap of ${r.left} bytes for ${count} hashes`);
      const bitmap = copy(r.raw(size));
      if (count % 8 && bitmap[size - 1] >> (count % 8)) r.fail('bits set past the last hash');
      return { type, count, bitmap };
    }
    case FrameType.IncrementStart: {
      const id = r.str();
      const parent = orNull(r.str());
      const chain = r.str();
      const parentChain = orNull(r.str());
      if (!id) r.fail('empty checkpoint id');
      const manifest = r.json();
      const m = manifest as { id?: unknown; parent?: unknown } | null;
      if (!m || typeof m !== 'object' || Array.isArray(m)) r.fail('manifest is not a JSON object');
      if (m.id !== id || (m.parent ?? null) !== parent) r.fail('manifest id or parent differs from the frame');
      const pageTable = copy(r.blob());
      try {
        if (isDelta(pageTable)) {
          if (decodeDelta(pageTable, 'increment').base !== parent) r.fail('page table delta is not against the parent');
        } else decodePageTable(pageTable, 'increment');
      } catch (e) {
        if (e instanceof ProtocolError) throw e;
        r.fail((e as Error).message);
      }
      const extraHashes = copy(r.raw(r.count(HASH_BYTES) * HASH_BYTES));
      return { type, id, parent, chain, parentChain, manifest: m, pageTable, extraHashes, pageCount: r.u32() };
    }
    case FrameType.PageBatch: {
      const n = r.count(PAGE_ENTRY_OVERHEAD + 1);
      const pages: WirePage[] = [];
      for (let i = 0; i < n; i++) {
        const hash = copy(r.raw(HASH_BYTES));
        const encoding = r.u8();
        if (!(encoding in PageEncoding)) r.fail(`page ${i}: unknown encoding ${encoding}`);
        const size = r.u16();
        if (size < 1 || size > MAX_PAGE_BYTES) r.fail(`page ${i}: ${size} bytes of data; a page carries 1 to ${MAX_PAGE_BYTES}`);
        pages.push({ hash, encoding: encoding as PageEncoding, data: copy(r.raw(size)) });
      }
      return { type, pages };
    }
    case FrameType.IncrementCommit:
      return { type, id: r.str(), pageCount: r.u32() };
    case FrameType.Ack:
      return { type, id: r.str(), memoryHash: r.str() };
    case FrameType.FilesStart: {
      const id = r.str();
      if (!id) r.fail('empty file sync id');
      const manifest = r.json();
      const m = manifest as { id?: unknown } | null;
      if (!m || typeof m !== 'object' || Array.isArray(m)) r.fail('manifest is not a JSON object');
      if (m.id !== id) r.fail('manifest id differs from the frame');
      const extraHashes = copy(r.raw(r.count(HASH_BYTES) * HASH_BYTES));
      return { type, id, manifest: m, extraHashes, pageCount: r.u32() };
    }
    case FrameType.FilesAck:
      return { type, id: r.str(), filesHash: r.str() };
    case FrameType.Migrate: {
      const checkpoint = r.str();
      const returnPc = r.u32();
      const returnSp = r.u32();
      const budget = r.str();
      if (!checkpoint) r.fail('empty checkpoint id');
      if (budget !== '' && !/^[1-9]\d{0,19}$/.test(budget)) r.fail(`budget ${JSON.stringify(budget)} is not a count of instructions`);
      const phoneOnly = r.json();
      if (!Array.isArray(phoneOnly) || !phoneOnly.every((p) => typeof p === 'string' && p.startsWith('/')))
        r.fail('phone-only paths are not a list of absolute paths');
      return { type, checkpoint, returnPc, returnSp, budget, phoneOnly };
    }
    case FrameType.Output: {
      const fd = r.u8();
      if (fd !== 1 && fd !== 2) r.fail(`output for fd ${fd}; only 1 and 2 travel`);
      return { type, fd, data: copy(r.blob()) };
    }
    case FrameType.Returned: {
      const f = { type, id: r.str(), reason: r.str(), detail: r.str(), memoryHash: r.str(), chain: r.str(), instructions: r.str() };
      const cloneSeconds = r.json();
      if (!['return', 'syscall', 'budget'].includes(f.reason)) r.fail(`unknown reason ${JSON.stringify(f.reason)}`);
      if (!/^\d{1,20}$/.test(f.instructions)) r.fail('instructions is not a count');
      if (typeof cloneSeconds !== 'number' || !(cloneSeconds >= 0)) r.fail('clone seconds is not a time');
      return { ...f, cloneSeconds };
    }
    case FrameType.Mirrors: {
      const mirrors = r.json();
      if (!Array.isArray(mirrors) || !mirrors.every(isMirror)) r.fail('not a list of mirrors');
      return { type, mirrors };
    }
    case FrameType.Error: {
      return { type, code: r.u16(), message: r.str() };
    }
  }
}
