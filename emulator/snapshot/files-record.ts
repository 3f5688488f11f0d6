/**
 * The persistent level of a phone's state on its own: the writable file-system layer with file
 * blocks replaced by their hashes. A checkpoint carries one (its manifest's `vfs`); a file-only
 * sync sends one between checkpoints, so that the clone's copy of the phone's files is fresher
 * than its memory mirror and the next increment finds the blocks already there.
 */
import { createHash } from 'crypto';
import { LayerState } from '../vfs/vfs';
import { checkSnapshotVersion, SnapshotVersionError, SNAPSHOT_VERSION } from '../machine/state-version';
import { CheckpointFormatError } from './errors';
import { VfsNodeRecord, VfsRecord } from './manifest';
import { HASH_BYTES, hashBytes, hashHex, isZero } from './page-hash';

/** A file-only sync as the phone sends it and the clone keeps it. */
export interface FilesManifest {
  /** The snapshot version it was written in (the VFS record is part of the snapshot format). */
  version: string;
  kind: 'files';
  id: string;
  /** Host time of capture (informational). */
  created: string;
  /** Guest instructions and modelled seconds when captured, as decimal text and a number. */
  instructions: string;
  modelledSeconds: number;
  vfs: VfsRecord;
}

/** The writable layer with blocks replaced by hashes; `consider` sees every non-zero block. */
export function vfsRecord(layer: LayerState, consider: (bytes: Uint8Array, hash: Uint8Array) => void): VfsRecord {
  const nodes = layer.nodes.map((n): VfsNodeRecord => {
    if (n.kind !== 'file') return { ...n };
    const blocks = n.blocks.map((b) => {
      if (isZero(b.data)) return { index: b.index, length: b.data.length };
      const hash = hashBytes(b.data);
      consider(b.data, hash);
      return { index: b.index, length: b.data.length, hash: hashHex(hash) };
    });
    return { ...n, blocks };
  });
  return { nextIno: layer.nextIno, nodes };
}

/** Hex hashes of every stored block a VFS record refers to, in order (repeats included). */
export function blockHashHexes(vfs: VfsRecord): string[] {
  return vfs.nodes.flatMap((n) => (n.kind === 'file' ? n.blocks : []).filter((b) => b.hash !== undefined).map((b) => b.hash!));
}

/** Hashes of every stored block a VFS record refers to, concatenated (a store's extra references). */
export function collectBlockHashes(vfs: VfsRecord): Uint8Array {
  const hexes = blockHashHexes(vfs);
  const out = new Uint8Array(hexes.length * HASH_BYTES);
  hexes.forEach((h, i) => out.set(Buffer.from(h, 'hex'), i * HASH_BYTES));
  return out;
}

/** A digest of a VFS record: equal on phone and clone exactly when both hold the same files state. */
export function filesDigest(vfs: VfsRecord): string {
  return createHash('sha256').update(JSON.stringify(vfs)).digest('hex').slice(0, 32);
}

const HEX_HASH = /^[0-9a-f]{32}$/;

/**
 * The object as a files manifest of this build's snapshot version whose block references are
 * exactly `extraHashes` (so a store keeping it keeps every block it names); CheckpointFormatError
 * otherwise.
 */
export function checkFilesManifest(raw: unknown, id: string, extraHashes: Uint8Array): FilesManifest {
  const bad = (why: string): never => {
    throw new CheckpointFormatError(`file sync ${id}: ${why}`);
  };
  const m = raw as Partial<FilesManifest> | null;
  if (!m || typeof m !== 'object' || m.kind !== 'files' || typeof m.version !== 'string') return bad('not a clonecloud file sync');
  try {
    checkSnapshotVersion(m.version, `file sync ${id}`);
  } catch (e) {
    throw e instanceof SnapshotVersionError ? new CheckpointFormatError(e.message) : e;
  }
  if (m.id !== id) bad(`manifest names ${JSON.stringify(m.id)}`);
  if (typeof m.instructions !== 'string' || !/^\d+$/.test(m.instructions)) bad('instructions is not a decimal count');
  if (typeof m.modelledSeconds !== 'number' || !(m.modelledSeconds >= 0)) bad('modelledSeconds is not a time');
  const vfs = m.vfs;
  if (!vfs || typeof vfs !== 'object' || !Array.isArray(vfs.nodes) || !Number.isSafeInteger(vfs.nextIno)) return bad('vfs is not a file-system layer');
  for (const n of vfs.nodes) {
    if (!n || typeof n !== 'object') bad('a vfs node is not an object');
    if (n.kind === 'file') {
      if (!Array.isArray(n.blocks)) bad(`file ${JSON.stringify(n.path)} has no block list`);
      for (const b of n.blocks) if (b.hash !== undefined && !HEX_HASH.test(b.hash)) bad(`file ${JSON.stringify(n.path)}: block hash ${JSON.stringify(b.hash)}`);
    }
  }
  const named = blockHashHexes(vfs);
  if (extraHashes.byteLength !== named.length * HASH_BYTES || named.some((h, i) => h !== hashHex(extraHashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES)))) {
    bad('its block references differ from the hashes sent with it');
  }
  return m as FilesManifest;
}

/** The version file syncs are written in. */
export const FILES_VERSION = SNAPSHOT_VERSION;
