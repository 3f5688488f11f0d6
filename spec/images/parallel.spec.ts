/**
 * images/parallel: the pthreads file scan prints the same bytes whatever the number of threads
 * (under qemu-arm over a materialized copy of its tree), and under clonecloud on the image's
 * one-core phone the same bytes as qemu-arm with one thread.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { loadImage, LoadedImage } from '../../emulator/image/manifest';
import { describeSynthTree, SynthDescribeInput } from '../../emulator/vfs/synth-index';
import { runElf } from '../support/boot';
import { runQemu, tempDir } from '../support/toolchain';

const IMAGE = path.resolve(__dirname, '..', '..', '..', 'images', 'parallel');

/** Write the image's synthesized trees into host folder `dir` (guest / = dir). */
function materialize(img: LoadedImage, dir: string): void {
  for (const e of img.manifest.rootfs as { type: string; target: string }[]) {
    assert.equal(e.type, 'synth');
    for (const f of describeSynthTree(e as unknown as SynthDescribeInput)) {
      const p = path.join(dir, f.path);
      if (f.type === 'dir') fs.mkdirSync(p, { recursive: true });
      else fs.writeFileSync(p, f.content(0, f.size));
    }
  }
}

describe('images/parallel', function () {
  this.timeout(300_000);
  let img: LoadedImage;
  let root = '';
  const qemuOut = new Map<number, string>();

  before(function () {
    img = loadImage(IMAGE);
    assert.ok(fs.existsSync(img.elfPath), `${img.elfPath} is missing: run 'bash scripts/build-images.sh parallel'`);
    root = tempDir('cc-parallel-');
    materialize(img, root);
  });

  after(function () {
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('prints the same stdout under qemu-arm with 1, 2, 3, 4, 8 and 16 threads, and the thread count on stderr', function () {
    for (const n of [1, 2, 3, 4, 8, 16]) {
      const q = runQemu(img.elfPath, ['parallel', 'sdcard', String(n)], img.manifest.program.env, root);
      assert.equal(q.status, 0, q.stderr.toString());
      assert.equal(q.stderr.toString(), `parallel: threads ${n}\n`);
      qemuOut.set(n, q.stdout.toString());
    }
    assert.equal(new Set(qemuOut.values()).size, 1, [...qemuOut.values()].join('---\n'));
    assert.match(
      qemuOut.get(1)!,
      /^parallel: dirs 201 files 1800 other 0 bytes \d+\nparallel: checksum [0-9a-f]{16} histogram [0-9a-f]{16} top-byte [0-9a-f]{2}\n$/,
    );
  });

  it('runs one thread on the one-core htc-g1 and prints what qemu-arm prints, within its instruction budget', function () {
    const m = img.manifest;
    assert.equal(m.profile, 'htc-g1');
    const c = runElf(img.elfPath, { argv: m.program.argv, env: m.program.env, cwd: m.program.cwd, rootfs: m.rootfs, profile: m.profile });
    assert.equal(c.fault, undefined, c.fault?.message);
    assert.deepEqual(c.warnings, [], 'no unimplemented syscalls');
    assert.equal(c.status, 0);
    assert.equal(c.stderr.toString(), 'parallel: threads 1\n');
    const want = qemuOut.get(1) ?? runQemu(img.elfPath, ['parallel', 'sdcard', '1'], m.program.env, root).stdout.toString();
    assert.equal(c.stdout.toString(), want);
    const n = c.summary.instructions;
    assert.ok(n >= 100_000_000 && n <= 1_000_000_000, `${n} instructions`);
  });
});
