/**
 * Attribute changes on the merged view: chmod, chown and utimens, with the rules Linux applies to
 * an unprivileged caller. A changed image node is copied up first, so the host folder never changes.
 */
import { EACCES, EPERM, ErrnoError } from '../abi/errno';
import { MemMeta } from './mem-layer';
import { Timespec } from './node';
import { MNode, Overlay } from './overlay';
import { Credentials, permits, W_OK } from './perm';

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_IXGRP = 0o010;
/** "Leave this id alone" in chown. */
export const KEEP_ID = 0xffffffff;

/** A new time for utimens: a value, the current time, or no change. */
export type TimeChange = Timespec | 'now' | 'omit';

/** Applies attribute changes for one guest identity. */
export class Attributes {
  /** Changes go to `ov`'s writable layer; `now` stamps ctime and 'now' times. */
  constructor(
    private readonly ov: Overlay,
    private readonly cred: Credentials,
    private readonly now: () => Timespec,
  ) {}

  /** chmod(2): only the owner may; a caller outside the file's group cannot set S_ISGID. */
  chmod(n: MNode, mode: number): void {
    const p = this.ov.perms(n);
    if (!this.privileged && this.cred.uid !== p.uid) throw new ErrnoError(EPERM);
    let perm = mode & 0o7777;
    if (!this.privileged && this.cred.gid !== p.gid) perm &= ~S_ISGID;
    const meta = this.writable(n);
    meta.perm = perm;
    meta.ctime = this.now();
  }

  /**
   * chown(2): an unprivileged owner may only "change" the owner to itself and the group to its own
   * group; anything else is EPERM. A real change of a non-directory drops set-user-ID (and
   * set-group-ID when group execute is set), as Linux does.
   */
  chown(n: MNode, uid: number, gid: number): void {
    const p = this.ov.perms(n);
    const setUid = uid !== KEEP_ID;
    const setGid = gid !== KEEP_ID;
    if (!this.privileged) {
      const owner = this.cred.uid === p.uid;
      if (setUid && (!owner || uid !== p.uid)) throw new ErrnoError(EPERM);
      if (setGid && (!owner || (gid !== p.gid && gid !== this.cred.gid))) throw new ErrnoError(EPERM);
    }
    if (this.ov.sealed(n) && !setUid && !setGid) return;
    const meta = this.writable(n);
    if (setUid) meta.uid = uid;
    if (setGid) meta.gid = gid;
    if ((setUid || setGid) && this.ov.kind(n) !== 'dir') {
      meta.perm &= ~S_ISUID;
      if (meta.perm & S_IXGRP) meta.perm &= ~S_ISGID;
    }
    meta.ctime = this.now();
  }

  /**
   * utimensat(2): setting both times to now needs ownership or write permission (EACCES);
   * setting any explicit time needs ownership (EPERM). ctime always becomes now.
   */
  utimens(n: MNode, atime: TimeChange, mtime: TimeChange): void {
    const p = this.ov.perms(n);
    if (!this.privileged && this.cred.uid !== p.uid) {
      const explicit = (t: TimeChange) => t !== 'now' && t !== 'omit';
      if (explicit(atime) || explicit(mtime)) throw new ErrnoError(EPERM);
      if (this.ov.sealed(n) || !permits(p, W_OK, this.cred)) throw new ErrnoError(EACCES);
    }
    const meta = this.writable(n);
    const now = this.now();
    const pick = (t: TimeChange, old: Timespec) => (t === 'now' ? { ...now } : t === 'omit' ? old : { ...t });
    meta.atime = pick(atime, meta.atime);
    meta.mtime = pick(mtime, meta.mtime);
    meta.ctime = now;
  }

  private get privileged(): boolean {
    return this.cred.uid === 0;
  }

  /** The metadata to change: the node's writable part, made by copy-up when it has none yet. */
  private writable(n: MNode): MemMeta {
    if (n.upper) return n.upper.meta;
    if (this.ov.sealed(n)) throw new ErrnoError(EPERM);
    return this.ov.kind(n) === 'dir' ? this.ov.upperDir(n).meta : this.ov.copyUp(n).meta;
  }
}
