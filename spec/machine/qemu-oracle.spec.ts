/**
 * The independent truth for "runs real ARM programs correctly": every sample program prints the
 * same bytes and exits the same way under clonecloud and under qemu-arm, given the same files.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { loadImage } from '../../emulator/image/manifest';
import { runElf } from '../support/boot';
import { runQemu, tempDir } from '../support/toolchain';

const IMAGES = path.resolve(__dirname, '..', '..', '..', 'images');

/** Copy an image's host rootfs folders into a fresh folder that both emulators will use as "/". */
function layOut(imageDir: string, rootfs: unknown[]): string {
  const root = tempDir('cc-oracle-');
  for (const e of rootfs as { type: string; source?: string; target: string; content?: string }[]) {
    const dest = path.join(root, e.target);
    if (e.type === 'host') fs.cpSync(path.resolve(imageDir, e.source!), dest, { recursive: true });
    if (e.type === 'file') {
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.writeFileSync(dest, e.content ?? '');
    }
  }
  return root;
}

function compare(name: string, args?: string[]): void {
  const img = loadImage(path.join(IMAGES, name));
  const m = img.manifest;
  const argv = args ? [m.program.argv[0], ...args] : m.program.argv;
  const root = layOut(img.dir, m.rootfs);
  fs.mkdirSync(path.join(root, m.program.cwd), { recursive: true });
  // qemu first: forking is refused once several 4 GiB guest address spaces await collection.
  const q = runQemu(img.elfPath, argv, m.program.env, path.join(root, m.program.cwd));
  const c = runElf(img.elfPath, { argv, env: m.program.env, cwd: m.program.cwd, root });
  assert.equal(c.fault, undefined, c.fault?.message);
  assert.equal(c.stdout.toString(), q.stdout.toString(), `${name}: stdout differs`);
  assert.equal(c.stderr.toString(), q.stderr.toString(), `${name}: stderr differs`);
  assert.ok(Buffer.compare(c.stdout, q.stdout) === 0, 'byte-identical stdout');
  assert.equal(c.status, q.status, `${name}: exit status`);
  assert.deepEqual(c.warnings, [], 'no unimplemented syscalls');
  fs.rmSync(root, { recursive: true, force: true });
}

describe('sample images match qemu-arm byte for byte', () => {
  it('hello', () => compare('hello'));
  it('syscalls (every implemented syscall, 0 failed)', () => {
    compare('syscalls');
  });
  it('compute (1 round)', () => compare('compute', ['1']));
  it('memtouch (16 MiB, two phases)', () => compare('memtouch', ['16', '1', '10']));
});
