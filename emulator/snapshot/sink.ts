/**
 * Where capture sends checkpoints. A sink answers whether it already holds a page (so a page
 * travels or is written once), tells capture about a parent it holds (the baseline an increment
 * is taken against), and takes a checkpoint as one unit: the record plus the pages it puts. One
 * unit, so that a sink never holds pages no record refers to, or a record whose pages are missing.
 * The LMDB store is one sink; a link to another machine is another.
 */
import { PageTable } from './page-table';

/** A checkpoint as capture hands it to a sink. */
export interface SnapshotRecord {
  id: string;
  parent: string | null;
  /** Opaque to the sink, except that `id` and `parent`, when present, must match the record. */
  manifest: object;
  /** Encoded page table: a full table or a delta against `parent` (see page-table.ts). */
  pageTable: Uint8Array;
  /** Concatenated 16-byte hashes the checkpoint references outside its page table. */
  extraHashes: Uint8Array;
  /** The writer's chain: a token naming one run's succession of checkpoints. */
  chain?: string;
  /**
   * The chain the writer believes the parent belongs to; a sink refuses the commit when its
   * parent's differs, so two runs writing into one sink can never link their checkpoints.
   */
  parentChain?: string;
}

/** A page a commit puts: its 16-byte hash and its bytes (not all zeros). */
export type PutPage = [hash: Uint8Array, bytes: Uint8Array];

/** What capture needs to know about a parent to take an increment against it. */
export interface ParentBaseline {
  /** The parent's full page table. */
  table: PageTable;
  /** Deltas between the parent's stored table and a full one (0 when stored in full). */
  depth: number;
  /** The chain the parent was committed in (undefined when written before chains existed). */
  chain: string | undefined;
}

/** The receiving end of capture. */
export interface SnapshotSink {
  /** True when a page with this hash is already held (capture then does not put it). */
  hasPage(hash: Uint8Array): boolean;
  /**
   * A test of which pages are held, for a capture about to ask about `count` of them; a sink that
   * can answer many questions faster at once than one by one implements it (capture falls back
   * to hasPage).
   */
  pagePresence?(count: number): (hash: Uint8Array) => boolean;
  /** True when checkpoint `id` is already held. */
  has(id: string): boolean;
  /** What an increment against checkpoint `id` builds on. */
  baseline(id: string): ParentBaseline;
  /** Take `record` and the pages it puts, all or nothing, before returning. */
  commit(record: SnapshotRecord, pages: PutPage[]): unknown;
  /**
   * The same as commit, finished in the background: the promise settles once the checkpoint is
   * durable (or was refused, leaving nothing behind). Commits apply in call order, so a child may
   * follow its parent at once. The caller must not change `pages` afterwards.
   */
  commitAsync(record: SnapshotRecord, pages: PutPage[]): Promise<unknown>;
  /**
   * True when the sink copies the pages of a commit and keeps no reference to their buffers once
   * commit has returned or commitAsync has settled: capture may then reuse those buffers.
   */
  readonly copiesPages?: boolean;
}
