/** Guest path resolution over the merged view: ".", "..", symlinks (resolved in guest space) and errnos. */
import { EACCES, ELOOP, ENOENT, ENOTDIR, ErrnoError } from '../abi/errno';
import { MNode, Overlay } from './overlay';
import { componentsOf, splitPath } from './path';
import { Credentials, permits, X_OK } from './perm';

/** Linux's MAXSYMLINKS: symlinks followed in one resolution before ELOOP. */
export const MAX_SYMLINK_HOPS = 40;

/** How the path ended, which decides the errno of operations on "/", "." and "..". */
export type LastKind = 'norm' | 'dot' | 'dotdot' | 'root';

/** Result of resolving a path. */
export interface Resolved {
  /** The node, or undefined when only the last component is missing. */
  node?: MNode;
  /** Directory that holds (or would hold) the last component. */
  parent: MNode;
  /** Last component name ("" for "/"). */
  name: string;
  lastKind: LastKind;
  trailingSlash: boolean;
}

/**
 * Resolve `path` relative to the canonical directory `cwd`. Symlinks are followed everywhere but
 * in the last component unless `followLast`; a trailing slash always follows and demands a
 * directory. Missing intermediate components raise ENOENT, files used as directories ENOTDIR.
 */
export function walk(ov: Overlay, path: string, cwd: string, followLast: boolean, cred: Credentials): Resolved {
  const sp = splitPath(path);
  const root = ov.root();
  let stack: MNode[] = [root];
  // cwd is canonical and not subject to the length limits, so it is prepended after splitting.
  const todo = [...(sp.absolute ? [] : componentsOf(cwd)), ...sp.components].reverse();
  let hops = 0;
  let lastKind: LastKind = 'root';
  let lastName = '';
  while (todo.length > 0) {
    const name = todo.pop()!;
    const cur = stack[stack.length - 1];
    if (ov.kind(cur) !== 'dir') throw new ErrnoError(ENOTDIR);
    if (cred.uid !== 0 && !permits(ov.perms(cur), X_OK, cred)) throw new ErrnoError(EACCES);
    const isLast = todo.length === 0;
    if (name === '.' || name === '..') {
      if (name === '..' && stack.length > 1) stack.pop();
      if (isLast) lastKind = name === '.' ? 'dot' : 'dotdot';
      continue;
    }
    const child = ov.child(cur, name);
    if (!child) {
      if (!isLast) throw new ErrnoError(ENOENT);
      return { parent: cur, name, lastKind: 'norm', trailingSlash: sp.trailingSlash };
    }
    if (ov.kind(child) === 'symlink' && (!isLast || followLast || sp.trailingSlash)) {
      if (++hops > MAX_SYMLINK_HOPS) throw new ErrnoError(ELOOP);
      const target = ov.readlink(child);
      if (target === '') throw new ErrnoError(ENOENT);
      const ts = splitPath(target);
      if (ts.absolute) stack = [root];
      for (let i = ts.components.length - 1; i >= 0; i--) todo.push(ts.components[i]);
      // A target of "/" or "dir/.." leaves nothing to push; the directory reached is the result.
      if (isLast && ts.components.length === 0) lastKind = 'root';
      continue;
    }
    stack.push(child);
    if (isLast) {
      lastKind = 'norm';
      lastName = name;
    }
  }
  const node = stack[stack.length - 1];
  if (sp.trailingSlash && ov.kind(node) !== 'dir') throw new ErrnoError(ENOTDIR);
  return { node, parent: stack.length > 1 ? stack[stack.length - 2] : root, name: lastName, lastKind, trailingSlash: sp.trailingSlash };
}
