/**
 * Rebuilding a machine from a checkpoint read from a source: the image's root file system, the
 * writable layer, the memory map and every page (each verified against its hash as it is read),
 * then registers and kernel state; the pages referred to mapped files are read from the files,
 * after their identity was checked (file-pages.ts). The restored machine continues exactly where
 * the original stopped. (live-apply.ts brings a machine that is already running to a checkpoint instead.)
 */
import { InputSource, OutputSink } from '../kernel/console';
import { restoreMachineState, spacesOf } from '../machine/machine-state';
import { Machine } from '../machine/machine';
import { DEFAULT_STORAGE_BYTES, DeviceProfile } from '../model/profiles';
import { PAGE_MAPPED, PAGE_SIZE } from '../memory/address-space';
import { prefaultPages } from '../memory/prefault';
import { displayName } from '../vfs/path';
import { LayerNodeState, LayerState } from '../vfs/layer-state';
import { CheckpointError, CheckpointFormatError } from './errors';
import { CheckpointManifest, VfsRecord } from './manifest';
import { HASH_BYTES } from './page-hash';
import { filePages, mappedFileReader, restoreFilePages } from './file-pages';
import { readPagesInto } from './read-pages';
import { loadCheckpoint, SnapshotSource } from './source';

/** How to restore. */
export interface RestoreOptions {
  /** Run on this profile instead of the one the checkpoint was taken on. */
  profile?: DeviceProfile;
  stdout: OutputSink;
  stderr: OutputSink;
  stdin?: Uint8Array | InputSource;
  warn: (message: string) => void;
}

/** A restored machine and the checkpoint it came from. */
export interface Restored {
  machine: Machine;
  manifest: CheckpointManifest;
}

/** Why `profile` cannot hold the checkpoint's memory, or undefined when it can. */
export function profileMismatch(manifest: CheckpointManifest, residentPages: number, profile: DeviceProfile): string | undefined {
  const resident = residentPages * PAGE_SIZE;
  if (resident > profile.ramBytes) {
    const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
    return `checkpoint ${manifest.id} holds ${mb(resident)} of resident memory; profile ${profile.id} has only ${mb(profile.ramBytes)} of RAM`;
  }
  return undefined;
}

/** Restore checkpoint `id` from `source`. */
export function restoreCheckpoint(source: SnapshotSource, id: string, opts: RestoreOptions): Restored {
  const { manifest, table } = loadCheckpoint(source, id);
  // Checkpoints from before profiles had a storage size get the default a profile file would.
  const saved: Partial<DeviceProfile> = manifest.boot.profile;
  const profile = opts.profile ?? { ...manifest.boot.profile, storageBytes: saved.storageBytes ?? DEFAULT_STORAGE_BYTES };
  const why = profileMismatch(manifest, table.pages.length + filePages(manifest.state.regions, `checkpoint ${id}`).length, profile);
  if (why) throw new CheckpointError(why);
  // The state's cwd replaces the boot one; no program is loaded: the pages hold it.
  const machine = new Machine({ ...manifest.boot, profile }, { stdin: opts.stdin, stdout: opts.stdout, stderr: opts.stderr, warn: opts.warn });
  try {
    importLayer(machine, manifest, source);
    restoreMachineState(machine, manifest.state);
    const space = machine.space;
    // Allocating the fresh pages on another core while the store is read here.
    const prefaulted = prefaultPages(space.bytes, table.pages);
    try {
      readPagesInto(source, id, table.hashes, table.pages, space.bytes);
    } finally {
      prefaulted();
    }
    for (let i = 0; i < table.pages.length; i++) space.touched.set(table.pages[i]);
    restoreFilePages(space, manifest.state.regions, id);
    markZeroPages(machine, manifest);
    restoreOtherSpaces(machine, manifest, source);
    machine.rearmDirtyTracking();
  } catch (e) {
    machine.close();
    throw e;
  }
  return { machine, manifest };
}

/** Write the other processes' pages (verified) and mark their zero pages, in the state's order of memories. */
function restoreOtherSpaces(machine: Machine, manifest: CheckpointManifest, source: SnapshotSource): void {
  const listed = manifest.spaces ?? [];
  const spaces = spacesOf(machine).slice(1);
  if (spaces.length !== listed.length) {
    throw new CheckpointFormatError(`checkpoint ${manifest.id}: its state has ${spaces.length} more memories but it lists pages for ${listed.length}`);
  }
  spaces.forEach((space, i) => {
    // Their pages are all stored; the files behind their mappings must still be the captured ones.
    mappedFileReader(space, manifest.state.procs?.spaces[i]?.regions ?? [], manifest.id);
    const pages = Uint32Array.from(listed[i].pages, ([page]) => page);
    const hashes = new Uint8Array(pages.length * HASH_BYTES);
    listed[i].pages.forEach(([page, hex], k) => {
      if (!(space.perms[page] & PAGE_MAPPED)) throw new CheckpointFormatError(`checkpoint ${manifest.id}: page ${page} of memory ${i + 1} is not mapped`);
      const hash = Buffer.from(hex, 'hex');
      if (hash.length !== HASH_BYTES) throw new CheckpointFormatError(`checkpoint ${manifest.id}: page ${page} of memory ${i + 1} has no valid hash`);
      hashes.set(hash, k * HASH_BYTES);
    });
    readPagesInto(source, manifest.id, hashes, pages, space.bytes);
    for (const page of pages) space.touched.set(page);
    for (const [first, count] of listed[i].zeroPages) for (let p = first; p < first + count; p++) if (space.perms[p] & PAGE_MAPPED) space.touched.set(p);
  });
}

/** Mark the pages the guest had written with zeros as resident again (checkpoints of 2.1 and later list them). */
export function markZeroPages(machine: Machine, manifest: CheckpointManifest): void {
  const runs: unknown = manifest.zeroPages ?? [];
  const space = machine.space;
  const total = space.touched.pageCount;
  const ok = (r: unknown): r is [number, number] =>
    Array.isArray(r) && r.length === 2 && Number.isInteger(r[0]) && Number.isInteger(r[1]) && r[0] >= 0 && r[1] > 0 && r[0] + r[1] <= total;
  if (!Array.isArray(runs) || !runs.every(ok))
    throw new CheckpointFormatError(`checkpoint ${manifest.id}: zeroPages is not a list of [first, count] page runs`);
  for (const [first, count] of runs) for (let p = first; p < first + count; p++) if (space.perms[p] & PAGE_MAPPED) space.touched.set(p);
}

/** Replace the machine's writable layer with the checkpoint's; refused when the profile's storage cannot hold it. */
export function importLayer(machine: Machine, manifest: CheckpointManifest, source: SnapshotSource): void {
  machine.vfs.restore(layerState(manifest.vfs, source, manifest.id));
  const files = machine.vfs.storageUse();
  if (files.usedBlocks > files.totalBlocks || files.usedInodes > files.totalInodes) {
    const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
    const profile = machine.spec.profile;
    throw new CheckpointError(
      `checkpoint ${manifest.id} holds ${mb(files.usedBlocks * 4096)} of files (${files.usedInodes} inodes); profile ${profile.id} has only ${mb(profile.storageBytes)} of storage`,
    );
  }
}

/** Rebuild the writable layer, reading each block from the source (verified). */
function layerState(vfs: VfsRecord, source: SnapshotSource, id: string): LayerState {
  const nodes = vfs.nodes.map((n): LayerNodeState => {
    if (n.kind !== 'file') return n;
    const blocks = n.blocks.map((b) => ({
      index: b.index,
      data: b.hash
        ? source.readPage(Buffer.from(b.hash, 'hex'), { checkpoint: id, what: `block ${b.index} of ${displayName(n.path)}` })
        : new Uint8Array(b.length),
    }));
    return { ...n, blocks };
  });
  return { nextIno: vfs.nextIno, nodes };
}
