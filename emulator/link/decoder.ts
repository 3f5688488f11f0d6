/**
 * Whole frames out of a byte stream cut anywhere, as TCP delivers it. The length is checked
 * against the maximum before any of the body is read or room is made for it, so a peer cannot
 * make a reader allocate more than one maximum-sized frame. After a refusal the decoder stays
 * broken: the stream has lost its framing and the connection must close.
 */
import { ErrorCode, ProtocolError } from './errors';
import { decodePayload, Frame, LENGTH_BYTES, MAX_FRAME_BYTES } from './frames';

/** Turns chunks into frames. */
export class FrameDecoder {
  private header = Buffer.alloc(LENGTH_BYTES);
  private headerFill = 0;
  private body: Buffer | undefined;
  private bodyFill = 0;
  private broken: ProtocolError | undefined;

  constructor(private readonly maxFrame = MAX_FRAME_BYTES) {}

  /** True when no partial frame is held (a clean place for the stream to end). */
  get idle(): boolean {
    return this.headerFill === 0 && this.body === undefined;
  }

  /** The frames `chunk` completes, in order; ProtocolError when the stream breaks the protocol. */
  push(chunk: Uint8Array): Frame[] {
    if (this.broken) throw this.broken;
    try {
      return this.take(chunk);
    } catch (e) {
      this.broken = e instanceof ProtocolError ? e : new ProtocolError(ErrorCode.Malformed, String(e));
      throw this.broken;
    }
  }

  private take(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.body === undefined) {
        const n = Math.min(LENGTH_BYTES - this.headerFill, chunk.length - at);
        this.header.set(chunk.subarray(at, at + n), this.headerFill);
        this.headerFill += n;
        at += n;
        if (this.headerFill < LENGTH_BYTES) break;
        const length = this.header.readUInt32LE(0);
        if (length === 0) throw new ProtocolError(ErrorCode.Malformed, 'frame of length 0 has no type byte');
        if (length > this.maxFrame) {
          throw new ProtocolError(ErrorCode.TooLarge, `frame of ${length} bytes is over the ${this.maxFrame}-byte maximum: refused unread`);
        }
        this.body = Buffer.allocUnsafe(length);
        this.bodyFill = 0;
      }
      const n = Math.min(this.body.length - this.bodyFill, chunk.length - at);
      this.body.set(chunk.subarray(at, at + n), this.bodyFill);
      this.bodyFill += n;
      at += n;
      if (this.bodyFill < this.body.length) break;
      const body = this.body;
      this.body = undefined;
      this.headerFill = 0;
      frames.push(decodePayload(body[0], body.subarray(1)));
    }
    return frames;
  }
}
