/** Unix permission checks against the guest's credentials. */
import { S_IFDIR, S_IFMT } from '../abi/fcntl';
import type { Stat } from './node';

/** access(2) mode bits. */
export const F_OK = 0;
export const X_OK = 1;
export const W_OK = 2;
export const R_OK = 4;

/** The identity the guest runs as. */
export interface Credentials {
  uid: number;
  gid: number;
}

/** The attributes a permission check needs. */
export type Perms = Pick<Stat, 'mode' | 'uid' | 'gid'>;

/** Whether `cred` may access a node for `want` (a mask of R_OK, W_OK, X_OK). */
export function permits(st: Perms, want: number, cred: Credentials): boolean {
  if (cred.uid === 0) {
    // Root passes every check except execute, which still needs some execute bit on non-directories.
    if ((want & X_OK) === 0) return true;
    return (st.mode & S_IFMT) === S_IFDIR || (st.mode & 0o111) !== 0;
  }
  const bits = cred.uid === st.uid ? st.mode >> 6 : cred.gid === st.gid ? st.mode >> 3 : st.mode;
  return (bits & want & 7) === (want & 7);
}
