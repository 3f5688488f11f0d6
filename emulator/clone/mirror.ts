/**
 * A phone's mirror on the clone: a checkpoint store of its own (the LMDB store) holding the
 * increments the phone sent, the last of which is the mirror. An increment is checked whole
 * before it is committed in one transaction: its manifest is one this build reads, its page table
 * resolves against the mirror's parent, every page it references is held, sent or found in another
 * phone's mirror, and every page sent or borrowed matches its hash. A half-received or refused
 * increment therefore never becomes the mirror, and a clone killed at any moment restarts with the
 * last complete one.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CloneCloudError } from '../errors';
import { CheckpointManifest, checkManifest } from '../snapshot/manifest';
import { tableDigest } from '../snapshot/memory-digest';
import { HASH_BYTES, hashBytes, hashHex } from '../snapshot/page-hash';
import { applyDelta, decodeDelta, decodePageTable, isDelta, PageTable } from '../snapshot/page-table';
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

/** What applying an increment did. */
export interface Applied {
  id: string;
  memoryHash: string;
  /** Pages written to this mirror's store (sent or borrowed), and their bytes. */
  pagesWritten: number;
  bytesWritten: number;
  /** Pages taken from another phone's mirror instead of the link. */
  pagesBorrowed: number;
}

/** Finds a page in another mirror (bytes as stored, verified by the caller), or undefined. */
export type PageLender = (hash: Uint8Array) => Uint8Array | undefined;

/** Check that `phone` can name a mirror. */
export function checkPhoneId(phone: string): void {
  if (!PHONE_ID.test(phone))
    throw new MirrorError(`phone id ${JSON.stringify(phone)}: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
}

/** One phone's mirror. */
export class Mirror {
  private constructor(
    readonly phone: string,
    private readonly store: CheckpointStore,
  ) {}

  /** Open (or create) the mirror of `phone` under the clone's store folder `root`. */
  static open(root: string, phone: string): Mirror {
    checkPhoneId(phone);
    return new Mirror(phone, CheckpointStore.open(path.join(root, phone)));
  }

  /** True when the mirror's store holds a page with this hash. */
  holds(hash: Uint8Array): boolean {
    return this.store.hasPage(hash);
  }

  /** The bytes of a held page (verified against its hash), or undefined. */
  lend(hash: Uint8Array): Uint8Array | undefined {
    return this.store.hasPage(hash) ? this.store.readPage(hash) : undefined;
  }

  /** Check `record` and `pages` whole, then commit them as the new mirror. */
  apply(record: SnapshotRecord, pages: PutPage[], borrow: PageLender = () => undefined): Applied {
    const manifest = checkManifest(record.manifest, record.id);
    const table = this.fullTable(record);
    const sent = new Map<string, Uint8Array>();
    for (const [hash, bytes] of pages) {
      if (hash.byteLength !== HASH_BYTES || hashHex(hashBytes(bytes)) !== hashHex(hash)) {
        throw new MirrorError(`increment ${record.id}: a page sent as ${hashHex(hash)} does not match its hash; nothing applied`);
      }
      sent.set(hashHex(hash), bytes);
    }
    const put: PutPage[] = [];
    // A content can be referenced more than once (two equal pages, a page equal to a file block).
    const putHashes = new Set<string>();
    let borrowed = 0;
    let missing = 0;
    let firstMissing = '';
    for (const hash of referencedHashes(table, record.extraHashes)) {
      const hex = hashHex(hash);
      if (putHashes.has(hex) || this.store.hasPage(hash)) continue;
      const bytes = sent.get(hex) ?? lendVerified(borrow, hash);
      if (!bytes) {
        if (missing++ === 0) firstMissing = hex;
        continue;
      }
      if (!sent.has(hex)) borrowed++;
      putHashes.add(hex);
      put.push([hash, bytes]);
    }
    if (missing) {
      throw new MirrorError(
        `increment ${record.id} references ${missing} page(s) the mirror lacks and the phone did not send (first ${firstMissing}); nothing applied`,
      );
    }
    const r = this.store.commit(record, put);
    return {
      id: record.id,
      memoryHash: tableDigest(manifest.state.regions, table),
      pagesWritten: r.pagesWritten,
      bytesWritten: r.bytesWritten,
      pagesBorrowed: borrowed,
    };
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

  /** Close the mirror's store. */
  close(): void {
    this.store.close();
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
    const lend: PageLender = (hash) => {
      for (const m of this.mirrors.values()) if (m !== target && m.holds(hash)) return m.lend(hash);
      return undefined;
    };
    return target.apply(record, pages, lend);
  }

  /** Every mirror's status, by phone id. */
  list(): MirrorStatus[] {
    return [...this.mirrors.values()]
      .map((m) => m.status())
      .filter((s): s is MirrorStatus => s !== undefined)
      .sort((a, b) => a.phone.localeCompare(b.phone));
  }

  /** Close every mirror. */
  close(): void {
    for (const m of this.mirrors.values()) m.close();
    this.mirrors.clear();
  }
}
