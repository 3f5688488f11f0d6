/**
 * Pages of private file mappings in checkpoints. A library mapped by the loader is mostly the
 * file's own bytes; a checkpoint stores only the pages whose content differs from the file (the
 * ones the guest wrote: relocations, .data, .got) and refers to the file for the rest. The saved
 * memory map records each such region's file (path, offset), the file's identity when captured,
 * and the pages it refers to with their content hashes; a restore maps the file again through
 * the guest's VFS, checks the identity and reads those pages from it.
 *
 * The identity is the file's size and a hash of the bytes the region maps. Size and content, not
 * a time stamp: host folders keep host mtimes that a copy or a checkout changes without changing
 * a byte, while a changed byte in the mapped range is exactly what would make the restored memory
 * differ. The size is part of it because the end of the file decides which bytes of the last page
 * are zeros and what a mapping grown by mremap reads.
 */
import { AddressSpace, PAGE_SIZE, Region, RegionFile } from '../memory/address-space';
import { MappedFileChangedError } from '../kernel/mapped-files';
import { Vfs } from '../vfs/vfs';
import { CheckpointFormatError } from './errors';
import { HASH_BYTES, hashBytes, hashHex, isZero } from './page-hash';

/** A private file mapping being captured: its saved record and the file bytes it maps now. */
export interface MappedRange {
  record: RegionFile;
  start: number;
  end: number;
  /** The file's bytes from the region's offset, up to the region's end or the end of the file. */
  bytes: Uint8Array;
  /** Names the range and its identity: equal between captures when neither changed. */
  key: string;
}

/**
 * Identifies the private file mappings of captured spaces, reading each mapped range once and
 * again only when its file's size or change times moved. A file changed without moving them (two
 * writes in one modelled nanosecond, a capture between them) would leave a stale identity here,
 * which the restore's check refuses: never a silent restore from other bytes.
 */
export class MappedFileIdentities {
  private cache = new Map<string, { bytes: Uint8Array; hash: string }>();
  private used = new Map<string, { bytes: Uint8Array; hash: string }>();

  /**
   * The private file mappings of `space` among its saved map `regions`, each with its identity
   * set in its record. A region whose path no longer names the file it maps (deleted, renamed,
   * replaced) loses its file record: it is saved as plain memory, every page stored, as before 2.4.
   */
  identify(space: AddressSpace, regions: Region[], vfs: Vfs): MappedRange[] {
    const out: MappedRange[] = [];
    const named = new Map<string, boolean>();
    for (const r of regions) {
      const f = r.file;
      if (!f) continue;
      const backing = space.regionAt(r.start)?.backing;
      const which = `${f.path}\0${backing?.key}`;
      if (backing && !named.has(which)) named.set(which, namesFile(vfs, f.path, backing.key));
      if (!backing || !named.get(which)) {
        delete r.file;
        continue;
      }
      const st = backing.file.stat?.();
      const size = st ? st.size : backing.file.size();
      const stamp = st && `${backing.key}:${size}:${st.mtime.sec}.${st.mtime.nsec}:${st.ctime.sec}.${st.ctime.nsec}:${f.offset}:${r.end - r.start}`;
      let got = stamp === undefined ? undefined : (this.used.get(stamp) ?? this.cache.get(stamp));
      if (!got) {
        const bytes = new Uint8Array(Math.max(0, Math.min(r.end - r.start, size - f.offset)));
        const read = bytes.subarray(0, bytes.length ? backing.file.read(bytes, f.offset) : 0);
        got = { bytes: read, hash: hashHex(hashBytes(read)) };
      }
      if (stamp !== undefined) this.used.set(stamp, got);
      f.size = size;
      f.hash = got.hash;
      out.push({ record: f, start: r.start, end: r.end, bytes: got.bytes, key: `${r.start}:${r.end}:${f.path}:${f.offset}:${size}:${f.hash}` });
    }
    return out;
  }

  /** A capture is done: keep only what it used for the next one. */
  settle(): void {
    this.cache = this.used;
    this.used = new Map();
  }
}

/** True when `path` names the file whose device and inode are `key`. */
function namesFile(vfs: Vfs, path: string, key: string): boolean {
  try {
    const st = vfs.stat(path, '/');
    return `${st.dev}:${st.ino}` === key;
  } catch {
    return false;
  }
}

/** True when guest page `page` of `range` holds exactly the file's bytes (zeros past the end of the file). */
export function isFilePage(range: MappedRange, page: number, bytes: Uint8Array): boolean {
  const at = page * PAGE_SIZE - range.start;
  const file = range.bytes.subarray(at, at + PAGE_SIZE);
  if (file.length === 0) return false;
  return Buffer.compare(bytes.subarray(0, file.length), file) === 0 && isZero(bytes.subarray(file.length));
}

/** Record in `range` the pages `referred` says (ascending guest pages) with their hashes from `hashOf`. */
export function recordFilePages(range: MappedRange, referred: number[], hashOf: (page: number) => Uint8Array): void {
  const runs: [number, number][] = [];
  const hashes = new Uint8Array(referred.length * HASH_BYTES);
  referred.forEach((p, i) => {
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === p) last[1]++;
    else runs.push([p, 1]);
    hashes.set(hashOf(p), i * HASH_BYTES);
  });
  if (!runs.length) return;
  range.record.pages = runs;
  range.record.hashes = Buffer.from(hashes).toString('base64');
}

/** A page a saved map refers to a file for, with its content hash. */
export interface FilePage {
  page: number;
  hash: Uint8Array;
  region: Region;
}

/** The pages the saved map `regions` refers to files for, ascending (none for maps before 2.4). */
export function filePages(regions: readonly Region[], id = 'checkpoint'): FilePage[] {
  const out: FilePage[] = [];
  for (const r of regions) {
    const f = r.file;
    if (!f?.pages) continue;
    const hashes = Buffer.from(f.hashes ?? '', 'base64');
    let i = 0;
    for (const [first, count] of f.pages) {
      for (let p = first; p < first + count; p++, i++) {
        if (p * PAGE_SIZE < r.start || p * PAGE_SIZE >= r.end || (i + 1) * HASH_BYTES > hashes.length) {
          throw new CheckpointFormatError(`${id}: the file pages of the region at 0x${r.start.toString(16)} do not fit it or their hashes`);
        }
        out.push({ page: p, hash: new Uint8Array(hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES)), region: r });
      }
    }
  }
  return out.sort((a, b) => a.page - b.page);
}

/**
 * Check that the files behind the restored `space` (its saved map `regions`, backings attached)
 * are the ones captured, and return a reader of the file bytes of each page the map refers to;
 * MappedFileChangedError naming the file and what changed otherwise.
 */
export function mappedFileReader(space: AddressSpace, regions: readonly Region[], id: string): (fp: FilePage) => Uint8Array {
  const bytesOf = new Map<Region, Uint8Array>();
  for (const r of regions) {
    const f = r.file;
    if (f?.hash === undefined) continue;
    const backing = space.regionAt(r.start)?.backing;
    if (!backing) throw new CheckpointFormatError(`${id}: the region at 0x${r.start.toString(16)} names ${f.path} but was restored without it`);
    const size = backing.file.size();
    if (size !== f.size) throw new MappedFileChangedError(f.path, `was ${f.size} bytes long and is now ${size}`);
    const bytes = new Uint8Array(Math.max(0, Math.min(r.end - r.start, size - f.offset)));
    const got = bytes.subarray(0, bytes.length ? backing.file.read(bytes, f.offset) : 0);
    if (hashHex(hashBytes(got)) !== f.hash) {
      throw new MappedFileChangedError(f.path, `holds other bytes in the ${got.length} bytes mapped from offset ${f.offset}`);
    }
    bytesOf.set(r, got);
  }
  return (fp) => {
    const file = bytesOf.get(fp.region);
    if (!file) throw new CheckpointFormatError(`${id}: page 0x${fp.page.toString(16)} refers to a file the map records no identity of`);
    const at = fp.page * PAGE_SIZE - fp.region.start;
    const page = new Uint8Array(PAGE_SIZE);
    page.set(file.subarray(at, at + PAGE_SIZE));
    if (Buffer.compare(hashBytes(page), fp.hash) !== 0) {
      throw new MappedFileChangedError(fp.region.file!.path, `does not hold the captured bytes at offset ${fp.region.file!.offset + at}`);
    }
    return page;
  };
}

/** Write the file pages of the saved map `regions` into the restored `space` (see mappedFileReader). */
export function restoreFilePages(space: AddressSpace, regions: readonly Region[], id: string): void {
  const read = mappedFileReader(space, regions, id);
  for (const fp of filePages(regions, `checkpoint ${id}`)) {
    space.bytes.set(read(fp), fp.page * PAGE_SIZE);
    space.touched.set(fp.page);
  }
}
