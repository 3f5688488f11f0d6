/**
 * The files behind private file mappings when a saved memory map is restored: each file is
 * opened again through the guest's VFS by the path its mapping was made from, one open file per
 * saved handle, so regions mapped through one open file share it again as they did before.
 */
import { O_RDONLY } from '../abi/fcntl';
import { CheckpointError } from '../errors';
import { FileBacking, RegionFile } from '../memory/address-space';
import { displayName } from '../vfs/path';
import { Vfs } from '../vfs/vfs';
import { vfsFileObject } from './file-object';

/** A checkpoint refers to a mapped file that is gone or holds other bytes than when it was captured. */
export class MappedFileChangedError extends CheckpointError {
  constructor(
    readonly path: string,
    what: string,
  ) {
    super(
      `the checkpoint refers to the mapped file ${displayName(path)}, which ${what} since the checkpoint was taken: restore it over the root file system it was taken with`,
    );
  }
}

/** The file at guest path `path` opened read-only for mappings that refer to it, keyed by device and inode as mmap keys it. */
export function openForMapping(vfs: Vfs, path: string): { file: FileBacking['file']; key: string } {
  const file = vfsFileObject(vfs.open(path, '/', O_RDONLY, 0));
  const st = file.stat();
  return { file, key: `${st.dev}:${st.ino}` };
}

/** An opener for AddressSpace.restore: the backing of each saved file mapping, opened through `vfs`. */
export function reopenMappedFiles(vfs: Vfs): (file: RegionFile) => FileBacking {
  const opened = new Map<number, { file: FileBacking['file']; key: string }>();
  return (f) => {
    let o = opened.get(f.handle);
    if (!o) {
      try {
        o = openForMapping(vfs, f.path);
      } catch (e) {
        throw new MappedFileChangedError(f.path, `cannot be opened any more (${(e as Error).message})`);
      }
      opened.set(f.handle, o);
    }
    return { file: o.file, key: o.key, offset: f.offset, shared: false, writable: false, path: f.path };
  };
}
