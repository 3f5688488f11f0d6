/**
 * The checkpoint manifest (format 1): everything but page contents and file blocks, which live
 * in the store under their hashes. See README "Checkpoint format".
 */
import { MachineState } from '../machine/machine-state';
import { BootSpec } from '../machine/boot-spec';
import { DeviceProfile } from '../model/profiles';
import { CheckpointFormatError } from './errors';

/** The manifest format this version writes and reads. */
export const CHECKPOINT_FORMAT = 1;

/** One block of a file in the writable layer: its hash, or zero. */
export interface BlockRef {
  index: number;
  length: number;
  /** 32 hex digits; absent for an all-zero block. */
  hash?: string;
}

/** The writable file-system layer with file blocks replaced by references. */
export interface VfsRecord {
  nextIno: number;
  nodes: (Record<string, unknown> & { path: string; kind: string; blocks?: BlockRef[] })[];
}

/** Figures about one capture. */
export interface CaptureStats {
  /** Pages looked at (dirty since the parent, or every touched page for a first checkpoint). */
  pagesScanned: number;
  /** Non-zero pages in the page table. */
  residentPages: number;
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
  format: number;
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
  stats: CaptureStats;
}

/** Check that a stored object is a manifest this version can read. */
export function checkManifest(raw: unknown, id: string): CheckpointManifest {
  const m = raw as Partial<CheckpointManifest> | null;
  if (!m || typeof m !== 'object' || typeof m.format !== 'number') {
    throw new CheckpointFormatError(`checkpoint ${id}: manifest is not a clonecloud checkpoint`);
  }
  if (m.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointFormatError(`checkpoint ${id}: manifest format ${m.format}; this clonecloud reads format ${CHECKPOINT_FORMAT}`);
  }
  return 'boot' in m ? (m as CheckpointManifest) : withBootRecord(m as LegacyManifest);
}

/** How format-1 manifests written before the boot record named the image and the profile. */
interface LegacyManifest extends Omit<CheckpointManifest, 'boot'> {
  image: { name: string; exePath: string; argv: string[]; env: string[]; rootfs: unknown[]; rootfsBase: string; seed: number };
  profile: DeviceProfile;
}

/**
 * A manifest that still has the separate `image` and `profile` fields, with them folded into a
 * boot record. The boot cwd was not kept; the captured one stands in for it (restore uses the
 * captured cwd either way).
 */
function withBootRecord(old: LegacyManifest): CheckpointManifest {
  const { image, profile, ...rest } = old;
  const boot: BootSpec = {
    name: image.name,
    program: { path: image.exePath },
    argv: image.argv,
    env: image.env,
    cwd: old.state.kernel.proc.cwd,
    profile,
    rootfs: image.rootfs,
    rootfsBase: image.rootfsBase,
    seed: image.seed,
  };
  return { ...rest, boot };
}
