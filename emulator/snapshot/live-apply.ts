/**
 * Bringing a machine that is already running (booted, or restored and run on) to a checkpoint,
 * leaving it exactly as a machine restored cold from that checkpoint: the same memory map, pages,
 * registers, kernel state, writable layer, clock and counters. Only pages whose content differs
 * are written. This is how an increment computed elsewhere (a clone's) is taken back. Pages the
 * checkpoint refers to mapped files for are read from the files (file-pages.ts).
 */
import { restoreMachineState } from '../machine/machine-state';
import { Machine } from '../machine/machine';
import { PAGE_MAPPED, PAGE_SIZE, PROT_EXEC } from '../memory/address-space';
import { PageBitmap } from '../memory/page-bitmap';
import { CheckpointError } from './errors';
import { CheckpointManifest } from './manifest';
import { HASH_BYTES, hashPages } from './page-hash';
import { forEachDifference, hashAt, PageTable } from './page-table';
import { importLayer, markZeroPages, profileMismatch } from './restore';
import { filePages, mappedFileReader } from './file-pages';
import { readPagesInto } from './read-pages';
import { loadCheckpoint, SnapshotSource } from './source';

/** How to apply. */
export interface LiveApplyOptions {
  /**
   * The checkpoint this machine was last captured at, restored from or brought to, when nothing
   * but the pages in its dirty bitmap has changed since: then only those pages and the pages the
   * two page tables disagree on are looked at. Without it every resident page is hashed.
   */
  since?: string;
}

/** What an apply did. */
export interface LiveApplyResult {
  manifest: CheckpointManifest;
  /** Pages looked at, written with the checkpoint's bytes, and zeroed. */
  pagesChecked: number;
  pagesWritten: number;
  pagesZeroed: number;
}

/** Bring the running `machine` to checkpoint `id` of `source`. */
export function applyCheckpointLive(machine: Machine, source: SnapshotSource, id: string, opts: LiveApplyOptions = {}): LiveApplyResult {
  const { manifest, table } = loadCheckpoint(source, id);
  checkSameImage(machine, manifest);
  if (manifest.state.procs) {
    throw new CheckpointError(`checkpoint ${id} holds several processes or threads: it can be restored into a new machine, not applied to a running one`);
  }
  const fromFiles = filePages(manifest.state.regions, `checkpoint ${id}`);
  const why = profileMismatch(manifest, table.pages.length + fromFiles.length, machine.spec.profile);
  if (why) throw new CheckpointError(why);
  // Read the baseline before anything changes, so a missing one leaves the machine as it was.
  const since = opts.since === undefined ? undefined : source.readTable(opts.since);
  const space = machine.space;
  // Pages the baseline referred to files are in neither table: the pages of the machine's file
  // mappings are looked at too (a mapping changed since the baseline dirtied its pages anyway).
  const mappedNow: number[] = [];
  for (const r of space.regions()) {
    if (!r.backing || r.backing.shared) continue;
    for (let p = r.start / PAGE_SIZE; p < r.end / PAGE_SIZE; p++) if (space.touched.has(p)) mappedNow.push(p);
  }
  machine.forgetRunState();
  // Descriptors go before the layer they point into is replaced; the fd table's restore reopens them.
  const fds = machine.kernel.fds;
  for (const { fd } of fds.entries()) fds.close(fd);
  importLayer(machine, manifest, source);
  // Regions first: unmapping zeroes pages and marks them dirty, so candidates are read after it
  // (and before the state's restore, which starts a new dirty interval).
  space.restore(manifest.state.regions);
  const candidates = new PageBitmap(space.touched.pageCount);
  if (since) {
    for (const p of space.dirty.pages()) candidates.set(p);
    for (const p of differingPages(since, table)) candidates.set(p);
    for (const p of mappedNow) candidates.set(p);
  } else {
    for (const p of space.touched.pages()) candidates.set(p);
    for (const p of table.pages) candidates.set(p);
  }
  for (const fp of fromFiles) candidates.set(fp.page);
  restoreMachineState(machine, manifest.state);
  const readFile = mappedFileReader(space, manifest.state.regions, id);
  const fromFile = new Map(fromFiles.map((fp) => [fp.page, fp]));
  const want = new Map<number, number>();
  table.pages.forEach((p, i) => want.set(p, i));
  let checked = 0;
  let written = 0;
  let zeroed = 0;
  const codeChanged: number[] = [];
  const reads: number[] = [];
  // What the resident candidates hold now, hashed in one native batch.
  const list = candidates.pages();
  const resident = Uint32Array.from(list.filter((p) => space.touched.has(p)));
  const current = new Uint8Array(resident.length * HASH_BYTES);
  hashPages(space.bytes, resident, current);
  let r = 0;
  for (const p of list) {
    checked++;
    const held = r < resident.length && resident[r] === p ? current.subarray(r * HASH_BYTES, ++r * HASH_BYTES) : undefined;
    const bytes = space.bytes.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE);
    const i = want.get(p);
    const fp = fromFile.get(p);
    if (i === undefined && !fp) {
      // Not in the checkpoint: the page is zero there (or unmapped, and unmap zeroed it).
      if (!space.touched.has(p)) continue;
      bytes.fill(0);
      zeroed++;
    } else {
      const hash = i !== undefined ? hashAt(table, i) : fp!.hash;
      if (held && Buffer.compare(held, hash) === 0) continue;
      if (i !== undefined) reads.push(i);
      else bytes.set(readFile(fp!));
      written++;
    }
    if (space.perms[p] & PROT_EXEC && space.perms[p] & PAGE_MAPPED) codeChanged.push(p);
  }
  // The store's pages go in as one verified batch (candidates come in page order, so `reads` ascends).
  const readPages = Uint32Array.from(reads, (i) => table.pages[i]);
  const readHashes = new Uint8Array(reads.length * HASH_BYTES);
  reads.forEach((i, k) => readHashes.set(hashAt(table, i), k * HASH_BYTES));
  readPagesInto(source, id, readHashes, readPages, space.bytes);
  // A cold restore's resident pages are exactly the table's (the guest sees their count).
  space.touched.reset();
  for (const p of table.pages) space.touched.set(p);
  for (const fp of fromFiles) space.touched.set(fp.page);
  markZeroPages(machine, manifest);
  // Pages were written behind the engine's back: translated code of a rewritten executable page
  // is stale, and the TLB's write grants must go so the next dirty interval starts clean.
  for (const p of codeChanged) machine.engine.forgetCode(p * PAGE_SIZE, (p + 1) * PAGE_SIZE);
  machine.rearmDirtyTracking();
  return { manifest, pagesChecked: checked, pagesWritten: written, pagesZeroed: zeroed };
}

/** Refuse a checkpoint of another program or root file system: its state would not fit this machine. */
function checkSameImage(machine: Machine, manifest: CheckpointManifest): void {
  const spec = machine.spec;
  const img = manifest.boot;
  const same = img.program.path === spec.program.path && img.rootfsBase === spec.rootfsBase && JSON.stringify(img.rootfs) === JSON.stringify(spec.rootfs);
  if (!same) {
    throw new CheckpointError(
      `checkpoint ${manifest.id} is of ${img.name} (${img.program.path}); this machine runs ${spec.name} (${spec.program.path}): restore the checkpoint instead of applying it`,
    );
  }
}

/** Pages present in only one of two tables, or with different hashes (both ascending). */
function differingPages(a: PageTable, b: PageTable): number[] {
  const out: number[] = [];
  forEachDifference(a, b, (page) => out.push(page));
  return out;
}
