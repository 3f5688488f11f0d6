/**
 * The root of Debian armhf packages the real-program suite runs dynamically linked programs in:
 * vendor/rootfs, built by scripts/setup.sh with `clonecloud rootfs add` from the package list in
 * spec/fixtures/test-rootfs.json (the one list both read).
 */
import * as fs from 'fs';
import * as path from 'path';
import { readRootfsManifest } from '../../emulator/image/rootfs-manifest';

const REPO = path.resolve(__dirname, '..', '..', '..');

/** The test root's folder. */
export const TEST_ROOTFS = path.join(REPO, 'vendor', 'rootfs');

/** The packages the test root is built from (their dependencies come with them). */
export const TEST_ROOTFS_PACKAGES: readonly string[] = (
  JSON.parse(fs.readFileSync(path.join(REPO, 'spec', 'fixtures', 'test-rootfs.json'), 'utf8')) as { packages: string[] }
).packages;

/** The command line that builds the test root, as setup runs it. */
export const TEST_ROOTFS_COMMAND = `./bin/clonecloud rootfs add vendor/rootfs ${TEST_ROOTFS_PACKAGES.join(' ')}`;

/** The test root's folder, or a clear error naming the command that builds it when it lacks a package. */
export function testRootfs(): string {
  const m = readRootfsManifest(TEST_ROOTFS);
  const missing = TEST_ROOTFS_PACKAGES.filter((p) => !m?.packages.some((q) => q.package === p));
  if (missing.length) throw new Error(`${TEST_ROOTFS} lacks ${missing.join(', ')}: run '${TEST_ROOTFS_COMMAND}' (or scripts/setup.sh)`);
  return TEST_ROOTFS;
}
