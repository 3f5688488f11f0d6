import { strict as assert } from 'assert';
import * as path from 'path';
import { ImageError } from '../../emulator/errors';
import { assertBuilt, loadImage, parseManifest, sampleImages } from '../../emulator/image/manifest';

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
      [{ ...good, debianRoot: [] }, /"debianRoot" must be an object/],
      [{ ...good, debianRoot: { dir: '../elsewhere', packages: ['lua5.4'] } }, /"debianRoot.dir" must be a folder inside the image folder/],
      [{ ...good, debianRoot: { dir: '/abs', packages: ['lua5.4'] } }, /"debianRoot.dir" must be a folder inside/],
      [{ ...good, debianRoot: { dir: 'build/root', packages: [] } }, /"debianRoot.packages"/],
      [{ ...good, debianRoot: { dir: 'build/root', packages: ['Not A Package'] } }, /"debianRoot.packages"/],
    ];
    for (const [data, re] of cases) {
      assert.throws(
        () => parseManifest(data, 'm.json'),
        (e: Error) => e instanceof ImageError && re.test(e.message) && !e.message.includes('\n'),
      );
    }
  });

  it("reads an image's Debian root and says how to build it when it is missing", () => {
    const img = loadImage(path.join(IMAGES, 'fsscan-lua'));
    assert.deepEqual(img.manifest.debianRoot, { dir: 'build/root', packages: ['lua5.4', 'lua-filesystem'] });
    assert.throws(
      () => assertBuilt({ ...img, elfPath: path.join(img.dir, 'build', 'nowhere') }, 'images/fsscan-lua'),
      (e: Error) =>
        e instanceof ImageError &&
        /is not there: its root is built from Debian packages by 'bash scripts\/setup.sh', or by 'clonecloud rootfs add .*build\/root lua5.4 lua-filesystem'$/.test(
          e.message,
        ),
    );
  });

  it('says when the image folder does not exist', () => {
    assert.throws(() => loadImage('/nonexistent/image'), /no such image folder/);
  });
});
