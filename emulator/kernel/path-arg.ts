/** Reading path arguments from guest memory with Linux's limits (getname()). */
import { EFAULT, ENAMETOOLONG, ErrnoError } from '../abi/errno';
import { PAGE_SIZE, PROT_READ } from '../memory/address-space';
import type { Task } from './task';

/** PATH_MAX counts the terminating NUL: a path of 4,096 or more bytes before it is too long. */
export const PATH_MAX = 4096;

/**
 * The NUL-terminated path at `addr`: EFAULT when unmapped memory comes before the NUL,
 * ENAMETOOLONG when no NUL comes within PATH_MAX bytes (not EFAULT, as a plain bounded read gives).
 */
export function readPath(t: Task, addr: number): string {
  const { space } = t;
  for (let i = 0; i < PATH_MAX;) {
    // Check mapping once per page, then scan that page's bytes.
    const at = addr + i;
    if (!space.isMapped(at, 1, PROT_READ)) throw new ErrnoError(EFAULT);
    const end = Math.min(addr + PATH_MAX, (Math.floor(at / PAGE_SIZE) + 1) * PAGE_SIZE);
    const nul = space.bytes.subarray(at, end).indexOf(0);
    if (nul >= 0) return space.readCString(addr, i + nul + 1);
    i = end - addr;
  }
  throw new ErrnoError(ENAMETOOLONG);
}
