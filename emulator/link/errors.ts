/** Errors of the link between a phone and its clone. */
import { CloneCloudError } from '../errors';

/** Why a peer refused a connection or a frame; sent in an error frame as a number. */
export enum ErrorCode {
  /** Protocol versions of the two ends cannot talk. */
  Version = 1,
  /** The peer could not prove it holds the shared token. */
  Auth = 2,
  /** A frame did not parse: truncated, trailing bytes, counts that overrun, unknown type. */
  Malformed = 3,
  /** A frame's length is above the maximum. */
  TooLarge = 4,
  /** A well-formed frame that this point of the conversation does not expect. */
  Unexpected = 5,
  /** A page's bytes do not decompress or do not match their hash. */
  BadPage = 6,
  /** The peer's state does not match (e.g. memory hashes differ after an increment). */
  Mismatch = 7,
  /** The peer failed on its side; the message says why. */
  Internal = 8,
  /** No frame arrived in time, or the connection closed mid-conversation. */
  Closed = 9,
  /** The phone is already connected to the clone on another connection (one at a time per phone). */
  Busy = 10,
}

/** A frame or a conversation broke the wire protocol; `code` says how. The connection is closed. */
export class ProtocolError extends CloneCloudError {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The peer refused us with an error frame; `code` and the message are the peer's (a newer peer's code may be one this build does not name). */
export class PeerRefusedError extends ProtocolError {}
