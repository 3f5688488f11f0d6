/**
 * Where restore, live apply and diff read checkpoints from: a checkpoint's manifest and full page
 * table, and pages by hash, each verified against its hash before it is returned. The LMDB store
 * is one source; a link to another machine is another.
 */
import { CheckpointManifest, checkManifest } from './manifest';
import { PageTable } from './page-table';

/** Where a page is used, for error messages: the checkpoint, and the guest page or block. */
export interface PageContext {
  checkpoint: string;
  page?: number;
  /** What the hash names when it is not a guest page, e.g. "file block". */
  what?: string;
}

/** The sending end of restore. */
export interface SnapshotSource {
  /** Checkpoint ids held, oldest first. */
  ids(): string[];
  /** The manifest committed with `id` as stored (checkManifest() says whether it is readable). */
  manifest(id: string): object;
  /** The full page table of `id` (any deltas applied). */
  readTable(id: string): PageTable;
  /** Page or block bytes, verified against `hash`; fails naming `context` when missing or altered. */
  readPage(hash: Uint8Array, context?: PageContext): Uint8Array;
  /**
   * Optional fast path of read-pages.ts: copy the bytes of pages `pages[i]` (hash at 16 i of
   * `hashes`) of `checkpoint` into `memory` at page `pages[i]`, NOT verified (the caller hashes
   * them all at once); fails like readPage when a page is missing.
   */
  copyPagesInto?(hashes: Uint8Array, pages: Uint32Array, memory: Uint8Array, checkpoint: string): void;
}

/** A checkpoint's manifest (format-checked) and full page table. */
export function loadCheckpoint(source: SnapshotSource, id: string): { manifest: CheckpointManifest; table: PageTable } {
  return { manifest: checkManifest(source.manifest(id), id), table: source.readTable(id) };
}
