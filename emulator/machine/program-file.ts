/** execve's reading of a program file from the guest's file system, with Linux's errors. */
import * as fs from 'fs';
import { EACCES, ENOENT, ErrnoError } from '../abi/errno';
import { parseElf } from '../elf/elf-parser';
import { ExecFile } from '../elf/exec-layout';
import { ImageError } from '../errors';
import { MappedSource } from '../elf/loader';
import { openForMapping } from '../kernel/mapped-files';
import { BootSpec, programHash } from './boot-spec';
import { ProgramFile } from '../kernel/process-table';
import { Task } from '../kernel/task';
import { Vfs } from '../vfs/vfs';

/** The bytes of the program at `path` (relative to the caller's cwd), the path, and its absolute path. */
export function readProgramFile(vfs: Vfs, t: Task, path: string): ProgramFile {
  const st = vfs.stat(path, t.group.cwd, true);
  if ((st.mode & 0o170000) !== 0o100000) throw new ErrnoError(EACCES);
  if ((st.mode & 0o111) === 0) throw new ErrnoError(EACCES);
  const f = vfs.open(path, t.group.cwd, 0, 0);
  try {
    const bytes = new Uint8Array(f.size());
    let off = 0;
    while (off < bytes.length) {
      const n = f.read(bytes.subarray(off), off);
      if (n <= 0) break;
      off += n;
    }
    const canonical = vfs.resolve(path, t.group.cwd);
    return { bytes: bytes.subarray(0, off), path, canonical, open: () => openMapped(vfs, canonical) };
  } finally {
    f.close();
  }
}

/**
 * The booted program's bytes for a machine built without them (restoring a checkpoint): read
 * from the host file the record names when its hash still matches, so /proc/self/exe runs the
 * same program; undefined otherwise (execve then looks for it in the guest's file system).
 */
export function bootProgramBytes(spec: BootSpec): Uint8Array | undefined {
  const { host, sha256 } = spec.program;
  if (!host || !sha256) return undefined;
  try {
    const bytes = new Uint8Array(fs.readFileSync(host));
    return programHash(bytes) === sha256 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The booted program's dynamic loader at `path` in the guest's root, parsed; an ImageError that
 * says what to do when it is missing or unreadable.
 */
export function bootInterpreter(vfs: Vfs, t: Task, programName: string, path: string): ExecFile {
  let file: ProgramFile;
  try {
    file = readProgramFile(vfs, t, path);
  } catch (e) {
    const why = !(e instanceof ErrnoError)
      ? String(e)
      : e.errno === ENOENT
        ? 'no such file'
        : e.errno === EACCES
          ? 'not an executable file'
          : `errno ${e.errno}`;
    throw new ImageError(
      `${programName}: is dynamically linked and its interpreter ${path} cannot be loaded from the guest's root (${why}); give a root holding it and the program's libraries (--root <dir>, see 'clonecloud rootfs add'), or build the program with -static`,
    );
  }
  return { elf: parseElf(file.bytes, path), bytes: file.bytes, path: file.canonical, mapped: file.open?.() };
}

/**
 * The file at guest path `path` open for mappings that refer to it, or undefined when it cannot
 * be opened (the image then keeps its pages in memory only, as before).
 */
export function openMapped(vfs: Vfs, path: string): MappedSource | undefined {
  try {
    return { ...openForMapping(vfs, path), path };
  } catch {
    return undefined;
  }
}

/**
 * The booted program's file in the guest's file system when the file at its guest path holds
 * exactly its bytes (an image whose program lives in its root); undefined otherwise.
 */
export function bootProgramFile(vfs: Vfs, path: string, bytes: Uint8Array): MappedSource | undefined {
  const m = openMapped(vfs, path);
  if (!m || m.file.size() !== bytes.length) return undefined;
  const copy = new Uint8Array(bytes.length);
  if (m.file.read(copy, 0) !== bytes.length || Buffer.compare(copy, bytes) !== 0) return undefined;
  return m;
}
