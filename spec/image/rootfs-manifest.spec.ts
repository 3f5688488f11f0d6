/** The manifest of a root built from Debian packages: written stably, read back, refused when damaged. */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import {
  emptyRootfsManifest,
  parseRootfsManifest,
  readRootfsManifest,
  RootfsPackage,
  serializeRootfsManifest,
  withPackages,
  writeRootfsManifest,
} from '../../emulator/image/rootfs-manifest';
import { tempDir } from '../support/toolchain';

const HELLO: RootfsPackage = {
  package: 'hello',
  version: '2.10-3',
  architecture: 'armhf',
  deb: 'hello_2.10-3_armhf.deb',
  sha256: '88b96499d9a890e50d9ba7a6eab45d64a39b71aaaf672c550dc54dabc929cbc8',
  requested: true,
};
const ZLIB: RootfsPackage = {
  package: 'zlib1g',
  version: '1:1.2.13.dfsg-1',
  architecture: 'armhf',
  deb: 'zlib1g_1%3a1.2.13.dfsg-1_armhf.deb',
  sha256: '0'.repeat(64),
  requested: false,
};

describe('image: root manifest', () => {
  it('round-trips, packages sorted by name, one per line', () => {
    const m = withPackages(emptyRootfsManifest(), [ZLIB, HELLO]);
    const text = serializeRootfsManifest(m);
    assert.deepEqual(parseRootfsManifest(text, 'm.json'), m);
    assert.deepEqual(
      m.packages.map((p) => p.package),
      ['hello', 'zlib1g'],
    );
    assert.equal(text.split('\n').filter((l) => l.includes('"package"')).length, 2);
    assert.equal(serializeRootfsManifest(parseRootfsManifest(text, 'm.json')), text);
  });

  it('replaces a package of the same name when one is added again', () => {
    const m = withPackages(withPackages(emptyRootfsManifest(), [HELLO]), [{ ...HELLO, requested: false }]);
    assert.deepEqual(m.packages, [{ ...HELLO, requested: false }]);
  });

  const damaged: [string, (m: Record<string, unknown>, p: Record<string, unknown>) => void, RegExp][] = [
    ['another format', (m) => (m.format = 2), /format 2 is not the format 1/],
    ['another architecture', (m) => (m.architecture = 'arm64'), /architecture "arm64" is not armhf/],
    ['no package list', (m) => delete m.packages, /"packages" is not an array/],
    ['a missing version', (_, p) => delete p.version, /packages\[0\]\.version is not a non-empty string/],
    ['a bad package name', (_, p) => (p.package = '../x'), /is not a Debian package name/],
    ['a .deb name that does not match', (_, p) => (p.deb = 'hello.deb'), /\.deb "hello\.deb" does not match/],
    ['a short hash', (_, p) => (p.sha256 = 'abc'), /sha256 is not 64 lower-case hex digits/],
    ['no requested flag', (_, p) => delete p.requested, /requested is not true or false/],
    ['another architecture of package', (_, p) => (p.architecture = 'i386'), /"i386" is not armhf or all/],
  ];
  for (const [what, damage, message] of damaged) {
    it(`refuses ${what} in one line naming the file`, () => {
      const m = JSON.parse(serializeRootfsManifest(withPackages(emptyRootfsManifest(), [HELLO]))) as Record<string, unknown>;
      damage(m, (m.packages as Record<string, unknown>[] | undefined)?.[0] ?? {});
      assert.throws(
        () => parseRootfsManifest(JSON.stringify(m), '/r/.clonecloud-rootfs.json'),
        (e: Error) => e.name === 'RootfsError' && message.test(e.message) && e.message.startsWith('/r/.clonecloud-rootfs.json: ') && !e.message.includes('\n'),
      );
    });
  }

  it('refuses a package listed twice and text that is not JSON', () => {
    const twice = serializeRootfsManifest(withPackages(emptyRootfsManifest(), [HELLO])).replace(/(\{"package".*\})/, '$1,\n    $1');
    assert.throws(() => parseRootfsManifest(twice, 'm'), /hello is listed twice/);
    assert.throws(() => parseRootfsManifest('{', 'm'), /m: not JSON/);
  });

  it('is written atomically into the root and read back; a folder without one has none', () => {
    const dir = tempDir('cc-rootfs-manifest-');
    try {
      assert.equal(readRootfsManifest(dir), undefined);
      const m = withPackages(emptyRootfsManifest(), [HELLO]);
      writeRootfsManifest(dir, m);
      assert.deepEqual(readRootfsManifest(dir), m);
      assert.deepEqual(fs.readdirSync(dir), ['.clonecloud-rootfs.json']);
      assert.equal(readRootfsManifest(path.join(dir, 'missing')), undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
