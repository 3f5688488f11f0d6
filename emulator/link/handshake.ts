/**
 * The start of every connection: versions, then mutual authentication (auth.ts).
 *
 *   connecting → Hello {version, nonce}
 *   answering  → Challenge {version, nonce, proof}   (or Error Version, then close)
 *   connecting → Auth {proof}                        (or Error Auth, then close)
 *   answering  → Welcome                             (or Error Auth, then close)
 *
 * The answering side checks the connecting side's version with the snapshot rule (same major,
 * minor up to its own) and speaks that minor; the connecting side checks the major only. The
 * connecting side checks the answering side's proof before it gives its own, so it never proves
 * anything to a peer that does not hold the token.
 */
import { authProof, checkProof, newNonce } from './auth';
import { FrameConnection } from './connection';
import { ErrorCode, ProtocolError } from './errors';
import { FrameType } from './frames';
import { checkPeerMajor, checkPeerVersion, PROTOCOL_VERSION } from './version';

/** What a finished handshake agreed. */
export interface Session {
  /** The connecting side's version: the one both speak. */
  version: string;
}

/** Refuse with `e` (telling the peer) when `check` throws ProtocolError. */
function guard(conn: FrameConnection, check: () => void): void {
  try {
    check();
  } catch (e) {
    if (e instanceof ProtocolError) throw conn.fail(e);
    throw e;
  }
}

/** Handshake as the side that opened the connection (the phone, or `clonecloud clones`). */
export async function connectingHandshake(conn: FrameConnection, token: Uint8Array, version = PROTOCOL_VERSION): Promise<Session> {
  const nonce = newNonce();
  conn.send({ type: FrameType.Hello, version, nonce });
  const c = await conn.expect(FrameType.Challenge);
  guard(conn, () => checkPeerMajor(c.version, version));
  if (!checkProof(token, 'answering', nonce, c.nonce, c.proof)) {
    throw conn.fail(new ProtocolError(ErrorCode.Auth, `the clone at ${conn.peer} does not hold our token: check --token-file on both sides`));
  }
  conn.send({ type: FrameType.Auth, proof: authProof(token, 'connecting', nonce, c.nonce) });
  await conn.expect(FrameType.Welcome);
  return { version };
}

/** Handshake as the side that accepted the connection (the clone). */
export async function answeringHandshake(conn: FrameConnection, token: Uint8Array, version = PROTOCOL_VERSION): Promise<Session> {
  const h = await conn.expect(FrameType.Hello);
  guard(conn, () => checkPeerVersion(h.version, version));
  const nonce = newNonce();
  conn.send({ type: FrameType.Challenge, version, nonce, proof: authProof(token, 'answering', h.nonce, nonce) });
  const a = await conn.expect(FrameType.Auth);
  if (!checkProof(token, 'connecting', h.nonce, nonce, a.proof)) {
    throw conn.fail(new ProtocolError(ErrorCode.Auth, `${conn.peer} does not hold the token: refused (check --token-file on both sides)`));
  }
  conn.send({ type: FrameType.Welcome });
  return { version: h.version };
}
