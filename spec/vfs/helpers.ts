/** Shared fixtures for the VFS specs: a temporary host folder, a device and small I/O helpers. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { strict as assert } from 'assert';
import { ErrnoError } from '../../emulator/abi/errno';
import { O_RDONLY } from '../../emulator/abi/fcntl';
import { DeviceDescription } from '../../emulator/vfs/proc-text';
import { parseRootfsSpec } from '../../emulator/vfs/rootfs-spec';
import { OpenFile } from '../../emulator/vfs/open-file';
import { Vfs, VfsOptions } from '../../emulator/vfs/vfs';

export const DEVICE: DeviceDescription = { model: 'HTC Dream', ramBytes: 192 * 1024 * 1024, freeRamBytes: 64 * 1024 * 1024, cores: 1, clockHz: 528e6 };

/**
 * A host folder with: etc/hosts, home/user/notes.txt, home/user/empty/, a relative symlink
 * home/user/link -> notes.txt, an absolute one abs -> /etc/hosts and an escaping one
 * escape -> ../../../../.. .
 */
export function makeHostTree(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfs-spec-'));
  // mkdtemp makes the folder private, which would lock out unprivileged guests.
  fs.chmodSync(dir, 0o755);
  fs.mkdirSync(path.join(dir, 'etc'));
  fs.writeFileSync(path.join(dir, 'etc/hosts'), '127.0.0.1 localhost\n');
  fs.mkdirSync(path.join(dir, 'home/user/empty'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'home/user/notes.txt'), 'hello from the host\n');
  fs.symlinkSync('notes.txt', path.join(dir, 'home/user/link'));
  fs.symlinkSync('/etc/hosts', path.join(dir, 'abs'));
  fs.symlinkSync('../../../../..', path.join(dir, 'home/user/escape'));
  return dir;
}

/** Remove a folder made by makeHostTree. */
export function removeTree(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A Vfs over a raw rootfs array, validated the way the image loader does. */
export function makeVfs(rootfs: unknown, options: Partial<VfsOptions> = {}, device: DeviceDescription = DEVICE): Vfs {
  return new Vfs(parseRootfsSpec(rootfs, '/'), device, { exePath: '/bin/hello', ...options });
}

/** Whole contents of an open file. */
export function readAll(f: OpenFile): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (let pos = 0; ;) {
    const buf = new Uint8Array(4096);
    const n = f.read(buf, pos);
    if (n === 0) break;
    chunks.push(buf.subarray(0, n));
    pos += n;
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** Whole contents of a path as text. */
export function readText(vfs: Vfs, p: string, cwd = '/'): string {
  return Buffer.from(readAll(vfs.open(p, cwd, O_RDONLY))).toString('utf8');
}

/** Names in a directory, without "." and "..". */
export function list(vfs: Vfs, p: string, cwd = '/'): string[] {
  return vfs
    .open(p, cwd, O_RDONLY)
    .readdir()
    .map((e) => e.name)
    .filter((n) => n !== '.' && n !== '..');
}

/** Assert that `fn` throws ErrnoError with `errno`. */
export function assertErrno(fn: () => unknown, errno: number): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ErrnoError, `expected ErrnoError, got ${String(e)}`);
    assert.equal(e.errno, errno, `expected errno ${errno}, got ${e.errno}`);
    return true;
  });
}

/** Bytes of a UTF-8 string. */
export function bytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf8'));
}
