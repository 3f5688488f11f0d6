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

/** UTF-8 length, because the limits apply to the bytes the guest passed. */
export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Split a guest path, rejecting empty and over-long paths as the kernel does. */
export function splitPath(path: string): SplitPath {
  if (path.length === 0) throw new ErrnoError(ENOENT, 'empty path');
  if (byteLength(path) >= PATH_MAX) throw new ErrnoError(ENAMETOOLONG, 'path too long');
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
  if (name.length > NAME_MAX / 4 && byteLength(name) > NAME_MAX) {
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
