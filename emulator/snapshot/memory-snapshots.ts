/**
 * Checkpoints held in memory: a snapshot sink and source with no storage behind it. It keeps
 * what a checkpoint's receiver must (full page tables, pages by hash, chains) and checks what a
 * receiver must check (the parent is held and of the same run, pages match their hashes), so
 * capture and restore can be run through it exactly as through the LMDB store.
 */
import { StoreDamageError, StoreError } from './errors';
import { HASH_BYTES, hashBytes, hashHex } from './page-hash';
import { applyDelta, decodeDelta, decodePageTable, isDelta, MAX_DELTA_DEPTH, PageTable } from './page-table';
import { ParentBaseline, PutPage, SnapshotRecord, SnapshotSink } from './sink';
import { PageContext, SnapshotSource } from './source';

/** One held checkpoint. */
interface Held {
  parent: string | null;
  manifest: object;
  table: PageTable;
  depth: number;
  chain: string | undefined;
}

/** Checkpoints and pages in memory. */
export class MemorySnapshots implements SnapshotSink, SnapshotSource {
  private readonly pages = new Map<string, Uint8Array>();
  private readonly held = new Map<string, Held>();

  /** True when a page with this hash is held. */
  hasPage(hash: Uint8Array): boolean {
    return this.pages.has(hashHex(hash));
  }

  /** True when checkpoint `id` is held. */
  has(id: string): boolean {
    return this.held.has(id);
  }

  /** The parent's full table, delta depth and chain. */
  baseline(id: string): ParentBaseline {
    const h = this.get(id);
    return { table: h.table, depth: h.depth, chain: h.chain };
  }

  /** Take a checkpoint and its pages, or nothing when any of it is refused. */
  commit(record: SnapshotRecord, pages: PutPage[]): void {
    const { id, parent } = record;
    if (this.held.has(id)) throw new StoreError(`checkpoint ${id} already exists`);
    const base = parent === null ? undefined : this.held.get(parent);
    if (parent !== null && !base) throw new StoreError(`parent checkpoint ${parent} of ${id} is not held`);
    if (base && base.chain !== record.parentChain) throw new StoreError(`checkpoint ${id}: its parent ${parent} was written by another run; not linking them`);
    let table: PageTable;
    let depth = 0;
    if (isDelta(record.pageTable)) {
      const d = decodeDelta(record.pageTable, `checkpoint ${id}`);
      if (d.base !== parent || !base) throw new StoreError(`checkpoint ${id}: page table delta is against ${d.base}, not the parent ${String(parent)}`);
      if (d.depth > MAX_DELTA_DEPTH) throw new StoreError(`checkpoint ${id}: page table delta depth ${d.depth} exceeds ${MAX_DELTA_DEPTH}`);
      table = applyDelta(base.table, d);
      depth = d.depth;
    } else {
      table = decodePageTable(record.pageTable, `checkpoint ${id}`);
    }
    for (const [hash, bytes] of pages) {
      if (hash.byteLength !== HASH_BYTES || Buffer.compare(hashBytes(bytes), hash) !== 0)
        throw new StoreError(`checkpoint ${id}: page ${hashHex(hash)} does not match its hash`);
    }
    for (const [hash, bytes] of pages) this.pages.set(hashHex(hash), bytes.slice());
    // A copy, as a receiver at the other end of a link would hold.
    const manifest = JSON.parse(JSON.stringify(record.manifest)) as object;
    this.held.set(id, { parent, manifest, table, depth, chain: record.chain });
  }

  /** commit(), settled as a promise (memory needs no background work). */
  commitAsync(record: SnapshotRecord, pages: PutPage[]): Promise<void> {
    // The executor runs at once: the commit happens now, and a refusal rejects the promise.
    return new Promise((resolve) => {
      this.commit(record, pages);
      resolve();
    });
  }

  /** Held ids in commit order. */
  ids(): string[] {
    return [...this.held.keys()];
  }

  /** The manifest committed with `id`. */
  manifest(id: string): object {
    return this.get(id).manifest;
  }

  /** The full page table of `id`. */
  readTable(id: string): PageTable {
    return this.get(id).table;
  }

  /** Page bytes, verified against their hash. */
  readPage(hash: Uint8Array, context?: PageContext): Uint8Array {
    const where = context ? `checkpoint ${context.checkpoint}: ${context.what ?? `page 0x${(context.page ?? 0).toString(16)}`}` : 'page';
    const bytes = this.pages.get(hashHex(hash));
    if (!bytes) throw new StoreDamageError(`${where} (hash ${hashHex(hash)}): not held`);
    if (Buffer.compare(hashBytes(bytes), hash) !== 0) throw new StoreDamageError(`${where} (hash ${hashHex(hash)}): held bytes do not match their hash`);
    return bytes;
  }

  private get(id: string): Held {
    const h = this.held.get(id);
    if (!h) throw new StoreError(`unknown checkpoint ${id}; held: ${this.ids().join(', ') || 'none'}`);
    return h;
  }
}
