/**
 * Mutual challenge-response over a shared token. Each side sends a fresh random nonce; each
 * proves it holds the token with HMAC-SHA256(token, role label | the nonces), and checks the
 * other's proof in constant time. The token itself never travels. The role label keeps one
 * side's proof from being replayed as the other's, and nonces fresh on both sides keep a proof
 * recorded on one connection from passing on another.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'crypto';
import { NONCE_BYTES } from './frames';

/** Who proves: the side that answers the connection (the clone) or the side that opens it. */
export type AuthRole = 'answering' | 'connecting';

/** A fresh random nonce. */
export function newNonce(): Uint8Array {
  return randomBytes(NONCE_BYTES);
}

/** The proof `role` gives of `token` on a connection with these nonces. */
export function authProof(token: Uint8Array, role: AuthRole, connectingNonce: Uint8Array, answeringNonce: Uint8Array): Uint8Array {
  return createHmac('sha256', token).update(`clonecloud link 1 ${role}\n`).update(connectingNonce).update(answeringNonce).digest();
}

/** True when `proof` is the one `role` holding `token` would give on this connection (compared in constant time). */
export function checkProof(token: Uint8Array, role: AuthRole, connectingNonce: Uint8Array, answeringNonce: Uint8Array, proof: Uint8Array): boolean {
  const want = authProof(token, role, connectingNonce, answeringNonce);
  return proof.length === want.length && timingSafeEqual(proof, want);
}
