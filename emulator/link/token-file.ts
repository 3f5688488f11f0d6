/**
 * The shared token of a phone and its clone, kept in a file only its owner can read. The token
 * never travels (link/auth.ts); a file others can read would give it away, so it is refused.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import { CloneCloudError } from '../errors';

/** The fewest bytes a token may have. */
export const MIN_TOKEN_BYTES = 16;

/** A token file that is missing, empty, too short or readable by others. */
export class TokenFileError extends CloneCloudError {}

/** The token in `file`: its bytes without a trailing newline. */
export function readTokenFile(file: string): Buffer {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TokenFileError(`token file ${file} does not exist: copy the clone's token file here (clone serve creates one)`);
    throw new TokenFileError(`cannot read token file ${file}: ${(e as Error).message}`);
  }
  if (!st.isFile()) throw new TokenFileError(`token file ${file} is not a regular file`);
  if (st.mode & 0o077) throw new TokenFileError(`token file ${file} is readable by group or others: chmod 600 ${file}`);
  const text = fs.readFileSync(file);
  let end = text.length;
  if (end && text[end - 1] === 0x0a) end--;
  if (end && text[end - 1] === 0x0d) end--;
  const token = text.subarray(0, end);
  if (token.length === 0) throw new TokenFileError(`token file ${file} is empty: put a secret of at least ${MIN_TOKEN_BYTES} bytes in it`);
  if (token.length < MIN_TOKEN_BYTES) throw new TokenFileError(`token in ${file} has ${token.length} bytes; use at least ${MIN_TOKEN_BYTES}`);
  return token;
}

/** Create `file` with a fresh random token (32 bytes as hex, mode 0600) unless it exists; true when created. */
export function createTokenFileIfMissing(file: string): boolean {
  try {
    fs.writeFileSync(file, randomBytes(32).toString('hex') + '\n', { flag: 'wx', mode: 0o600 });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new TokenFileError(`cannot create token file ${file}: ${(e as Error).message}`);
  }
}
