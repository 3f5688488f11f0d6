/**
 * The guest's 32-bit address space. One 4 GiB reservation of host address space backs it
 * (guest-memory.ts), guest address == buffer offset, so the kernel layer and the checkpoint engine
 * read guest memory with no copy and no translation. The host commits only pages that are touched;
 * a fork shares unchanged pages with its parent, and release() gives the memory back. Which pages exist, and with what
 * permissions, is a per-page byte array that the native TLB-fill callback consults; the region list
 * is the same information grouped for people and for checkpoints.
 */
import { CloneCloudError } from '../errors';
import { Persist } from '../persist';
import { PageBitmap } from './page-bitmap';
import { GuestMemory, GuestMemoryReleasedError } from './guest-memory';
import { hostFiles } from './native-memory';
export { GuestMemoryReleasedError };

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
export const ADDRESS_SPACE_SIZE = 2 ** 32;
export const PAGE_COUNT = ADDRESS_SPACE_SIZE / PAGE_SIZE;

/** Linux PROT_* values (abi/mman.ts); Unicorn's UC_PROT_* use the same bits. */
import { PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE } from '../abi/mman';
export { PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE };
/** Set in the per-page permission byte of every mapped page (so PROT_NONE pages are still mapped). */
export const PAGE_MAPPED = 8;
/** The region names mmap gives anonymous memory, private and shared (fork refuses to copy shared memory). */
export const ANON_NAME = '[anon]';
export const SHARED_ANON_NAME = '[anon:shared]';

/** What a region holds; used to group checkpoint diffs and to describe faults. */
export type RegionKind = 'text' | 'data' | 'heap' | 'mmap' | 'stack' | 'vectors';

/** The file behind a file-backed mapping, as the memory layer uses it (an open file of the VFS). */
export interface MappedFile {
  read(dst: Uint8Array, position: number): number;
  write(src: Uint8Array, position: number): number;
  size(): number;
  /** The file's size and change times (checkpoints re-read a mapped file only when they moved). */
  stat?(): { size: number; mtime: FileTime; ctime: FileTime };
}

/** A file time as stat gives it. */
export interface FileTime {
  sec: number;
  nsec: number;
}

/** What a file-backed region maps: which file, from where, and how. */
export interface FileBacking {
  readonly file: MappedFile;
  /** Identity of the file (device and inode): mappings of one file through any descriptor share it. */
  readonly key: string;
  /** File offset of the region's first byte. */
  readonly offset: number;
  /** MAP_SHARED: writes reach the file, and every shared mapping of the file sees the same bytes. */
  readonly shared: boolean;
  /** The file was opened for writing, so a shared mapping may be (made) writable and written back. */
  readonly writable: boolean;
  /** Guest path the file was opened by; without one a checkpoint keeps the region as plain memory. */
  readonly path?: string;
}

/**
 * The file behind a private file mapping as a checkpoint records it (since snapshot 2.4), so that
 * a restore maps the file again instead of storing the pages the guest did not change. save()
 * fills the path, offset and handle; capture adds the identity and the pages it refers to.
 */
export interface RegionFile {
  /** Guest path of the file, as the VFS resolves it. */
  path: string;
  /** File offset of the region's first byte. */
  offset: number;
  /** Regions with the same handle were mapped through one open file (they may merge again). */
  handle: number;
  /** The file's size when captured. */
  size?: number;
  /** Hash (32 hex digits) of the file bytes the region maps, when captured. */
  hash?: string;
  /** Pages whose content is the file's and is therefore not stored: [first page, count] runs. */
  pages?: [number, number][];
  /** Base64 of those pages' content hashes, 16 bytes a page in page order (memory digests need them). */
  hashes?: string;
}

/**
 * A contiguous run of pages with one permission and one purpose. As the address-space map of a
 * snapshot it is part of the snapshot format: changing it needs a bump of the snapshot version
 * (machine/state-version.ts). `backing` is live state only: save() records a private mapping's
 * file as `file` instead.
 */
export interface Region {
  start: number;
  end: number;
  prot: number;
  kind: RegionKind;
  name: string;
  backing?: FileBacking;
  /** A private file mapping's file, in a saved map only. */
  file?: RegionFile;
}

/** The part [start, end) of region `r`, its file offset moved along. */
function slice(r: Region, start: number, end: number): Region {
  const part: Region = { ...r, start, end };
  if (r.backing && start !== r.start) part.backing = { ...r.backing, offset: r.backing.offset + (start - r.start) };
  return part;
}

/** True when `b` carries on where `a` ends as one mapping (same file, following offsets, or neither). */
function continues(a: Region, b: Region): boolean {
  const x = a.backing;
  const y = b.backing;
  if (!x || !y) return !x && !y;
  return x.file === y.file && x.shared === y.shared && x.writable === y.writable && x.offset + (a.end - a.start) === y.offset;
}

/** An in-memory host file holding one guest file's shared pages at the file's own offsets. */
interface SharedPages {
  fd: number;
  size: number;
}

/** A kernel-side access to guest memory hit an unmapped or protected page (becomes EFAULT). */
export class GuestMemoryError extends CloneCloudError {
  constructor(
    readonly address: number,
    readonly access: 'read' | 'write',
  ) {
    super(`bad guest ${access} at 0x${(address >>> 0).toString(16)}`);
  }
}

/**
 * A checkpoint was asked of a space with a writable shared file mapping. Checkpoints record the
 * file behind private mappings only: a restored copy would hold the bytes but no longer reach the file.
 */
export class SharedFileCheckpointError extends CloneCloudError {
  constructor(r: Region) {
    super(
      `cannot checkpoint a process with a writable shared mapping of ${r.name} at 0x${r.start.toString(16)}: checkpoints do not record shared file mappings; checkpoint before the program maps the file MAP_SHARED, or after it unmaps it`,
    );
  }
}

/** Round `n` up to a page multiple. */
export function pageAlignUp(n: number): number {
  return Math.ceil(n / PAGE_SIZE) * PAGE_SIZE;
}

/** Round `n` down to a page multiple. */
export function pageAlignDown(n: number): number {
  return Math.floor(n / PAGE_SIZE) * PAGE_SIZE;
}

/** Called after permissions or mappings change, so cached translations can be dropped. */
export type MappingListener = (start: number, end: number, codeChanged: boolean) => void;

/** The guest address space: memory, page permissions, dirty and touched bitmaps, regions. */
export class AddressSpace implements Persist<Region[]> {
  /** One byte per page: PROT_* bits | PAGE_MAPPED. Read by the native TLB-fill callback. */
  readonly perms: Uint8Array;
  /** Pages written since the last reset (by the guest or by the kernel layer). */
  readonly dirty: PageBitmap;
  /** Pages written since they were mapped: the only pages that can hold non-zero bytes. */
  readonly touched: PageBitmap;
  /** Told of every write the kernel layer makes (differential testing follows them). */
  kernelWriteListener: ((addr: number, length: number) => void) | undefined;
  private regionList: Region[] = [];
  /** Per file key: the host memory file behind its shared mappings. */
  private sharedFiles = new Map<string, SharedPages>();
  private listeners: MappingListener[] = [];
  private memory: GuestMemory;
  private byteView: Uint8Array;
  private dv: DataView;

  /** An empty space over fresh memory (or, for a fork, over `memory`). */
  constructor(memory?: GuestMemory) {
    this.memory = memory ?? GuestMemory.reserve(ADDRESS_SPACE_SIZE);
    this.byteView = new Uint8Array(this.memory.buffer);
    this.dv = new DataView(this.memory.buffer);
    this.perms = new Uint8Array(new SharedArrayBuffer(PAGE_COUNT));
    this.dirty = new PageBitmap(PAGE_COUNT);
    this.touched = new PageBitmap(PAGE_COUNT);
    unreleased.register(this, this.memory, this);
  }

  /** The guest's memory, guest address == offset; throws once the space is released. */
  get buffer(): ArrayBuffer {
    return this.memory.buffer;
  }

  /** The guest's memory as bytes (no copy); throws once the space is released. */
  get bytes(): Uint8Array {
    this.assertLive();
    return this.byteView;
  }

  /** False once release() gave the memory back. */
  get alive(): boolean {
    return this.memory.alive;
  }

  /**
   * A copy of this space for a forked process, as fork(2) gives the child: the same regions,
   * permissions, touched pages and contents, unchanged pages shared with this space until either
   * writes them. Every touched page counts as dirty in the child (it is new to checkpoints).
   */
  fork(): AddressSpace {
    this.assertLive();
    const { child: memory, remapped } = this.memory.fork(this.touched);
    const child = new AddressSpace(memory);
    // Only the mapped ranges: copying whole tables would commit host memory for every fork.
    for (const r of this.regionList) {
      const first = r.start / PAGE_SIZE;
      const last = r.end / PAGE_SIZE;
      child.perms.set(this.perms.subarray(first, last), first);
      const words = this.touched.words.subarray(first >>> 5, Math.ceil(last / 32));
      child.touched.words.set(words, first >>> 5);
      child.dirty.words.set(words, first >>> 5);
    }
    // Private file mappings keep their file (madvise and mremap read it again); fork refuses shared ones.
    child.regionList = this.regionList.map((r) => ({ ...r }));
    // This space now reads its pages through an image at the same addresses: same bytes, but
    // engines drop their cached translations of the old mapping.
    if (remapped) this.notify(0, ADDRESS_SPACE_SIZE, false);
    return child;
  }

  /**
   * Give the memory back to the host (a reaped process); the reservation is reused by a later
   * space. Any later access through this space throws GuestMemoryReleasedError. Engines over it
   * must be closed first.
   */
  release(): void {
    unreleased.unregister(this);
    if (this.memory.alive) this.writeBackShared();
    this.memory.release();
    for (const pages of this.sharedFiles.values()) hostFiles().close(pages.fd);
    this.sharedFiles.clear();
    this.byteView = new Uint8Array(0);
    this.dv = new DataView(new ArrayBuffer(0));
    // Only the mapped ranges: filling the whole table would commit a MiB of host memory per space.
    for (const r of this.regionList) this.perms.fill(0, r.start / PAGE_SIZE, r.end / PAGE_SIZE);
    this.regionList = [];
  }

  /** Register a listener for mapping and permission changes. */
  onChange(listener: MappingListener): void {
    this.listeners.push(listener);
  }

  /** The regions, ascending by address. */
  regions(): readonly Region[] {
    return this.regionList;
  }

  /**
   * The memory map (not the contents: snapshots carry pages on their own). A private file
   * mapping with a path names its file; shared ones are saved as plain memory.
   */
  save(): Region[] {
    const shared = this.regionList.find((r) => r.backing?.shared && r.backing.writable);
    if (shared) throw new SharedFileCheckpointError(shared);
    const handles = new Map<MappedFile, number>();
    return this.regionList.map(({ start, end, prot, kind, name, backing }) => {
      const r: Region = { start, end, prot, kind, name };
      if (!backing || backing.shared || backing.path === undefined) return r;
      let handle = handles.get(backing.file);
      if (handle === undefined) handles.set(backing.file, (handle = handles.size));
      return { ...r, file: { path: backing.path, offset: backing.offset, handle } };
    });
  }

  /**
   * Make the map exactly `regions`: regions not in it are unmapped (their contents zeroed), those
   * missing are mapped zero-filled, and identical ones keep their contents. A region naming its
   * file gets the backing `open` gives for it (new or kept region alike).
   */
  restore(regions: Region[], open?: (file: RegionFile) => FileBacking): void {
    const same = (a: Region, b: Region) => a.start === b.start && a.end === b.end && a.prot === b.prot && a.kind === b.kind && a.name === b.name;
    for (const r of [...this.regionList]) if (!regions.some((w) => same(w, r))) this.unmap(r.start, r.end - r.start);
    for (const r of regions) {
      const backing = r.file && open ? open(r.file) : undefined;
      const kept = this.regionList.find((h) => same(h, r));
      if (!kept) this.map(r.start, r.end - r.start, r.prot, r.kind, r.name, backing);
      else if (backing) kept.backing = backing;
    }
  }

  /** The region containing `addr`, if any. */
  regionAt(addr: number): Region | undefined {
    return this.regionList.find((r) => addr >= r.start && addr < r.end);
  }

  /**
   * Map [start, start+length) with `prot`, replacing whatever was there (MAP_FIXED semantics).
   * A private file backing is only remembered (the caller copies the file's bytes in); a shared
   * one puts the file's shared pages there, so that the caller loads the file with refreshShared.
   */
  map(start: number, length: number, prot: number, kind: RegionKind, name: string, backing?: FileBacking): void {
    this.assertLive();
    checkRange(start, length);
    const end = start + pageAlignUp(length);
    this.unmap(start, end - start);
    this.perms.fill((prot & 7) | PAGE_MAPPED, start >>> PAGE_SHIFT, end / PAGE_SIZE);
    this.regionList.push(backing ? { start, end, prot: prot & 7, kind, name, backing } : { start, end, prot: prot & 7, kind, name });
    this.regionList.sort((a, b) => a.start - b.start);
    this.mergeAdjacent();
    if (backing?.shared) this.shareFile(start, end, backing);
    this.notify(start, end, (prot & PROT_EXEC) !== 0);
  }

  /** True while some region maps a file shared (syscalls then keep file and mappings coherent). */
  get hasSharedFiles(): boolean {
    return this.sharedFiles.size > 0;
  }

  /**
   * Write what the guest changed in its shared file mappings back to the files (only bytes within
   * each file's size: a mapping does not grow its file). Pages are compared with the file, so the
   * result does not depend on the dirty bitmap, which checkpoints reset.
   */
  writeBackShared(start = 0, end = ADDRESS_SPACE_SIZE): void {
    this.settleSharedDirty();
    for (const r of this.regionList) {
      if (!r.backing?.shared || !r.backing.writable || r.end <= start || r.start >= end) continue;
      this.eachFilePage(r, Math.max(r.start, start), Math.min(r.end, end), (addr, pos, fileBytes) => {
        const mine = this.bytes.subarray(addr, addr + fileBytes.length);
        if (Buffer.compare(mine, fileBytes) !== 0) r.backing!.file.write(mine, pos);
      });
    }
  }

  /** Load the files' current bytes into their shared mappings (after the files were written). */
  refreshShared(): void {
    for (const r of this.regionList) {
      if (!r.backing?.shared) continue;
      this.eachFilePage(r, r.start, r.end, (addr, pos, fileBytes) => {
        if (Buffer.compare(this.bytes.subarray(addr, addr + fileBytes.length), fileBytes) === 0) return;
        this.bytes.set(fileBytes, addr);
        this.markSharedPage(r.backing!.key, pos);
      });
    }
  }

  /**
   * A guest store through one shared mapping changes the same page in every other mapping of the
   * file, but only the page it went through is marked dirty: mark the others too.
   */
  settleSharedDirty(): void {
    if (!this.hasSharedFiles) return;
    for (const r of this.regionList) {
      if (!r.backing?.shared) continue;
      for (let addr = r.start; addr < r.end; addr += PAGE_SIZE) {
        if (this.dirty.has(addr / PAGE_SIZE)) this.markSharedPage(r.backing.key, r.backing.offset + (addr - r.start));
      }
    }
  }

  /** Mark dirty the page at file offset `pos` of file `key` in every shared mapping of it. */
  private markSharedPage(key: string, pos: number): void {
    for (const r of this.regionList) {
      const b = r.backing;
      if (!b?.shared || b.key !== key || pos < b.offset || pos >= b.offset + (r.end - r.start)) continue;
      const page = (r.start + (pos - b.offset)) / PAGE_SIZE;
      this.dirty.set(page);
      this.touched.set(page);
      this.kernelWriteListener?.(page * PAGE_SIZE, PAGE_SIZE);
    }
  }

  /** Call `f` for each page of [start, end) in region `r` that holds file bytes, with those bytes. */
  private eachFilePage(r: Region, start: number, end: number, f: (addr: number, pos: number, fileBytes: Uint8Array) => void): void {
    const b = r.backing!;
    const size = b.file.size();
    const buf = new Uint8Array(PAGE_SIZE);
    for (let addr = start; addr < end; addr += PAGE_SIZE) {
      const pos = b.offset + (addr - r.start);
      if (pos >= size) break;
      const n = b.file.read(buf.subarray(0, Math.min(PAGE_SIZE, size - pos)), pos);
      f(addr, pos, buf.subarray(0, n));
    }
  }

  /** Put file `backing`'s shared pages over [start, end). */
  private shareFile(start: number, end: number, backing: FileBacking): void {
    let pages = this.sharedFiles.get(backing.key);
    if (!pages) {
      const fd = hostFiles().memfd_create('clonecloud-shared-file', MFD_CLOEXEC);
      if (fd < 0) throw new GuestMemoryError(start, 'write');
      pages = { fd, size: 0 };
      this.sharedFiles.set(backing.key, pages);
    }
    const need = backing.offset + (end - start);
    if (need > pages.size) {
      if (hostFiles().ftruncate(pages.fd, need) !== 0) throw new GuestMemoryError(start, 'write');
      pages.size = need;
    }
    this.memory.shareFile(start, end - start, pages.fd, backing.offset);
    // The pages hold whatever the file's other mappings hold: they count as written.
    this.markWritten(start, end - start);
  }

  /** Before [start, end) is unmapped: write shared file pages there back and detach them. */
  private unshareRange(start: number, end: number): void {
    if (!this.hasSharedFiles) return;
    this.writeBackShared(start, end);
    for (const r of this.regionList) {
      if (!r.backing?.shared || r.end <= start || r.start >= end) continue;
      const a = Math.max(r.start, start);
      const b = Math.min(r.end, end);
      this.memory.unshare(a, b - a);
    }
  }

  /** Close the host files of shared files no region maps any more. */
  private dropUnusedSharedFiles(): void {
    for (const [key, pages] of this.sharedFiles) {
      if (this.regionList.some((r) => r.backing?.shared && r.backing.key === key)) continue;
      hostFiles().close(pages.fd);
      this.sharedFiles.delete(key);
    }
  }

  /** Unmap [start, start+length); contents are discarded (zeroed), as Linux does. */
  unmap(start: number, length: number): void {
    this.assertLive();
    checkRange(start, length);
    const end = start + pageAlignUp(length);
    this.unshareRange(start, end);
    const { overlapped, hadCode } = this.reshape(start, end, () => undefined);
    if (!overlapped) return;
    this.dropUnusedSharedFiles();
    for (let p = start / PAGE_SIZE; p < end / PAGE_SIZE; p++) {
      if (this.touched.has(p)) {
        this.bytes.fill(0, p * PAGE_SIZE, (p + 1) * PAGE_SIZE);
        this.touched.clear(p);
        // The page's content changed (to zeros), which is a write as far as checkpoints care.
        this.dirty.set(p);
      }
    }
    this.perms.fill(0, start / PAGE_SIZE, end / PAGE_SIZE);
    this.notify(start, end, hadCode);
  }

  /** Change the permissions of [start, start+length); false if part of it is not mapped. */
  protect(start: number, length: number, prot: number): boolean {
    this.assertLive();
    checkRange(start, length);
    const end = start + pageAlignUp(length);
    if (!this.isMapped(start, end - start)) return false;
    const { hadCode } = this.reshape(start, end, (r) => ({ ...r, prot: prot & 7 }));
    this.mergeAdjacent();
    this.perms.fill((prot & 7) | PAGE_MAPPED, start / PAGE_SIZE, end / PAGE_SIZE);
    this.notify(start, end, hadCode || (prot & PROT_EXEC) !== 0);
    return true;
  }

  /**
   * Split the regions overlapping [start, end) at its edges, keep the parts outside, and replace
   * each part inside with `inside(part)` (dropped when undefined).
   */
  private reshape(start: number, end: number, inside: (part: Region) => Region | undefined): { overlapped: boolean; hadCode: boolean } {
    let overlapped = false;
    let hadCode = false;
    const out: Region[] = [];
    for (const r of this.regionList) {
      if (r.end <= start || r.start >= end) {
        out.push(r);
        continue;
      }
      overlapped = true;
      if (r.prot & PROT_EXEC) hadCode = true;
      if (r.start < start) out.push(slice(r, r.start, start));
      const middle = inside(slice(r, Math.max(r.start, start), Math.min(r.end, end)));
      if (middle) out.push(middle);
      if (r.end > end) out.push(slice(r, end, r.end));
    }
    this.regionList = out.sort((a, b) => a.start - b.start);
    return { overlapped, hadCode };
  }

  /** True when no region overlaps [addr, addr+length). */
  isFree(addr: number, length: number): boolean {
    return !this.regionList.some((r) => r.start < addr + length && r.end > addr);
  }

  /** True when every page of [addr, addr+length) is mapped and allows `need` (PROT_* bits). */
  isMapped(addr: number, length: number, need = 0): boolean {
    if (length === 0) return true;
    if (addr < 0 || addr + length > ADDRESS_SPACE_SIZE) return false;
    const last = Math.floor((addr + length - 1) / PAGE_SIZE);
    for (let p = Math.floor(addr / PAGE_SIZE); p <= last; p++) {
      const b = this.perms[p];
      if (!(b & PAGE_MAPPED) || (b & need) !== need) return false;
    }
    return true;
  }

  /**
   * Lowest free gap of `length` bytes at or above `from` and below `below`, or -1.
   * Linux places mmap top-down; bottom-up is simpler and equally valid for the ABI.
   */
  findFree(length: number, from: number, below: number): number {
    const need = pageAlignUp(length);
    let cursor = pageAlignUp(from);
    for (const r of this.regionList) {
      if (r.end <= cursor) continue;
      if (r.start >= cursor + need) break;
      cursor = r.end;
    }
    return cursor + need <= below ? cursor : -1;
  }

  /**
   * Bytes of [start, end) that count against the device's RAM: every accessible mapped page, and
   * inaccessible (PROT_NONE) pages only when they hold data. Reservations made with PROT_NONE
   * cost nothing, as under Linux's overcommit accounting. Checkpoints hold a subset of these
   * pages (the non-zero ones), so a run kept within RAM by this measure can always be restored
   * on the same device.
   */
  accountedBytes(start = 0, end = ADDRESS_SPACE_SIZE): number {
    let n = 0;
    for (const r of this.regionList) {
      const a = Math.max(r.start, start);
      const b = Math.min(r.end, end);
      if (a >= b) continue;
      n += r.prot !== PROT_NONE ? b - a : this.touched.countRange(a / PAGE_SIZE, (b - a) / PAGE_SIZE) * PAGE_SIZE;
    }
    return n;
  }

  /** Copy of guest bytes, checked against the page permissions (kernel reading user memory). */
  read(addr: number, length: number): Uint8Array {
    this.check(addr, length, PROT_READ, 'read');
    return this.bytes.slice(addr, addr + length);
  }

  /** A view (no copy) of guest bytes, checked for read access. */
  view(addr: number, length: number): Uint8Array {
    this.check(addr, length, PROT_READ, 'read');
    return this.bytes.subarray(addr, addr + length);
  }

  /** Write guest bytes as the kernel does for the guest: must be mapped writable; marks pages dirty. */
  write(addr: number, data: Uint8Array): void {
    this.check(addr, data.length, PROT_WRITE, 'write');
    this.bytes.set(data, addr);
    this.markWritten(addr, data.length);
  }

  /** Write guest bytes regardless of permissions (loading a program); marks pages dirty. */
  poke(addr: number, data: Uint8Array): void {
    if (!this.isMapped(addr, data.length)) this.fail(addr, 'write');
    this.bytes.set(data, addr);
    this.markWritten(addr, data.length);
  }

  /** Read a little-endian 32-bit word (kernel access). */
  readU32(addr: number): number {
    this.check(addr, 4, PROT_READ, 'read');
    return this.dv.getUint32(addr, true);
  }

  /** Write a little-endian 32-bit word (kernel access). */
  writeU32(addr: number, value: number): void {
    this.check(addr, 4, PROT_WRITE, 'write');
    this.dv.setUint32(addr, value >>> 0, true);
    this.markWritten(addr, 4);
  }

  /**
   * Read a NUL-terminated string of at most `max` bytes (EFAULT-style error when unterminated), as
   * a byte string: one char per byte ('latin1'), because Linux names are bytes, not UTF-8 text.
   */
  readCString(addr: number, max = 4096): string {
    for (let i = 0; i < max; i++) {
      if (!this.isMapped(addr + i, 1, PROT_READ)) this.fail(addr + i, 'read');
      if (this.bytes[addr + i] === 0) return Buffer.from(this.buffer, addr, i).toString('latin1');
    }
    throw new GuestMemoryError(addr, 'read');
  }

  /** Record that the kernel layer wrote [addr, addr+length). */
  markWritten(addr: number, length: number): void {
    if (length <= 0) return;
    this.kernelWriteListener?.(addr, length);
    const last = Math.floor((addr + length - 1) / PAGE_SIZE);
    for (let p = Math.floor(addr / PAGE_SIZE); p <= last; p++) {
      this.dirty.set(p);
      this.touched.set(p);
    }
  }

  private check(addr: number, length: number, need: number, access: 'read' | 'write'): void {
    if (!this.isMapped(addr, length, need)) this.fail(addr, access);
  }

  /** Throw for a refused access: GuestMemoryReleasedError when the space is gone, else a fault. */
  private fail(addr: number, access: 'read' | 'write'): never {
    this.assertLive();
    throw new GuestMemoryError(addr, access);
  }

  private assertLive(): void {
    if (!this.memory.alive) throw new GuestMemoryReleasedError();
  }

  private mergeAdjacent(): void {
    const out: Region[] = [];
    for (const r of this.regionList) {
      const prev = out[out.length - 1];
      if (prev && prev.end === r.start && prev.prot === r.prot && prev.kind === r.kind && prev.name === r.name && continues(prev, r)) {
        prev.end = r.end;
      } else {
        out.push({ ...r });
      }
    }
    this.regionList = out;
  }

  private notify(start: number, end: number, codeChanged: boolean): void {
    for (const l of this.listeners) l(start, end, codeChanged);
  }
}

/** memfd_create's close-on-exec flag. */
const MFD_CLOEXEC = 1;

/** Spaces dropped without release() give their memory back when collected. */
const unreleased = new FinalizationRegistry<GuestMemory>((memory) => memory.release());

function checkRange(start: number, length: number): void {
  if (start % PAGE_SIZE !== 0 || length <= 0 || start + length > ADDRESS_SPACE_SIZE) {
    throw new GuestMemoryError(start, 'write');
  }
}
