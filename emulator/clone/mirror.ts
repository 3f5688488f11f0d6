/**
 * A phone's mirror on the clone: a checkpoint store of its own (the LMDB store) holding the
 * increments the phone sent, the last of which is the mirror. An increment is checked whole
 * before it is committed in one transaction: its manifest is one this build reads, its page table
 * resolves against the mirror's parent, every page it references is held, sent or found in another
 * phone's mirror, and every page sent or borrowed matches its hash. A half-received or refused
 * increment therefore never becomes the mirror, and a clone killed at any moment restarts with the
 * last complete one.
 *
 * File-only syncs (the persistent level, sent more often than memory) are kept beside the mirror
 * in a store of their own (`.files/<phone>` under the clone's folder), the last one only: they
 * keep the clone's copy of the phone's files fresh, and an increment that references their blocks
 * takes them from there instead of the link.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CloneCloudError } from '../errors';
import { checkFilesManifest, filesDigest, FilesManifest } from '../snapshot/files-record';
import { CheckpointManifest, checkManifest } from '../snapshot/manifest';
import { tableDigest } from '../snapshot/memory-digest';
import { HASH_BYTES, hashBytes, hashHex } from '../snapshot/page-hash';
import { applyDelta, decodeDelta, decodePageTable, encodePageTable, isDelta, PageTable } from '../snapshot/page-table';
import { PutPage, SnapshotRecord } from '../snapshot/sink';
import { CheckpointStore } from '../store/store';

/** An increment refused, or a phone id that cannot name a mirror. */
export class MirrorError extends CloneCloudError {}

/** What phone ids look like: they name a folder under the clone's store. */
const PHONE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Where a mirror stands. */
export interface MirrorStatus {
  phone: string;
  /** The checkpoint the mirror is at. */
  checkpoint: string;
  /** Its memory digest (snapshot/memory-digest.ts), equal to the phone's at that point. */
  memoryHash: string;
  instructions: string;
  /** Non-zero pages of the mirror's memory. */
  pages: number;
  /** Host time the phone captured it. */
  captured: string;
  /** Increments held. */
  syncs: number;
}

/** The last file-only sync a mirror holds. */
export interface FilesStatus {
  id: string;
  /** Digest of the files state (snapshot/files-record.ts filesDigest), equal to the phone's at that point. */
  filesHash: string;
  instructions: string;
  /** Host time the phone captured it. */
  captured: string;
}

/** A file-only sync as it arrives: its manifest and the block hashes it references. */
export interface FilesSyncRecord {
  id: string;
  manifest: object;
  extraHashes: Uint8Array;
}

/** What applying a file-only sync did. */
export interface FilesApplied {
  id: string;
  filesHash: string;
  pagesWritten: number;
  bytesWritten: number;
  pagesBorrowed: number;
}

/** What applying an increment did. */
export interface Applied {
  id: string;
  memoryHash: string;
  /** Pages written to this mirror's store (sent or borrowed), and their bytes. */
  pagesWritten: number;
  bytesWritten: number;
  /** Pages taken from another phone's mirror instead of the link. */
  pagesBorrowed: number;
  /** Pages taken from this phone's last file-only sync instead of the link. */
  pagesStaged: number;
}

/** Finds a page in another mirror (bytes as stored, verified by the caller), or undefined. */
export type PageLender = (hash: Uint8Array) => Uint8Array | undefined;

/** Check that `phone` can name a mirror. */
export function checkPhoneId(phone: string): void {
  if (!PHONE_ID.test(phone))
    throw new MirrorError(`phone id ${JSON.stringify(phone)}: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
}

/** Folder, under the clone's store folder, of the phones' file-only syncs (a name no phone id can take). */
const FILES_FOLDER = '.files';

/** One phone's mirror. */
export class Mirror {
  private constructor(
    readonly phone: string,
    private readonly store: CheckpointStore,
    private readonly filesDir: string,
    private files: CheckpointStore | undefined,
  ) {}

  /** Open (or create) the mirror of `phone` under the clone's store folder `root`. */
  static open(root: string, phone: string): Mirror {
    checkPhoneId(phone);
    const filesDir = path.join(root, FILES_FOLDER, phone);
    const files = fs.existsSync(filesDir) ? CheckpointStore.open(filesDir) : undefined;
    return new Mirror(phone, CheckpointStore.open(path.join(root, phone)), filesDir, files);
  }

  /** True when the mirror's store, or its last file-only sync, holds a page with this hash. */
  holds(hash: Uint8Array): boolean {
    return this.store.hasPage(hash) || (this.files?.hasPage(hash) ?? false);
  }

  /** The bytes of a held page (verified against its hash), or undefined. */
  lend(hash: Uint8Array): Uint8Array | undefined {
    if (this.store.hasPage(hash)) return this.store.readPage(hash);
    return this.staged(hash);
  }

  /** A block of the last file-only sync, or undefined. */
  private staged(hash: Uint8Array): Uint8Array | undefined {
    return this.files?.hasPage(hash) ? this.files.readPage(hash) : undefined;
  }

  /** Check `record` and `pages` whole, then commit them as the new mirror. */
  apply(record: SnapshotRecord, pages: PutPage[], borrow: PageLender = () => undefined): Applied {
    const manifest = checkManifest(record.manifest, record.id);
    const table = this.fullTable(record);
    const sent = sentPages(`increment ${record.id}`, pages);
    const got = this.gather(`increment ${record.id}`, referencedHashes(table, record.extraHashes), sent, this.store, borrow);
    const r = this.store.commit(record, got.put);
    return {
      id: record.id,
      memoryHash: tableDigest(manifest.state.regions, table),
      pagesWritten: r.pagesWritten,
      bytesWritten: r.bytesWritten,
      pagesBorrowed: got.borrowed,
      pagesStaged: got.staged,
    };
  }

  /**
   * Check a file-only sync whole (its manifest, every block sent matching its hash, every block
   * it names held, sent or borrowable), then keep it as this phone's last file-only sync.
   */
  applyFiles(record: FilesSyncRecord, pages: PutPage[], borrow: PageLender = () => undefined): FilesApplied {
    const manifest = checkFilesManifest(record.manifest, record.id, record.extraHashes);
    const sent = sentPages(`file sync ${record.id}`, pages);
    this.files ??= CheckpointStore.open(this.filesDir);
    const files = this.files;
    // The mirror's own pages count as held too: a block unchanged since the last increment is there.
    const fromMirror: PageLender = (hash) => (this.store.hasPage(hash) ? this.store.readPage(hash) : borrow(hash));
    const got = this.gather(`file sync ${record.id}`, referencedHashes(EMPTY_TABLE, record.extraHashes), sent, files, fromMirror);
    const older = files.ids();
    const r = files.commit({ id: record.id, parent: null, manifest, pageTable: encodePageTable(EMPTY_TABLE), extraHashes: record.extraHashes }, got.put);
    // Only the last one is kept; a kill between the two transactions leaves an older one too, which the next sync removes.
    if (older.length) files.prune(older.filter((id) => id !== record.id));
    return { id: record.id, filesHash: filesDigest(manifest.vfs), pagesWritten: r.pagesWritten, bytesWritten: r.bytesWritten, pagesBorrowed: got.borrowed };
  }

  /** The mirror's checkpoint store (a migrated call runs from it and commits where it stopped). */
  checkpoints(): CheckpointStore {
    return this.store;
  }

  /** The last file-only sync held, or undefined. */
  filesStatus(): FilesStatus | undefined {
    const ids = this.files?.ids() ?? [];
    const id = ids[ids.length - 1];
    if (id === undefined) return undefined;
    const m = this.files!.manifest(id) as FilesManifest;
    return { id, filesHash: filesDigest(m.vfs), instructions: m.instructions, captured: m.created };
  }

  /**
   * The pages `target` must take so that every hash in `refs` is held: sent ones, then staged
   * file blocks, then borrowed ones (verified); MirrorError naming the first missing one otherwise.
   */
  private gather(
    what: string,
    refs: Iterable<Uint8Array>,
    sent: Map<string, Uint8Array>,
    target: CheckpointStore,
    borrow: PageLender,
  ): { put: PutPage[]; borrowed: number; staged: number } {
    const put: PutPage[] = [];
    // A content can be referenced more than once (two equal pages, a page equal to a file block).
    const putHashes = new Set<string>();
    let borrowed = 0;
    let staged = 0;
    let missing = 0;
    let firstMissing = '';
    for (const hash of refs) {
      const hex = hashHex(hash);
      if (putHashes.has(hex) || target.hasPage(hash)) continue;
      let bytes = sent.get(hex);
      if (!bytes && target !== this.files && (bytes = this.staged(hash))) staged++;
      else if (!bytes && (bytes = lendVerified(borrow, hash))) borrowed++;
      if (!bytes) {
        if (missing++ === 0) firstMissing = hex;
        continue;
      }
      putHashes.add(hex);
      put.push([hash, bytes]);
    }
    if (missing) {
      throw new MirrorError(`${what} references ${missing} page(s) the mirror lacks and the phone did not send (first ${firstMissing}); nothing applied`);
    }
    return { put, borrowed, staged };
  }

  /** Where the mirror stands, or undefined before its first increment. */
  status(): MirrorStatus | undefined {
    const ids = this.store.ids();
    const id = ids[ids.length - 1];
    if (id === undefined) return undefined;
    const manifest: CheckpointManifest = checkManifest(this.store.manifest(id), id);
    const table = this.store.readTable(id);
    return {
      phone: this.phone,
      checkpoint: id,
      memoryHash: tableDigest(manifest.state.regions, table),
      instructions: manifest.state.instructions,
      pages: table.pages.length,
      captured: manifest.created,
      syncs: ids.length,
    };
  }

  /** Close the mirror's stores. */
  close(): void {
    this.store.close();
    this.files?.close();
  }

  /** The increment's full page table: as sent, or its delta applied to the parent's. */
  private fullTable(record: SnapshotRecord): PageTable {
    if (!isDelta(record.pageTable)) return decodePageTable(record.pageTable, `increment ${record.id}`);
    if (record.parent === null || !this.store.has(record.parent)) {
      throw new MirrorError(`increment ${record.id} builds on ${String(record.parent)}, which this mirror does not hold; a full sync is needed`);
    }
    return applyDelta(this.store.readTable(record.parent), decodeDelta(record.pageTable, `increment ${record.id}`));
  }
}

/** Every page hash a checkpoint needs: its table's and its extra (file block) hashes. */
function* referencedHashes(table: PageTable, extras: Uint8Array): Generator<Uint8Array> {
  for (let i = 0; i < table.pages.length; i++) yield table.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
  if (extras.byteLength % HASH_BYTES !== 0) throw new MirrorError(`extra hashes of ${extras.byteLength} bytes are not whole ${HASH_BYTES}-byte hashes`);
  for (let off = 0; off < extras.byteLength; off += HASH_BYTES) yield extras.subarray(off, off + HASH_BYTES);
}

/** A table of no pages (a file-only sync has no memory). */
const EMPTY_TABLE: PageTable = { pages: new Uint32Array(0), hashes: new Uint8Array(0) };

/** The pages sent, by hex hash, each checked against its hash. */
function sentPages(what: string, pages: PutPage[]): Map<string, Uint8Array> {
  const sent = new Map<string, Uint8Array>();
  for (const [hash, bytes] of pages) {
    if (hash.byteLength !== HASH_BYTES || hashHex(hashBytes(bytes)) !== hashHex(hash)) {
      throw new MirrorError(`${what}: a page sent as ${hashHex(hash)} does not match its hash; nothing applied`);
    }
    sent.set(hashHex(hash), bytes);
  }
  return sent;
}

/** A page from another mirror, only if its bytes match the hash. */
function lendVerified(borrow: PageLender, hash: Uint8Array): Uint8Array | undefined {
  const bytes = borrow(hash);
  return bytes && hashHex(hashBytes(bytes)) === hashHex(hash) ? bytes : undefined;
}

/** Every phone's mirror under one folder; reopened as they were on start. */
export class MirrorSet {
  private readonly mirrors = new Map<string, Mirror>();

  /** Open the folder (creating it) and every mirror in it. */
  constructor(readonly root: string) {
    fs.mkdirSync(root, { recursive: true });
    for (const e of fs.readdirSync(root, { withFileTypes: true })) {
      if (e.isDirectory() && PHONE_ID.test(e.name)) this.mirrors.set(e.name, Mirror.open(root, e.name));
    }
  }

  /** The mirror of `phone`, made on first use. */
  get(phone: string): Mirror {
    let m = this.mirrors.get(phone);
    if (!m) {
      m = Mirror.open(this.root, phone);
      this.mirrors.set(phone, m);
    }
    return m;
  }

  /** True when any mirror holds the page (the first sync of a new phone then skips it). */
  holds(hash: Uint8Array): boolean {
    for (const m of this.mirrors.values()) if (m.holds(hash)) return true;
    return false;
  }

  /** Apply an increment to `phone`'s mirror, borrowing pages other mirrors hold. */
  apply(phone: string, record: SnapshotRecord, pages: PutPage[]): Applied {
    const target = this.get(phone);
    return target.apply(record, pages, this.lenderFor(target));
  }

  /** Keep a file-only sync as `phone`'s last, borrowing blocks other mirrors hold. */
  applyFiles(phone: string, record: FilesSyncRecord, pages: PutPage[]): FilesApplied {
    const target = this.get(phone);
    return target.applyFiles(record, pages, this.lenderFor(target));
  }

  /** Pages of every mirror but `target`. */
  private lenderFor(target: Mirror): PageLender {
    return (hash) => {
      for (const m of this.mirrors.values()) if (m !== target && m.holds(hash)) return m.lend(hash);
      return undefined;
    };
  }

  /** Every mirror's status, by phone id (a phone that has sent only file syncs has no memory mirror yet, and is listed with it). */
  list(): { phone: string; mirror: MirrorStatus | undefined; files: FilesStatus | undefined }[] {
    return [...this.mirrors.values()]
      .map((m) => ({ phone: m.phone, mirror: m.status(), files: m.filesStatus() }))
      .filter((e) => e.mirror !== undefined || e.files !== undefined)
      .sort((a, b) => a.phone.localeCompare(b.phone));
  }

  /** Close every mirror. */
  close(): void {
    for (const m of this.mirrors.values()) m.close();
    this.mirrors.clear();
  }
}
