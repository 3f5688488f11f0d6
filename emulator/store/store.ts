/**
 * The on-disk store of checkpoints and content-addressed pages, kept in an LMDB database in a
 * folder of the user's choosing. Each commit and each prune is a single LMDB write transaction:
 * LMDB never overwrites live data in place and publishes a transaction only by its final meta
 * page write, so a process killed at any moment leaves the store as it was before or after.
 * Layout: see store-env.ts.
 */
import { PAGE_SIZE } from '../memory/address-space';
import { HASH_BYTES, hashHex, HashSet, isZero } from '../snapshot/page-hash';
import { decodeDelta, decodePageTable, encodePageTable, isDelta, MAX_DELTA_DEPTH, PageTable } from '../snapshot/page-table';
import { StoreDamageError, StoreError } from '../snapshot/errors';
import { ParentBaseline, SnapshotRecord, SnapshotSink } from '../snapshot/sink';
import { SnapshotSource } from '../snapshot/source';
import { describePage, hashKey, matchesHash, MAX_PAGE_BYTES, PageContext, seal, sealJson, splitHashes, unseal } from './store-codec';
import { diskBytes, OpenOptions, openStoreEnv, readCounters, StoreDbs } from './store-env';
import { prune, PruneResult } from './store-prune';
import { orderedIds, readRecord, StoredRecord, unknownCheckpoint } from './store-records';
import { VerifyProgress, VerifyReport, verifyStore } from './store-verify';
import { materializeTable, tableDepth } from './store-tables';

export { STORE_FORMAT_VERSION } from './store-env';
export type { PageContext } from './store-codec';
export type { DamagedPage, DamagedRecord, PageReference, VerifyReport } from './store-verify';

/** A checkpoint as handed to commit(). */
export type CheckpointRecord = SnapshotRecord;

/** One line of a listing. */
export interface CheckpointInfo {
  id: string;
  parent: string | null;
  /** True when the checkpoint names a parent that has since been pruned. */
  parentGone: boolean;
}

/** Longest checkpoint id; LMDB keys are limited to a few hundred bytes. */
const MAX_ID_LENGTH = 200;

/** The on-disk store of checkpoints and the pages they reference: a snapshot sink and source. */
export class CheckpointStore implements SnapshotSink, SnapshotSource {
  private closed = false;
  /** A commit puts every page into LMDB (which copies it) inside its write transaction. */
  readonly copiesPages = true;

  private constructor(
    private readonly dbs: StoreDbs,
    private readonly readOnly: boolean,
  ) {}

  /** Open the store in `dir`, creating it there (unless create:false) when the folder is missing or empty. */
  static open(dir: string, opts: OpenOptions = {}): CheckpointStore {
    return new CheckpointStore(openStoreEnv(dir, opts), opts.readOnly ?? false);
  }

  /** True when a page with this hash is stored. */
  hasPage(hash: Uint8Array): boolean {
    return this.live().pages.doesExist(hashKey(hash));
  }

  /**
   * When the store holds fewer pages than a capture is about to ask about, its page keys are read
   * once into memory (a lookup costs about as much as reading a key); otherwise pages are looked
   * up one by one. A first checkpoint into a new store then asks LMDB nothing per page.
   */
  pagePresence(count: number): (hash: Uint8Array) => boolean {
    const dbs = this.live();
    // A few thousand lookups cost less than reading the counters to decide.
    if (count < 4096 || readCounters(dbs).pages >= count) return (hash) => this.hasPage(hash);
    const held = new HashSet();
    for (const key of dbs.pages.getKeys()) held.add(key);
    return (hash) => held.has(hash);
  }

  /** True when checkpoint `id` exists. */
  has(id: string): boolean {
    return this.live().records.doesExist(id);
  }

  /** Atomically add a checkpoint and the pages it needs that are not stored yet. */
  commit(record: CheckpointRecord, newPages: Iterable<[Uint8Array, Uint8Array]>): CommitResult {
    const dbs = this.writable();
    checkRecord(record);
    return dbs.root.transactionSync(() => writeCheckpoint(dbs, record, newPages));
  }

  /**
   * The same as commit, but the durable write happens on LMDB's writer thread: this returns at
   * once and the promise settles when the checkpoint is on disk (or the write failed, leaving
   * nothing behind). Commits are applied in call order, so a child may be queued right after its
   * parent. The caller must not change `newPages` afterwards.
   */
  commitAsync(record: CheckpointRecord, newPages: [Uint8Array, Uint8Array][]): Promise<CommitResult> {
    const dbs = this.writable();
    checkRecord(record);
    ignoreLmdbSideRejections();
    return dbs.root
      .transaction(() => writeCheckpoint(dbs, record, newPages))
      .catch((e: unknown) => {
        // lmdb rejects a second promise with the write error (commitError); nobody else holds it,
        // and left unhandled it would end the process.
        (e as { commitError?: Promise<unknown> } | null)?.commitError?.catch(() => undefined);
        throw e instanceof Error && /Commit failed/.test(e.message)
          ? new StoreError(`${dbs.dir}: the checkpoint could not be written (${describeCommitError(e)})`)
          : e;
      });
  }

  /** Checkpoint ids in commit order. */
  ids(): string[] {
    return orderedIds(this.live());
  }

  /** Every checkpoint with its parent link, in commit order. */
  list(): CheckpointInfo[] {
    return this.ids().map((id) => {
      const parent = this.record(id).parent;
      return { id, parent, parentGone: parent !== null && !this.has(parent) };
    });
  }

  /** The manifest committed with `id`. */
  manifest(id: string): object {
    return this.record(id).manifest;
  }

  /** The chain `id` was committed in (undefined for stores written before chains existed). */
  chainOf(id: string): string | undefined {
    return this.record(id).chain;
  }

  /** The parent named when `id` was committed (it may have been pruned since). */
  parent(id: string): string | null {
    return this.record(id).parent;
  }

  /** The full encoded page table of `id` (deltas applied), checked against its seals. */
  pageTable(id: string): Uint8Array {
    this.record(id);
    return encodePageTable(materializeTable(this.live(), id));
  }

  /** The full page table of `id`, decoded (deltas applied, seals checked). */
  readTable(id: string): PageTable {
    this.record(id);
    return materializeTable(this.live(), id);
  }

  /** What an increment against `id` builds on: its table, delta depth and chain. */
  baseline(id: string): ParentBaseline {
    return { table: this.readTable(id), depth: this.tableDepth(id), chain: this.chainOf(id) };
  }

  /** How many page-table deltas lie between `id` and a full table (writers keep it bounded). */
  tableDepth(id: string): number {
    this.record(id);
    return tableDepth(this.live(), id);
  }

  /** The extra hashes of `id` (concatenated, 16 bytes each), checked against their seal. */
  extraHashes(id: string): Uint8Array {
    return this.sealedExtras(id);
  }

  /** Page bytes, verified against their hash; StoreDamageError (naming `context`) when missing or altered. */
  readPage(hash: Uint8Array, context?: PageContext): Uint8Array {
    const bytes = this.live().pages.getBinary(hashKey(hash));
    if (!bytes) throw new StoreDamageError(`${describePage(hash, context)}: missing from the store`);
    if (!matchesHash(bytes, hash)) throw new StoreDamageError(`${describePage(hash, context)}: stored bytes do not match their hash`);
    return bytes;
  }

  /**
   * Copy pages into `memory` unverified (see SnapshotSource.copyPagesInto): each is looked up with
   * lmdb's reused value buffer and copied once, with no allocation per page. A missing page fails
   * through readPage, naming `checkpoint` and the page.
   */
  copyPagesInto(hashes: Uint8Array, pages: Uint32Array, memory: Uint8Array, checkpoint: string): void {
    const db = this.live().pages;
    const key = Buffer.alloc(HASH_BYTES);
    let from: Uint8Array | undefined;
    for (let i = 0; i < pages.length; i++) {
      const at = i * HASH_BYTES;
      for (let b = 0; b < HASH_BYTES; b++) key[b] = hashes[at + b];
      const value = db.getBinaryFast(key);
      if (!value) {
        this.readPage(hashes.subarray(at, at + HASH_BYTES), { checkpoint, page: pages[i] });
        throw new StoreDamageError(`checkpoint ${checkpoint}: page 0x${pages[i].toString(16)}: missing from the store`);
      }
      // A value of any other length cannot be a page's: readPage names the damage.
      if (value.length !== PAGE_SIZE) {
        this.readPage(hashes.subarray(at, at + HASH_BYTES), { checkpoint, page: pages[i] });
        throw new StoreDamageError(`checkpoint ${checkpoint}: page 0x${pages[i].toString(16)}: stored value is ${value.length} bytes, not a page`);
      }
      // lmdb hands back one buffer it reuses, its length set to the value's: view its bytes without a copy.
      if (!from || from.buffer !== value.buffer || from.byteOffset !== value.byteOffset) from = new Uint8Array(value.buffer, value.byteOffset, PAGE_SIZE);
      memory.set(from, pages[i] * PAGE_SIZE);
    }
  }

  /** Re-hash every page and resolve every reference; reports damage, never throws for it. */
  verify(progress?: VerifyProgress): VerifyReport {
    return verifyStore(this.live(), progress);
  }

  /** Delete checkpoints and the pages only they used, in one transaction. */
  prune(ids: string[]): PruneResult {
    const dbs = this.writable();
    return prune(dbs, ids, () => orderedIds(dbs));
  }

  /** Stored pages, their payload bytes, and the size of the database files. */
  stats(): { pages: number; pageBytes: number; diskBytes: number } {
    const c = readCounters(this.live());
    return { pages: c.pages, pageBytes: c.pageBytes, diskBytes: diskBytes(this.dbs) };
  }

  /** Resolves once every commit so far has reached the disk (see the durability note in store-env). */
  async flush(): Promise<void> {
    await this.live().root.flushed;
  }

  /** Close the database; the object is unusable afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Closing waits for queued commits; one that failed was reported to its own caller already.
    void this.dbs.root.close().catch(() => undefined);
  }

  private live(): StoreDbs {
    if (this.closed) throw new StoreError(`checkpoint store ${this.dbs.dir} is closed`);
    return this.dbs;
  }

  private writable(): StoreDbs {
    const dbs = this.live();
    if (this.readOnly) throw new StoreError(`checkpoint store ${dbs.dir} was opened read-only`);
    return dbs;
  }

  private record(id: string): StoredRecord {
    const rec = readRecord(this.live(), id);
    if (!rec) throw unknownCheckpoint(this.dbs, id);
    return rec;
  }

  private sealedExtras(id: string): Uint8Array {
    const sealed = this.live().extras.getBinary(id);
    if (sealed) return unseal(sealed, `checkpoint ${id}: extra hashes`);
    if (this.has(id)) throw new StoreDamageError(`checkpoint ${id}: extra hashes missing from the store`);
    throw unknownCheckpoint(this.dbs, id);
  }
}

/** What a commit wrote. */
export interface CommitResult {
  pagesWritten: number;
  bytesWritten: number;
}

/** The body of a commit, inside the caller's write transaction. */
function writeCheckpoint(dbs: StoreDbs, record: CheckpointRecord, newPages: Iterable<[Uint8Array, Uint8Array]>): CommitResult {
  const { id, parent } = record;
  if (dbs.records.doesExist(id)) throw new StoreError(`checkpoint ${id} already exists in ${dbs.dir}`);
  if (parent !== null && !dbs.records.doesExist(parent)) {
    throw new StoreError(`parent checkpoint ${parent} of ${id} is not in the store; ${unknownCheckpoint(dbs, parent).message}`);
  }
  if (parent !== null && readRecord(dbs, parent)?.chain !== record.parentChain) {
    throw new StoreError(
      `checkpoint ${id}: its parent ${parent} in ${dbs.dir} was written by another run (two runs checkpointing into one store at once); not linking them — give each run its own store`,
    );
  }
  let pagesWritten = 0;
  let bytesWritten = 0;
  for (const [hash, bytes] of newPages) {
    const key = hashKey(hash);
    if (dbs.pages.doesExist(key)) continue; // deduplicated: another checkpoint stored it
    checkPage(id, hash, bytes);
    dbs.pages.putSync(key, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    pagesWritten++;
    bytesWritten += bytes.byteLength;
  }
  const c = readCounters(dbs);
  const stored: StoredRecord = { seq: c.nextSeq, parent, manifest: record.manifest, ...(record.chain !== undefined ? { chain: record.chain } : {}) };
  dbs.records.putSync(id, sealJson(stored));
  dbs.tables.putSync(id, seal(record.pageTable));
  dbs.extras.putSync(id, seal(record.extraHashes));
  dbs.order.putSync(stored.seq, id);
  dbs.root.putSync('counters', { nextSeq: c.nextSeq + 1, pages: c.pages + pagesWritten, pageBytes: c.pageBytes + bytesWritten });
  return { pagesWritten, bytesWritten };
}

let sideRejectionsIgnored = false;

/**
 * When an asynchronous LMDB commit fails (a full disk), lmdb rejects, besides the transaction's
 * own promise (which commitAsync's caller handles and reports), promises of the individual writes
 * that nobody holds; Node would end the process over them. Those carry a `commitError` and are
 * dropped here; any other unhandled rejection is left to Node as before.
 */
function ignoreLmdbSideRejections(): void {
  if (sideRejectionsIgnored) return;
  sideRejectionsIgnored = true;
  // lmdb also prints the failed commit's error with its stack; the failure reaches the user as
  // one line through the commit's promise instead.
  const printError = console.error.bind(console);
  console.error = (...args: unknown[]) => {
    const only = args.length === 1 ? args[0] : undefined;
    if (only instanceof Error && /node_modules[\\/]lmdb[\\/]/.test(only.stack ?? '')) return;
    printError(...args);
  };
  process.on('unhandledRejection', (reason) => {
    if (reason instanceof Error && 'commitError' in reason) {
      (reason as { commitError?: Promise<unknown> }).commitError?.catch(() => undefined);
      return;
    }
    throw reason;
  });
}

/** The reason behind lmdb's "Commit failed", as far as the error says (a full disk is EIO or ENOSPC). */
function describeCommitError(e: Error): string {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number' ? `the database reported ${code}; is the disk full?` : 'is the disk full?';
}

/** Reject a malformed record before opening a write transaction. */
function checkRecord(r: CheckpointRecord): void {
  if (typeof r.id !== 'string' || r.id.length === 0 || r.id.length > MAX_ID_LENGTH) {
    throw new StoreError(`checkpoint id must be 1 to ${MAX_ID_LENGTH} characters, got ${JSON.stringify(r.id)}`);
  }
  const m = r.manifest as { id?: unknown; parent?: unknown };
  if ('id' in m && m.id !== r.id) throw new StoreError(`checkpoint ${r.id}: manifest names id ${String(m.id)}`);
  if ('parent' in m && (m.parent ?? null) !== r.parent) {
    throw new StoreError(`checkpoint ${r.id}: manifest names parent ${String(m.parent)}, record names ${String(r.parent)}`);
  }
  // Refuse to store a table nobody could read back; a delta must be against the parent.
  if (isDelta(r.pageTable)) {
    const d = decodeDelta(r.pageTable, `checkpoint ${r.id}`);
    if (d.base !== r.parent) throw new StoreError(`checkpoint ${r.id}: page table delta is against ${d.base}, not the parent ${String(r.parent)}`);
    if (d.depth > MAX_DELTA_DEPTH) throw new StoreError(`checkpoint ${r.id}: page table delta depth ${d.depth} exceeds ${MAX_DELTA_DEPTH}`);
  } else {
    decodePageTable(r.pageTable, `checkpoint ${r.id}`);
  }
  splitHashes(r.extraHashes, `checkpoint ${r.id}`);
}

/** Reject a page the store must never hold. */
function checkPage(id: string, hash: Uint8Array, bytes: Uint8Array): void {
  if (hash.byteLength !== HASH_BYTES) throw new StoreError(`checkpoint ${id}: page hash must be ${HASH_BYTES} bytes`);
  if (bytes.byteLength === 0 || bytes.byteLength > MAX_PAGE_BYTES) {
    throw new StoreError(`checkpoint ${id}: page ${hashHex(hash)} is ${bytes.byteLength} bytes; pages hold 1 to ${MAX_PAGE_BYTES}`);
  }
  // All-zero pages are implied by their absence from a page table, never stored.
  if (isZero(bytes)) throw new StoreError(`checkpoint ${id}: page ${hashHex(hash)} is all zeros; zero pages are not stored`);
}
