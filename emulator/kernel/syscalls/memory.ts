/** Memory syscalls: brk, mmap2, munmap, mprotect, mremap, madvise. */
import { EACCES, EEXIST, EINVAL, ENODEV, ENOMEM, ErrnoError } from '../../abi/errno';
import { O_ACCMODE, O_WRONLY } from '../../abi/fcntl';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_PRIVATE, MAP_SHARED, MREMAP_FIXED, MREMAP_MAYMOVE } from '../../abi/mman';
import { PAGE_SIZE, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE, pageAlignUp, RegionKind } from '../../memory/address-space';
import { Task } from '../task';
import { partial, SUPPORTED, syscallTable } from '../syscall-table';

/** Find room for `length` bytes, preferring `hint` when it is free. */
function place(t: Task, hint: number, length: number): number {
  const { mmapBase, mmapTop } = t.group;
  if (hint && hint % PAGE_SIZE === 0 && hint + length <= mmapTop && isFree(t, hint, length)) return hint;
  const at = t.space.findFree(length, mmapBase, mmapTop);
  if (at < 0) throw new ErrnoError(ENOMEM);
  return at;
}

function isFree(t: Task, addr: number, length: number): boolean {
  return !t.space.regions().some((r) => r.start < addr + length && r.end > addr);
}

/**
 * True when mapping [start, start+size) with `prot` (replacing whatever is there, and after
 * releasing [released[0], released[0]+released[1])) keeps the guest's memory within the device's
 * RAM. A phone has no swap: beyond its RAM, brk, mmap, mremap and mprotect fail with ENOMEM.
 * The measure is AddressSpace.accountedBytes, which bounds what a checkpoint holds, so a run
 * kept within it can always be restored on the same device.
 */
function fitsRam(t: Task, start: number, size: number, prot: number, released?: [number, number]): boolean {
  const space = t.space;
  const added = prot === PROT_NONE ? 0 : size;
  let removed = space.accountedBytes(start, start + size);
  if (released) removed += space.accountedBytes(released[0], released[0] + released[1]);
  return added <= removed || space.accountedBytes() - removed + added <= t.profile.ramBytes;
}

/** brk: grow or shrink the heap; returns the new break, or the old one when it cannot move. */
function brk(t: Task, a: number[]): number {
  const want = a[0];
  const p = t.group;
  if (want < p.brkStart) return p.brk;
  const oldTop = pageAlignUp(p.brk);
  const newTop = pageAlignUp(want);
  if (newTop > oldTop) {
    if (newTop > p.mmapTop || !isFree(t, oldTop, newTop - oldTop)) return p.brk;
    if (!fitsRam(t, oldTop, newTop - oldTop, PROT_READ | PROT_WRITE)) return p.brk;
    t.space.map(oldTop, newTop - oldTop, PROT_READ | PROT_WRITE, 'heap', '[heap]');
  } else if (newTop < oldTop) {
    t.space.unmap(newTop, oldTop - newTop);
  }
  p.brk = want;
  return want;
}

/** mmap2: anonymous or private file-backed mappings; the offset is in 4096-byte units. */
function mmap2(t: Task, a: number[]): number {
  const [addr, length, prot, flags, fd, pgoff] = a;
  if (length === 0 || length > 0xfffff000) return -EINVAL;
  const type = flags & (MAP_SHARED | MAP_PRIVATE);
  if (type === 0 || type === (MAP_SHARED | MAP_PRIVATE)) return -EINVAL;
  const size = pageAlignUp(length);
  const anonymous = (flags & MAP_ANONYMOUS) !== 0;
  let source: { read(dst: Uint8Array, pos: number): number; path: string } | undefined;
  if (!anonymous) {
    const desc = t.fds.get(fd | 0);
    if (desc.file.kind !== 'file') return -ENODEV;
    if ((desc.flags & O_ACCMODE) === O_WRONLY) return -EACCES;
    // Shared writable file mappings would need write-back to the file; they are not modelled.
    if (type === MAP_SHARED && prot & PROT_WRITE) return -ENODEV;
    source = desc.file;
  }
  let at: number;
  if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
    if (addr % PAGE_SIZE !== 0) return -EINVAL;
    if (addr + size > 0x100000000) return -ENOMEM;
    if (flags & MAP_FIXED_NOREPLACE && !isFree(t, addr, size)) return -EEXIST;
    at = addr;
  } else {
    at = place(t, addr, size);
  }
  if (!fitsRam(t, at, size, prot)) return -ENOMEM;
  const kind: RegionKind = prot & PROT_EXEC ? 'text' : 'mmap';
  t.space.map(at, size, prot, kind, source ? source.path : type === MAP_SHARED ? SHARED_ANON : '[anon]');
  if (source) {
    const buf = new Uint8Array(size);
    const n = source.read(buf, pgoff * PAGE_SIZE);
    if (n > 0) t.space.poke(at, buf.subarray(0, n));
  }
  return at;
}

/** munmap: the range must be page-aligned; unmapped holes inside are fine. */
function munmap(t: Task, a: number[]): number {
  const [addr, length] = a;
  if (addr % PAGE_SIZE !== 0 || length === 0 || addr + length > 0x100000000) return -EINVAL;
  t.space.unmap(addr, length);
  return 0;
}

/** mprotect: every page in range must be mapped (else ENOMEM, as Linux). */
function mprotect(t: Task, a: number[]): number {
  const [addr, length, prot] = a;
  if (addr % PAGE_SIZE !== 0 || prot & ~7) return -EINVAL;
  if (length === 0) return 0;
  if (!t.space.isMapped(addr, pageAlignUp(length))) return -ENOMEM;
  if (!fitsRam(t, addr, pageAlignUp(length), prot)) return -ENOMEM;
  return t.space.protect(addr, length, prot) ? 0 : -ENOMEM;
}

/** mremap: shrink in place, grow in place when the following pages are free, or move. */
function mremap(t: Task, a: number[]): number {
  const [oldAddr, oldLen, newLen, flags, newAddrArg] = a;
  if (oldAddr % PAGE_SIZE !== 0 || newLen === 0) return -EINVAL;
  if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)) return -EINVAL;
  const oldSize = pageAlignUp(oldLen);
  const newSize = pageAlignUp(newLen);
  const region = t.space.regionAt(oldAddr);
  if (!region || !t.space.isMapped(oldAddr, oldSize)) return -ENOMEM;
  const moveTo = (dest: number): number => {
    if (!fitsRam(t, dest, newSize, region.prot, [oldAddr, oldSize])) return -ENOMEM;
    t.space.map(dest, newSize, region.prot, region.kind, region.name);
    copyPages(t, oldAddr, dest, Math.min(oldSize, newSize));
    t.space.unmap(oldAddr, oldSize);
    return dest;
  };
  if (flags & MREMAP_FIXED) {
    if (!(flags & MREMAP_MAYMOVE) || newAddrArg % PAGE_SIZE !== 0) return -EINVAL;
    return moveTo(newAddrArg);
  }
  if (newSize <= oldSize) {
    if (newSize < oldSize) t.space.unmap(oldAddr + newSize, oldSize - newSize);
    return oldAddr;
  }
  if (oldAddr + newSize <= t.group.mmapTop && isFree(t, oldAddr + oldSize, newSize - oldSize)) {
    if (!fitsRam(t, oldAddr + oldSize, newSize - oldSize, region.prot)) return -ENOMEM;
    t.space.map(oldAddr + oldSize, newSize - oldSize, region.prot, region.kind, region.name);
    return oldAddr;
  }
  if (!(flags & MREMAP_MAYMOVE)) return -ENOMEM;
  return moveTo(place(t, 0, newSize));
}

/** Copy page contents between mappings, carrying only pages that can hold data. */
function copyPages(t: Task, from: number, to: number, size: number): void {
  const { space } = t;
  for (let off = 0; off < size; off += PAGE_SIZE) {
    if (!space.touched.has((from + off) / PAGE_SIZE)) continue;
    space.bytes.copyWithin(to + off, from + off, from + off + PAGE_SIZE);
    space.markWritten(to + off, PAGE_SIZE);
  }
}

/** madvise: advice is accepted and ignored, except that the range must be aligned. */
function madvise(_t: Task, a: number[]): number {
  return a[0] % PAGE_SIZE === 0 ? 0 : -EINVAL;
}

/** The region name of MAP_SHARED anonymous memory (fork refuses to copy it: see process-table.ts). */
export const SHARED_ANON = '[anon:shared]';

/** The memory syscalls. */
export const memorySyscalls = syscallTable(
  { brk, mmap2, munmap, mprotect, mremap, madvise },
  {
    brk: SUPPORTED,
    mmap2: partial('shared writable file mappings are ENODEV; file mappings are private copies'),
    munmap: SUPPORTED,
    mprotect: SUPPORTED,
    mremap: SUPPORTED,
    madvise: partial('advice is accepted and ignored'),
  },
);
