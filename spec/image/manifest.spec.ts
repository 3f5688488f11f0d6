import { strict as assert } from 'assert';
import * as path from 'path';
import { ImageError } from '../../emulator/errors';
import { loadImage, parseManifest, sampleImages } from '../../emulator/image/manifest';

const IMAGES = path.resolve(__dirname, '..', '..', '..', 'images');

describe('image/manifest', () => {
  it('loads every sample image', () => {
    const names = sampleImages(IMAGES).map((i) => i.manifest.name);
    for (const n of ['hello', 'syscalls', 'compute']) assert.ok(names.includes(n), n);
  });

  it('reports the first problem of a bad manifest on one line', () => {
    const good = loadImage(path.join(IMAGES, 'hello')).manifest;
    const cases: [unknown, RegExp][] = [
      [[], /JSON object/],
      [{ ...good, format: 2 }, /unsupported manifest format 2/],
      [{ ...good, name: '' }, /"name"/],
      [{ ...good, program: { ...good.program, argv: [] } }, /program.argv/],
      [{ ...good, program: { ...good.program, cwd: 'relative' } }, /absolute/],
      [{ ...good, seed: -1 }, /"seed"/],
      [{ ...good, rootfs: {} }, /"rootfs"/],
    ];
    for (const [data, re] of cases) {
      assert.throws(
        () => parseManifest(data, 'm.json'),
        (e: Error) => e instanceof ImageError && re.test(e.message) && !e.message.includes('\n'),
      );
    }
  });

  it('says when the image folder does not exist', () => {
    assert.throws(() => loadImage('/nonexistent/image'), /no such image folder/);
  });
});
