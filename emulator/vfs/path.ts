/** Guest path text helpers: splitting, joining and the Linux length limits. */
import { ENAMETOOLONG, ENOENT, ErrnoError } from '../abi/errno';

/** PATH_MAX includes the terminating NUL, so the longest usable path is one byte shorter. */
export const PATH_MAX = 4096;
export const NAME_MAX = 255;

/** A path split into components, remembering whether it was absolute or ended in '/'. */
export interface SplitPath {
  absolute: boolean;
  components: string[];
  trailingSlash: boolean;
}

/*
 * Linux names are bytes, not text. Guest names and paths are kept as byte strings: one JS char
 * per byte (Node's 'latin1' encoding), so any byte sequence round-trips, two different byte
 * names never compare equal, and a string's length is its length in bytes.
 */

/** A guest name or path as bytes (to write into guest memory, or to hand to the host). */
export function nameBytes(name: string): Buffer {
  return Buffer.from(name, 'latin1');
}

/** Bytes (from guest memory or the host) as a guest byte string. */
export function bytesName(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Text from the host side (a manifest, the command line) as the guest byte string of its UTF-8. */
export function textName(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** A guest byte string for people: its bytes read as UTF-8 (invalid bytes shown as U+FFFD). */
export function displayName(name: string): string {
  return nameBytes(name).toString('utf8');
}

/** Split a guest path, rejecting empty and over-long paths as the kernel does. */
export function splitPath(path: string): SplitPath {
  if (path.length === 0) throw new ErrnoError(ENOENT, 'empty path');
  if (path.length >= PATH_MAX) throw new ErrnoError(ENAMETOOLONG, 'path too long');
  const components = path.split('/').filter((c) => c.length > 0);
  for (const c of components) checkName(c);
  return {
    absolute: path.startsWith('/'),
    components,
    trailingSlash: path.endsWith('/') && components.length > 0,
  };
}

/** Reject a single component longer than NAME_MAX bytes. */
export function checkName(name: string): void {
  if (name.length > NAME_MAX) {
    throw new ErrnoError(ENAMETOOLONG, 'file name too long');
  }
}

/** Append one component to a canonical absolute path. */
export function joinChild(dir: string, name: string): string {
  return dir === '/' ? '/' + name : dir + '/' + name;
}

/** Canonical absolute path of a list of components. */
export function joinComponents(components: readonly string[]): string {
  return '/' + components.join('/');
}

/** Components of a canonical absolute path ('/' has none). */
export function componentsOf(canonical: string): string[] {
  return canonical.split('/').filter((c) => c.length > 0);
}

/** True when `inner` is `outer` or lies below it; both canonical. */
export function isWithin(inner: string, outer: string): boolean {
  return outer === '/' || inner === outer || inner.startsWith(outer + '/');
}
