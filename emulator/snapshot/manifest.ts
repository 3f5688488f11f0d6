/**
 * The checkpoint manifest: everything but page contents and file blocks, which live in the store
 * under their hashes. See README "Checkpoint format". Part of the snapshot format: changing any
 * type here needs a bump of the snapshot version (machine/state-version.ts).
 */
import { MachineState } from '../machine/machine-state';
import { BootSpec } from '../machine/boot-spec';
import { checkSnapshotVersion, SnapshotVersionError, SNAPSHOT_VERSION } from '../machine/state-version';
import { LayerNodeState } from '../vfs/layer-state';
import { CheckpointFormatError } from './errors';
import { fromFormat1 } from './format1';

export { SNAPSHOT_VERSION };

/** One block of a file in the writable layer: its hash, or zero. */
export interface BlockRef {
  index: number;
  length: number;
  /** 32 hex digits; absent for an all-zero block. */
  hash?: string;
}

/** A node of the writable layer as a checkpoint holds it: a file's blocks are references. */
export type VfsNodeRecord = Exclude<LayerNodeState, { kind: 'file' }> | (Omit<Extract<LayerNodeState, { kind: 'file' }>, 'blocks'> & { blocks: BlockRef[] });

/** The writable file-system layer with file blocks replaced by references. */
export interface VfsRecord {
  nextIno: number;
  nodes: VfsNodeRecord[];
}

/** Figures about one capture. */
export interface CaptureStats {
  /** Pages looked at (dirty since the parent, or every touched page for a first checkpoint). */
  pagesScanned: number;
  /** Non-zero pages: those in the page table and those referred to a mapped file. */
  residentPages: number;
  /** Pages referred to a mapped file instead of stored (since 2.4). */
  filePages?: number;
  /** Pages whose content was not in the store and was written by this checkpoint. */
  newPages: number;
  newBytes: number;
  /** Changed pages whose content the store already held. */
  dedupHits: number;
  /** Host milliseconds to capture and commit. */
  captureMs: number;
}

/** A checkpoint's manifest. */
export interface CheckpointManifest {
  /** The snapshot version (`major.minor`) it was written in. */
  version: string;
  id: string;
  parent: string | null;
  /** Host time of capture (informational; never seen by the guest). */
  created: string;
  /** How to rebuild the machine around the state; its profile is the one the run had, by value. */
  boot: BootSpec;
  state: MachineState;
  vfs: VfsRecord;
  modelledSeconds: number;
  /** Bytes the guest had written to stdout and stderr when captured. */
  output: { stdout: number; stderr: number };
  /**
   * Pages written since they were mapped whose content was all zeros when captured, as
   * [first page, count] runs (since 2.1). They are not in the page table, yet they are resident
   * memory the guest sees (sysinfo, /proc/meminfo, getrusage): a restore marks them again.
   */
  zeroPages?: [number, number][];
  /**
   * The memory of processes other than the first (since 2.3, with `state.procs`), in the order of
   * `state.procs.spaces`: each non-zero page by index with its content hash, and zero-page runs.
   */
  spaces?: SpacePages[];
  stats: CaptureStats;
}

/** One more address space's pages: [page, 32 hex digits] each, ascending, and zero-page runs. */
export interface SpacePages {
  pages: [number, string][];
  zeroPages: [number, number][];
}

/**
 * The stored object as a manifest of this build's version: a current one as it is, one of an
 * older minor of the same major as it is (additions are optional), one written as format 1 (the
 * release before versions) converted; anything else refused with CheckpointFormatError.
 */
export function checkManifest(raw: unknown, id: string): CheckpointManifest {
  const m = raw as (Partial<CheckpointManifest> & { format?: unknown }) | null;
  if (!m || typeof m !== 'object' || (m.version === undefined && typeof m.format !== 'number')) {
    throw new CheckpointFormatError(`checkpoint ${id}: manifest is not a clonecloud checkpoint`);
  }
  if (m.version === undefined) {
    if (m.format === 1) return fromFormat1(raw as object, id) as CheckpointManifest;
    throw new CheckpointFormatError(
      `checkpoint ${id}: manifest format ${String(m.format)}; this clonecloud reads format 1 and snapshot versions up to ${SNAPSHOT_VERSION}: restore it with the clonecloud release that wrote it`,
    );
  }
  try {
    checkSnapshotVersion(m.version, `checkpoint ${id}`);
  } catch (e) {
    throw e instanceof SnapshotVersionError ? new CheckpointFormatError(e.message) : e;
  }
  return m as CheckpointManifest;
}
