/**
 * Taking checkpoints of a running machine. The first checkpoint hashes every page that can hold
 * data; each later one re-hashes only the pages dirtied since its parent and carries the rest of
 * the parent's page table over. Pages the sink already holds are not sent again. Pages of private
 * file mappings that hold the file's bytes are not stored: the map refers to the file for them
 * (file-pages.ts); they are looked at again when dirtied, and all of a mapping's pages are when
 * the mapping or its file changed since the last capture.
 */
import * as crypto from 'crypto';
import { saveMachineState, spacesOf } from '../machine/machine-state';
import { DirtyLedger, Machine } from '../machine/machine';
import { AddressSpace, PAGE_COUNT, PAGE_MAPPED, PAGE_SIZE } from '../memory/address-space';
import { listPages, PageBitmap } from '../memory/page-bitmap';
import { prefaultPages } from '../memory/prefault';
import { CheckpointManifest, SNAPSHOT_VERSION, SpacePages } from './manifest';
import { collectBlockHashes, vfsRecord } from './files-record';
import { HASH_BYTES, hashHex, hashPages, HashSet } from './page-hash';
import { checkpointId, newRunPart } from './checkpoint-id';
import { encodeDelta, encodePageTable, MAX_DELTA_DEPTH, PageTable } from './page-table';
import { PutPage, SnapshotRecord, SnapshotSink } from './sink';
import { isFilePage, MappedFileIdentities, MappedRange, recordFilePages } from './file-pages';

/** What capture() reports. */
export interface CaptureResult {
  id: string;
  manifest: CheckpointManifest;
}

/** What captureAsync() reports: the checkpoint exists once `committed` resolves. */
export interface PendingCapture extends CaptureResult {
  committed: Promise<void>;
}

/** A capture ready to be committed. */
interface Staged {
  record: SnapshotRecord & { manifest: CheckpointManifest };
  pages: PutPage[];
  asDelta: boolean;
  t0: bigint;
  /** The file mappings' keys as of this capture. */
  mappedKeys: Set<string>;
  /** The buffer the main memory's pages were copied into. */
  copyBuffer: Uint8Array;
}

/**
 * A dense page table over the whole address space: a presence bitmap and 16 bytes a page, and the
 * pages referred to their file instead (with their hashes in the same array).
 */
class LiveTable {
  readonly present = new PageBitmap(PAGE_COUNT);
  readonly referred = new PageBitmap(PAGE_COUNT);
  readonly hashes = new Uint8Array(PAGE_COUNT * HASH_BYTES);

  load(t: PageTable): void {
    this.present.reset();
    this.referred.reset();
    t.pages.forEach((p, i) => {
      this.present.set(p);
      this.hashes.set(t.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES), p * HASH_BYTES);
    });
  }

  toPageTable(): PageTable {
    const pages = Uint32Array.from(this.present.pages());
    const hashes = new Uint8Array(pages.length * HASH_BYTES);
    // Four words a page rather than a subarray and a set per page (49,000 of them in a full table).
    const from = new Uint32Array(this.hashes.buffer);
    const to = new Uint32Array(hashes.buffer);
    for (let i = 0; i < pages.length; i++) {
      const a = pages[i] * 4;
      const b = i * 4;
      to[b] = from[a];
      to[b + 1] = from[a + 1];
      to[b + 2] = from[a + 2];
      to[b + 3] = from[a + 3];
    }
    return { pages, hashes };
  }
}

/** How a Checkpointer names its checkpoints. */
export interface CheckpointerOptions {
  /** The run part of this run's ids (default: a fresh random one the sink does not hold yet). */
  run?: string;
}

/** Takes successive checkpoints of one machine into one sink. */
export class Checkpointer {
  private readonly table = new LiveTable();
  private parent: string | null;
  /** Deltas between the parent's table and a full one. */
  private depth = 0;
  /** This run's id part, and the sequence number of the last id handed out. */
  readonly run: string;
  private lastNumber = 0;
  /** The first background commit that failed: later ones would build on a missing parent. */
  private failure: Error | undefined;
  /** This run's chain token, and the chain the next checkpoint's parent belongs to. */
  private readonly chain = crypto.randomBytes(8).toString('hex');
  private parentChain: string | undefined;
  /** Pages dirtied since this checkpointer's last capture, whoever else rearms the bitmap. */
  private readonly ledger: DirtyLedger;
  /** The file mappings (and their files' identities) as of the last capture: see MappedRange.key. */
  private mappedKeys = new Set<string>();
  private readonly mappedFiles = new MappedFileIdentities();
  private readonly copies = new SpareCopies();

  /** `parent`: the checkpoint the machine was restored from, whose page table is the baseline. */
  constructor(
    private readonly sink: SnapshotSink,
    private readonly machine: Machine,
    parent: string | null = null,
    opts: CheckpointerOptions = {},
  ) {
    this.parent = parent;
    this.run = opts.run ?? freshRun(sink);
    this.ledger = machine.openDirtyLedger();
    if (parent) {
      const base = sink.baseline(parent);
      this.table.load(base.table);
      this.depth = base.depth;
      this.parentChain = base.chain;
    }
  }

  /** Stop following the machine's dirty pages (the checkpointer takes no more captures). */
  close(): void {
    this.ledger.close();
    this.copies.settle();
  }

  /** Capture the stopped machine now and commit it; returns the new checkpoint's id and manifest. */
  capture(): CaptureResult {
    const staged = this.stage();
    this.sink.commit(staged.record, staged.pages);
    this.copies.release(staged.copyBuffer, this.sink);
    return this.advance(staged);
  }

  /**
   * Capture the stopped machine now and commit it in the background: the guest may run on as
   * soon as this returns (the pages were copied); `committed` settles when the checkpoint is
   * durable. `stats.captureMs` is the time the guest was stopped.
   */
  captureAsync(): PendingCapture {
    if (this.failure) throw this.failure;
    const staged = this.stage();
    const committed = this.sink.commitAsync(staged.record, staged.pages).then(
      () => this.copies.release(staged.copyBuffer, this.sink),
      (e: Error) => {
        this.copies.release(staged.copyBuffer, this.sink);
        this.failure ??= e;
        throw e;
      },
    );
    // Unhandled until the caller attaches its own handlers; never let it crash the process.
    committed.catch(() => undefined);
    return { ...this.advance(staged), committed };
  }

  /** Everything up to the commit: hash dirty pages, copy new ones, build the record. */
  private stage(): Staged {
    const t0 = process.hrtime.bigint();
    const m = this.machine;
    const space = m.space;
    const state = saveMachineState(m);
    const ranges = this.mappedFiles.identify(space, state.regions, m.vfs);
    // Other processes' pages are stored in full; their files' identities are still checked on restore.
    const others = state.procs?.spaces ?? [];
    spacesOf(m)
      .slice(1)
      .forEach((sp, i) => others[i] && this.mappedFiles.identify(sp, others[i].regions, m.vfs));
    this.mappedFiles.settle();
    const candidates = this.candidates(space, ranges);
    const rangeAt = (p: number) => ranges.find((r) => p * PAGE_SIZE >= r.start && p * PAGE_SIZE < r.end);
    const newPages: PutPage[] = [];
    const seen = new HashSet();
    const id = checkpointId(this.run, this.lastNumber + 1);
    let dedupHits = 0;
    const copies = new CopyArena();
    const mapped = Uint32Array.from(candidates.filter((p) => space.perms[p] & PAGE_MAPPED));
    const held = this.sink.pagePresence?.(mapped.length) ?? ((h: Uint8Array) => this.sink.hasPage(h));
    // `owned`: the bytes and hash are private copies already (the batch hashing made them).
    const consider = (bytes: Uint8Array, hash: Uint8Array, owned = false): void => {
      if (!seen.add(hash)) return;
      if (held(hash)) dedupHits++;
      // Copied: the sink cannot take views of the memory that backs the guest, which runs on.
      else newPages.push(owned ? [hash, bytes] : [copies.copy(hash), copies.copy(bytes)]);
    };
    const setPages: number[] = [];
    const removed: number[] = [];
    const copied = this.copies.take(mapped.length * PAGE_SIZE, this.sink);
    const { hashes, zero } = hashAndCopy(space, mapped, copied);
    const drop = (p: number): void => {
      if (this.table.present.has(p)) removed.push(p);
      this.table.present.clear(p);
    };
    for (const p of candidates) {
      if (space.perms[p] & PAGE_MAPPED) continue;
      this.table.referred.clear(p);
      drop(p);
    }
    const memory = space.bytes;
    // The table's and the batch's hashes compared and copied as words: a subarray per page for
    // each was a good part of a full checkpoint's pause.
    const tableWords = new Uint32Array(this.table.hashes.buffer);
    const batchWords = new Uint32Array(hashes.buffer);
    const sameHash = (a: number, b: number) =>
      tableWords[a] === batchWords[b] &&
      tableWords[a + 1] === batchWords[b + 1] &&
      tableWords[a + 2] === batchWords[b + 2] &&
      tableWords[a + 3] === batchWords[b + 3];
    const keepHash = (a: number, b: number) => {
      tableWords[a] = batchWords[b];
      tableWords[a + 1] = batchWords[b + 1];
      tableWords[a + 2] = batchWords[b + 2];
      tableWords[a + 3] = batchWords[b + 3];
    };
    for (let i = 0; i < mapped.length; i++) {
      const p = mapped[i];
      this.table.referred.clear(p);
      if (zero[i]) {
        drop(p);
        continue;
      }
      const range = ranges.length ? rangeAt(p) : undefined;
      if (range && isFilePage(range, p, memory.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE))) {
        keepHash(p * 4, i * 4);
        this.table.referred.set(p);
        drop(p);
        continue;
      }
      if (this.table.present.has(p) && sameHash(p * 4, i * 4)) continue;
      keepHash(p * 4, i * 4);
      this.table.present.set(p);
      setPages.push(p);
      consider(copied.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE), hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES), true);
    }
    this.recordReferred(space, rangeAt, setPages, consider);
    // Other processes' memory is listed in full each time; the store keeps each content once.
    const spaces = state.procs
      ? spacesOf(m)
          .slice(1)
          .map((sp) => this.spacePages(sp, consider))
      : undefined;
    const vfs = vfsRecord(m.vfs.save(), consider);
    // An increment stores only what changed (a full table costs 20 bytes per resident page);
    // every MAX_DELTA_DEPTH increments a full table bounds the chain readers must follow.
    const asDelta = this.parent !== null && this.depth < MAX_DELTA_DEPTH;
    const encoded = asDelta
      ? encodeDelta({ base: this.parent!, depth: this.depth + 1, set: this.entries(setPages), removed: Uint32Array.from(removed).sort() })
      : encodePageTable(this.table.toPageTable());
    const zeroPages = zeroRuns(space.touched, this.table.present, this.table.referred);
    const consoles = m.consoles();
    const filePages = this.table.referred.count();
    const manifest: CheckpointManifest = {
      version: SNAPSHOT_VERSION,
      id,
      parent: this.parent,
      created: new Date().toISOString(),
      boot: { ...m.spec, profile: { ...m.spec.profile } },
      state,
      vfs,
      modelledSeconds: m.clock.seconds(),
      output: { stdout: consoles[1].written, stderr: consoles[2].written },
      zeroPages,
      ...(spaces ? { spaces } : {}),
      stats: {
        pagesScanned: candidates.length,
        residentPages: this.table.present.count() + filePages,
        filePages,
        newPages: newPages.length,
        newBytes: newPages.reduce((n, [, b]) => n + b.length, 0),
        dedupHits,
        captureMs: 0,
      },
    };
    const record = {
      id,
      parent: this.parent,
      manifest,
      pageTable: encoded,
      extraHashes: withSpaceHashes(collectBlockHashes(vfs), spaces),
      chain: this.chain,
      parentChain: this.parentChain,
    };
    return { record, pages: newPages, asDelta, t0, mappedKeys: new Set(ranges.map((r) => r.key)), copyBuffer: copied };
  }

  /**
   * The pages to look at: without a parent every page that can hold data, after one the dirty
   * ones; and every page of a file mapping new since the last capture or whose file changed.
   */
  private candidates(space: AddressSpace, ranges: MappedRange[]): number[] {
    const base = this.parent === null ? space.touched.pages() : this.ledger.pages();
    const fresh = ranges.filter((r) => !this.mappedKeys.has(r.key));
    if (!fresh.length) return base;
    const all = new PageBitmap(PAGE_COUNT);
    for (const p of base) all.set(p);
    for (const r of fresh) for (let p = r.start / PAGE_SIZE; p < r.end / PAGE_SIZE; p++) if (space.touched.has(p)) all.set(p);
    return all.pages();
  }

  /**
   * Put the referred pages into their mappings' records. A page referred at an earlier capture
   * whose mapping no longer names its file (the file was renamed or deleted) is stored instead.
   */
  private recordReferred(
    space: AddressSpace,
    rangeAt: (p: number) => MappedRange | undefined,
    setPages: number[],
    consider: (bytes: Uint8Array, hash: Uint8Array) => void,
  ): void {
    const byRange = new Map<MappedRange, number[]>();
    const hashOf = (p: number) => this.table.hashes.subarray(p * HASH_BYTES, (p + 1) * HASH_BYTES);
    for (const p of this.table.referred.pages()) {
      const range = rangeAt(p);
      if (range) {
        byRange.set(range, [...(byRange.get(range) ?? []), p]);
        continue;
      }
      this.table.referred.clear(p);
      this.table.present.set(p);
      setPages.push(p);
      consider(space.bytes.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE), hashOf(p));
    }
    for (const [range, pages] of byRange) recordFilePages(range, pages, hashOf);
  }

  /** Every page of `space` that holds data, hashed and offered to `consider`, and the zero-page runs. */
  private spacePages(space: AddressSpace, consider: (bytes: Uint8Array, hash: Uint8Array, owned: boolean) => void): SpacePages {
    const pages: [number, string][] = [];
    const present = new PageBitmap(PAGE_COUNT);
    const mapped = Uint32Array.from(space.touched.pages().filter((p) => space.perms[p] & PAGE_MAPPED));
    const copied = new Uint8Array(mapped.length * PAGE_SIZE);
    const { hashes, zero } = hashAndCopy(space, mapped, copied);
    for (let i = 0; i < mapped.length; i++) {
      if (zero[i]) continue;
      const p = mapped[i];
      const hash = hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
      present.set(p);
      pages.push([p, hashHex(hash)]);
      consider(copied.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE), hash, true);
    }
    return { pages, zeroPages: zeroRuns(space.touched, present) };
  }

  /** The capture is committed or queued: start the next dirty interval from it. */
  private advance(s: Staged): CaptureResult {
    const manifest = s.record.manifest;
    this.machine.rearmDirtyTracking();
    this.ledger.clear();
    this.parent = s.record.id;
    this.parentChain = this.chain;
    this.depth = s.asDelta ? this.depth + 1 : 0;
    this.mappedKeys = s.mappedKeys;
    this.lastNumber++;
    manifest.stats.captureMs = Number(process.hrtime.bigint() - s.t0) / 1e6;
    return { id: s.record.id, manifest };
  }

  /** Table entries for `pages` (ascending), from the live table. */
  private entries(pages: number[]): PageTable {
    const sorted = Uint32Array.from(pages).sort();
    const hashes = new Uint8Array(sorted.length * HASH_BYTES);
    sorted.forEach((p, i) => hashes.set(this.table.hashes.subarray(p * HASH_BYTES, (p + 1) * HASH_BYTES), i * HASH_BYTES));
    return { pages: sorted, hashes };
  }
}

/** The referenced-hash list with the other spaces' page hashes added (so pruning keeps those pages). */
function withSpaceHashes(blocks: Uint8Array, spaces: SpacePages[] | undefined): Uint8Array {
  const hexes = (spaces ?? []).flatMap((sp) => sp.pages.map(([, h]) => h));
  if (!hexes.length) return blocks;
  const out = new Uint8Array(blocks.length + hexes.length * HASH_BYTES);
  out.set(blocks);
  hexes.forEach((h, i) => out.set(Buffer.from(h, 'hex'), blocks.length + i * HASH_BYTES));
  return out;
}

/**
 * Hashes of `pages` of `space` and which of them are all zeros; each page that is not is copied
 * into `copied` (at 4096 i), in the same pass over the memory, shared by the host's cores. The
 * copies are taken whether or not the store already holds the page: copying a page just hashed,
 * while it is in the cache, costs less than a second pass over the new ones would.
 */
function hashAndCopy(space: AddressSpace, pages: Uint32Array, copied: Uint8Array): { hashes: Uint8Array; zero: Uint8Array } {
  const hashes = new Uint8Array(pages.length * HASH_BYTES);
  const zero = new Uint8Array(pages.length);
  hashPages(space.bytes, pages, hashes, zero, copied);
  return { hashes, zero };
}

/**
 * The buffer of page copies of the last committed capture, kept for the next one when the sink
 * copied the pages out of it. Memory written for the first time costs the host a page fault
 * (1.3–2 µs a page where this was measured, more than hashing and copying the page together), so
 * a capture that reuses a buffer already written pays only for the copy. Buffers above
 * MAX_SPARE are let go rather than kept: the memory would sit idle between captures.
 */
class SpareCopies {
  private static readonly MAX_SPARE = 64 * 2 ** 20;
  /** Small captures get at least this much, so that the next, slightly larger one fits too. */
  private static readonly MIN_BUFFER = 4 * 2 ** 20;
  private spare: Uint8Array | undefined;
  /** Waits for the background faulting-in of the room a new buffer has beyond its first use. */
  private prefaulting: (() => void) | undefined;

  /**
   * A buffer of at least `bytes` (its contents are overwritten before use) for pages going to
   * `sink`; only a sink that copies the pages out lets it be kept for the next capture.
   */
  take(bytes: number, sink: SnapshotSink): Uint8Array {
    this.settle();
    const s = this.spare;
    this.spare = undefined;
    if (s && s.byteLength >= bytes) return s.subarray(0, bytes);
    if (!sink.copiesPages) return new Uint8Array(bytes);
    const size = bytes <= SpareCopies.MAX_SPARE ? Math.max(bytes, SpareCopies.MIN_BUFFER) : bytes;
    const buffer = new Uint8Array(size);
    // The room beyond this capture's pages is faulted in on another core while the guest runs on,
    // so that the next capture that reuses the buffer does not take those faults in its pause.
    const used = Math.ceil(bytes / PAGE_SIZE);
    const room = size / PAGE_SIZE - used;
    if (room > 0)
      this.prefaulting = prefaultPages(
        buffer,
        Uint32Array.from({ length: room }, (_, i) => used + i),
      );
    return buffer.subarray(0, bytes);
  }

  /** Wait for any background faulting-in to finish. */
  settle(): void {
    this.prefaulting?.();
    this.prefaulting = undefined;
  }

  /** `used` (from take) is free again when `sink` copies the pages it was given. */
  release(used: Uint8Array, sink: SnapshotSink): void {
    if (!sink.copiesPages) return;
    const whole = new Uint8Array(used.buffer, 0, used.buffer.byteLength);
    if (whole.byteLength > SpareCopies.MAX_SPARE) return;
    if (!this.spare || this.spare.byteLength < whole.byteLength) this.spare = whole;
  }
}

/**
 * Copies carved out of large buffers: one allocation per few thousand pages instead of one per
 * page (allocating 49,000 separate 4 KiB copies was a third of a full checkpoint's pause). The
 * copies are never written, so sharing a buffer is safe; a buffer lives while any copy does.
 */
class CopyArena {
  private static readonly CHUNK = 4 * 2 ** 20;
  private chunk = new Uint8Array(0);
  private used = 0;

  /** A copy of `bytes` that no later write to them reaches. */
  copy(bytes: Uint8Array): Uint8Array {
    if (bytes.length > CopyArena.CHUNK) return bytes.slice();
    if (this.used + bytes.length > this.chunk.length) {
      this.chunk = new Uint8Array(CopyArena.CHUNK);
      this.used = 0;
    }
    const out = this.chunk.subarray(this.used, this.used + bytes.length);
    out.set(bytes);
    this.used += bytes.length;
    return out;
  }
}

/** Runs of pages set in `touched` but not in `present` nor `referred` (written, yet all zeros). */
function zeroRuns(touched: PageBitmap, present: PageBitmap, referred?: PageBitmap): [number, number][] {
  const runs: [number, number][] = [];
  for (const page of referred ? listPages(touched, undefined, present, referred) : listPages(touched, undefined, present)) {
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === page) last[1]++;
    else runs.push([page, 1]);
  }
  return runs;
}

/** A random run part no checkpoint in `sink` uses yet (a clash is a one-in-a-billion draw). */
function freshRun(sink: SnapshotSink): string {
  for (;;) {
    const run = newRunPart();
    if (!sink.has(checkpointId(run, 1))) return run;
  }
}
