/**
 * Bounded readers and writers of frame payloads. Every read checks that its bytes are there, so
 * a truncated or lying payload fails with ProtocolError instead of reading past its end, and a
 * count is checked against the bytes left before anything is allocated for it.
 */
import { ErrorCode, ProtocolError } from './errors';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads fields from one payload, front to back. */
export class ByteReader {
  private offset = 0;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes not read yet. */
  get left(): number {
    return this.bytes.length - this.offset;
  }

  /** Refuse the payload, naming the frame. */
  fail(why: string): never {
    throw new ProtocolError(ErrorCode.Malformed, `${this.what} frame: ${why}`);
  }

  private need(n: number): number {
    if (n > this.left) this.fail(`truncated (needs ${n} more bytes, ${this.left} left)`);
    const at = this.offset;
    this.offset += n;
    return at;
  }

  /** One unsigned byte. */
  u8(): number {
    return this.view.getUint8(this.need(1));
  }

  /** An unsigned little-endian 16-bit number. */
  u16(): number {
    return this.view.getUint16(this.need(2), true);
  }

  /** An unsigned little-endian 32-bit number. */
  u32(): number {
    return this.view.getUint32(this.need(4), true);
  }

  /** `n` bytes (a view into the payload). */
  raw(n: number): Uint8Array {
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }

  /** A u32 count of items of `size` bytes each, refused when they cannot fit in what is left. */
  count(size: number): number {
    const n = this.u32();
    if (n * size > this.left) this.fail(`count ${n} overruns the frame`);
    return n;
  }

  /** A string of UTF-8 with a u16 length. */
  str(): string {
    const b = this.raw(this.u16());
    try {
      return utf8.decode(b);
    } catch {
      return this.fail('string is not UTF-8');
    }
  }

  /** Bytes with a u32 length. */
  blob(): Uint8Array {
    return this.raw(this.count(1));
  }

  /** JSON text with a u32 length. */
  json(): unknown {
    const b = this.blob();
    try {
      return JSON.parse(utf8.decode(b)) as unknown;
    } catch {
      return this.fail('JSON does not parse');
    }
  }

  /** Refuse the payload when bytes are left over. */
  end(): void {
    if (this.left) this.fail(`${this.left} trailing bytes`);
  }
}

/** Appends fields to a payload. */
export class ByteWriter {
  private parts: Uint8Array[] = [];
  private size = 0;

  /** Total bytes written. */
  get length(): number {
    return this.size;
  }

  /** `b` as is. */
  raw(b: Uint8Array): this {
    this.parts.push(b);
    this.size += b.length;
    return this;
  }

  private num(bytes: number, set: (dv: DataView) => void): this {
    const b = new Uint8Array(bytes);
    set(new DataView(b.buffer));
    return this.raw(b);
  }

  /** One unsigned byte. */
  u8(v: number): this {
    return this.num(1, (dv) => dv.setUint8(0, v));
  }

  /** An unsigned little-endian 16-bit number. */
  u16(v: number): this {
    return this.num(2, (dv) => dv.setUint16(0, v, true));
  }

  /** An unsigned little-endian 32-bit number. */
  u32(v: number): this {
    return this.num(4, (dv) => dv.setUint32(0, v, true));
  }

  /** A string of UTF-8 with a u16 length (refused when longer than 65535 bytes). */
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    if (b.length > 0xffff) throw new ProtocolError(ErrorCode.Internal, `string of ${b.length} bytes is too long for a frame field`);
    return this.u16(b.length).raw(b);
  }

  /** Bytes with a u32 length. */
  blob(b: Uint8Array): this {
    return this.u32(b.length).raw(b);
  }

  /** `v` as JSON text with a u32 length. */
  json(v: unknown): this {
    return this.blob(Buffer.from(JSON.stringify(v), 'utf8'));
  }

  /** Everything written, in one buffer. */
  bytes(): Uint8Array {
    return Buffer.concat(this.parts, this.size);
  }
}
