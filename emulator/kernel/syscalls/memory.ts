/**
 * Memory syscalls: brk, mmap2, munmap, mprotect, mremap, madvise, msync.
 *
 * File-backed mappings. A private mapping gets a copy of the file's bytes when it is mapped (and
 * again where madvise(MADV_DONTNEED) drops the guest's changes, or mremap grows it); later writes
 * to the file are not seen through it (POSIX leaves that unspecified; Linux shows them in pages
 * the guest has not written). A shared mapping puts the file's shared pages of the process (one
 * host memory file per guest file, see AddressSpace) at the mapped address, so all shared
 * mappings of a file in the process see each other's stores at once. The VFS file is kept
 * coherent with them at syscall boundaries: while the process has shared file mappings, every
 * syscall first writes the bytes the guest changed back to the files (compared page by page with
 * the file, within its size) and afterwards loads the files' bytes into the mappings, so read(2)
 * sees stores through a mapping and a mapping sees write(2), pwrite(2) and ftruncate(2) at once
 * (see syncSharedFiles; the cost is one pass over the shared mappings per syscall, and nothing
 * for processes without them). fork refuses (ENOMEM) a process with shared mappings, file-backed
 * or anonymous, because separate guest memories cannot share pages. Pages of a mapping wholly
 * beyond the end of its file read as zeros instead of raising SIGBUS.
 */
import { EACCES, EEXIST, EINVAL, ENODEV, ENOMEM, ErrnoError } from '../../abi/errno';
import { O_ACCMODE, O_RDWR, O_WRONLY } from '../../abi/fcntl';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_PRIVATE, MAP_SHARED, MREMAP_FIXED, MREMAP_MAYMOVE } from '../../abi/mman';
import {
  ANON_NAME,
  AddressSpace,
  FileBacking,
  PAGE_SIZE,
  PROT_EXEC,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
  pageAlignUp,
  Region,
  RegionKind,
  SHARED_ANON_NAME,
} from '../../memory/address-space';
import { Task } from '../task';
import { partial, SUPPORTED, syscallTable } from '../syscall-table';

/** Find room for `length` bytes, preferring `hint` when it is free. */
function place(t: Task, hint: number, length: number): number {
  const { mmapBase, mmapTop } = t.group;
  if (hint && hint % PAGE_SIZE === 0 && hint + length <= mmapTop && t.space.isFree(hint, length)) return hint;
  const at = t.space.findFree(length, mmapBase, mmapTop);
  if (at < 0) throw new ErrnoError(ENOMEM);
  return at;
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
    if (newTop > p.mmapTop || !t.space.isFree(oldTop, newTop - oldTop)) return p.brk;
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
  let backing: FileBacking | undefined;
  let path = '';
  if (!anonymous) {
    const desc = t.fds.get(fd | 0);
    if (desc.file.kind !== 'file') return -ENODEV;
    const access = desc.flags & O_ACCMODE;
    if (access === O_WRONLY) return -EACCES;
    const writable = access === O_RDWR;
    if (type === MAP_SHARED && prot & PROT_WRITE && !writable) return -EACCES;
    const st = desc.file.stat();
    path = desc.file.path;
    backing = { file: desc.file, key: `${st.dev}:${st.ino}`, offset: pgoff * PAGE_SIZE, shared: type === MAP_SHARED, writable, path };
  }
  let at: number;
  if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
    if (addr % PAGE_SIZE !== 0) return -EINVAL;
    if (addr + size > 0x100000000) return -ENOMEM;
    if (flags & MAP_FIXED_NOREPLACE && !t.space.isFree(addr, size)) return -EEXIST;
    at = addr;
  } else {
    at = place(t, addr, size);
  }
  if (!fitsRam(t, at, size, prot)) return -ENOMEM;
  const kind: RegionKind = prot & PROT_EXEC ? 'text' : 'mmap';
  t.space.map(at, size, prot, kind, backing ? path : type === MAP_SHARED ? SHARED_ANON_NAME : ANON_NAME, backing);
  if (backing) loadFile(t.space, at, size, backing);
  return at;
}

/** Fill [at, at+size) of a fresh file mapping from its file (shared ones from the file's current bytes). */
function loadFile(space: AddressSpace, at: number, size: number, backing: FileBacking): void {
  if (backing.shared) {
    space.refreshShared();
    return;
  }
  const buf = new Uint8Array(size);
  const n = backing.file.read(buf, backing.offset);
  if (n > 0) space.poke(at, buf.subarray(0, n));
}

/** The backing of region `r` from address `at` on. */
function backingAt(r: Region, at: number): FileBacking | undefined {
  return r.backing && { ...r.backing, offset: r.backing.offset + (at - r.start) };
}

/** The regions overlapping [start, end). */
function overlapping(space: AddressSpace, start: number, end: number): Region[] {
  return space.regions().filter((r) => r.start < end && r.end > start);
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
  // A shared mapping of a file opened read-only can never be written (Linux: no VM_MAYWRITE).
  if (prot & PROT_WRITE && overlapping(t.space, addr, addr + pageAlignUp(length)).some((r) => r.backing?.shared && !r.backing.writable)) return -EACCES;
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
  const backing = backingAt(region, oldAddr);
  const moveTo = (dest: number): number => {
    if (!fitsRam(t, dest, newSize, region.prot, [oldAddr, oldSize])) return -ENOMEM;
    // Shared file pages are written back first: the new place maps them from the file's pages.
    if (backing?.shared) t.space.writeBackShared(oldAddr, oldAddr + oldSize);
    t.space.map(dest, newSize, region.prot, region.kind, region.name, backing);
    if (backing?.shared) {
      t.space.refreshShared();
    } else {
      copyPages(t, oldAddr, dest, Math.min(oldSize, newSize));
      if (backing && newSize > oldSize) loadFile(t.space, dest + oldSize, newSize - oldSize, { ...backing, offset: backing.offset + oldSize });
    }
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
  if (oldAddr + newSize <= t.group.mmapTop && t.space.isFree(oldAddr + oldSize, newSize - oldSize)) {
    if (!fitsRam(t, oldAddr + oldSize, newSize - oldSize, region.prot)) return -ENOMEM;
    const grown = backing && { ...backing, offset: backing.offset + oldSize };
    t.space.map(oldAddr + oldSize, newSize - oldSize, region.prot, region.kind, region.name, grown);
    if (grown) loadFile(t.space, oldAddr + oldSize, newSize - oldSize, grown);
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

/** madvise advice values (Linux's uapi asm-generic/mman-common.h). */
const MADV_DONTNEED = 4;
const MADV_FREE = 8;
const MADV_REMOVE = 9;
/** Advice Linux accepts: NORMAL..DONTNEED, FREE..DOFORK, MERGEABLE..POPULATE_WRITE. */
const KNOWN_ADVICE = new Set([0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]);

/**
 * madvise: MADV_DONTNEED drops the guest's changes as Linux does (private anonymous memory reads
 * back zeros, a private file mapping its file's bytes, a shared mapping keeps its content);
 * MADV_FREE keeps the content (Linux may free it lazily or not at all); other advice only
 * informs. Unknown advice or an unaligned start is EINVAL; holes in the range are ENOMEM after
 * the mapped parts took the advice.
 */
function madvise(t: Task, a: number[]): number {
  const [addr, length, advice] = a;
  if (!KNOWN_ADVICE.has(advice) || addr % PAGE_SIZE !== 0) return -EINVAL;
  const end = addr + pageAlignUp(length);
  if (end > 0x100000000) return -EINVAL;
  if (end === addr) return 0;
  const regions = overlapping(t.space, addr, end);
  for (const r of regions) {
    const s = Math.max(r.start, addr);
    const e = Math.min(r.end, end);
    // FREE is for private anonymous memory only; REMOVE (punching the file) is for shared mappings.
    if (advice === MADV_FREE && r.backing) return -EINVAL;
    if (advice === MADV_REMOVE && !r.backing?.shared) return -EINVAL;
    if (advice === MADV_DONTNEED && !r.backing?.shared) dropPages(t.space, s, e, r);
  }
  return t.space.isMapped(addr, end - addr) ? 0 : -ENOMEM;
}

/** MADV_DONTNEED on a private range: zero it, then reload a file mapping's bytes. */
function dropPages(space: AddressSpace, start: number, end: number, r: Region): void {
  for (let addr = start; addr < end; addr += PAGE_SIZE) {
    const page = addr / PAGE_SIZE;
    if (!space.touched.has(page)) continue;
    space.bytes.fill(0, addr, addr + PAGE_SIZE);
    space.markWritten(addr, PAGE_SIZE);
  }
  const backing = backingAt(r, start);
  if (backing) loadFile(space, start, end - start, backing);
}

/** msync flags. */
const MS_ASYNC = 1;
const MS_INVALIDATE = 2;
const MS_SYNC = 4;

/**
 * msync: write the range's shared file pages back. The syscall boundary already wrote every
 * change back (see syncSharedFiles), so this checks the arguments as Linux does and reports holes.
 */
function msync(t: Task, a: number[]): number {
  const [addr, length, flags] = a;
  if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC) || addr % PAGE_SIZE !== 0) return -EINVAL;
  if (flags & MS_ASYNC && flags & MS_SYNC) return -EINVAL;
  const end = addr + pageAlignUp(length);
  if (end > 0x100000000) return -ENOMEM;
  if (end === addr) return 0;
  t.space.writeBackShared(addr, end);
  return t.space.isMapped(addr, end - addr) ? 0 : -ENOMEM;
}

/**
 * mincore: one byte per page of [addr, addr+length), bit 0 set when the page is resident. A page
 * is resident once it holds data (written, or filled from a file); untouched anonymous memory is
 * not, as under Linux, where it has no page frame yet.
 */
function mincore(t: Task, a: number[]): number {
  const [addr, length, vec] = a;
  if (addr % PAGE_SIZE !== 0) return -EINVAL;
  const size = pageAlignUp(length);
  if (addr + size > 0x100000000) return -ENOMEM;
  if (!t.space.isMapped(addr, size)) return -ENOMEM;
  const out = new Uint8Array(size / PAGE_SIZE);
  for (let i = 0; i < out.length; i++) out[i] = t.space.touched.has(addr / PAGE_SIZE + i) ? 1 : 0;
  t.space.write(vec, out);
  return 0;
}

/**
 * Keep files and shared file mappings coherent around syscall `run` of a process (see the top of
 * this file): write the guest's changes back before it, load the files' bytes after it.
 */
export function syncSharedFiles<T>(space: AddressSpace, run: () => T): T {
  if (!space.hasSharedFiles) return run();
  space.writeBackShared();
  try {
    return run();
  } finally {
    if (space.alive && space.hasSharedFiles) space.refreshShared();
  }
}

/** True for a region fork cannot give a child (shared memory: see process-table.ts). */
export function isSharedMapping(r: Region): boolean {
  return r.name === SHARED_ANON_NAME || r.backing?.shared === true;
}

/** The memory syscalls. */
export const memorySyscalls = syscallTable(
  { brk, mmap2, munmap, mprotect, mremap, madvise, msync, mincore },
  {
    brk: SUPPORTED,
    mmap2: partial(
      'private file mappings copy the file when mapped; shared file mappings are coherent with the file at syscall boundaries; pages beyond the end of the file read as zeros (no SIGBUS); fork of a process with shared mappings is ENOMEM',
    ),
    munmap: SUPPORTED,
    mprotect: SUPPORTED,
    mremap: SUPPORTED,
    mincore: SUPPORTED,
    madvise: partial('MADV_DONTNEED drops changes as Linux does; other advice is accepted and only informs'),
    msync: partial('changes reach the file at every syscall already; msync checks its arguments and the range'),
  },
);
