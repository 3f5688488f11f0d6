/** Capturing the persistent level alone: the writable layer of a stopped machine, for a file-only sync. */
import { Machine } from '../machine/machine';
import { collectBlockHashes, FILES_VERSION, FilesManifest, vfsRecord } from './files-record';
import { hashHex } from './page-hash';
import { PutPage } from './sink';

/** A captured file-only sync: its manifest, the block hashes it references, and the blocks not known to be held. */
export interface FilesCapture {
  manifest: FilesManifest;
  extraHashes: Uint8Array;
  pages: PutPage[];
}

/** Capture `machine`'s writable layer as file sync `id`; blocks for which `held` is true are referenced, not copied. */
export function captureFiles(machine: Machine, id: string, held: (hash: Uint8Array) => boolean): FilesCapture {
  const pages = new Map<string, PutPage>();
  const vfs = vfsRecord(machine.vfs.save(), (bytes, hash) => {
    const hex = hashHex(hash);
    if (!pages.has(hex) && !held(hash)) pages.set(hex, [hash.slice(), bytes.slice()]);
  });
  const manifest: FilesManifest = {
    version: FILES_VERSION,
    kind: 'files',
    id,
    created: new Date().toISOString(),
    instructions: machine.instructions.toString(),
    modelledSeconds: machine.clock.seconds(),
    vfs,
  };
  return { manifest, extraHashes: collectBlockHashes(vfs), pages: [...pages.values()] };
}
