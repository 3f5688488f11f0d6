/** Adding packages to a root when the package index cannot be downloaded: one clear error, nothing written. */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { addPackages } from '../../emulator/image/rootfs-add';
import { tempDir } from '../support/toolchain';

describe('image: rootfs add without a reachable mirror', function () {
  this.timeout(60_000);

  it('says that no package index arrived, and leaves the root without a manifest', async () => {
    const work = tempDir('cc-rootfs-noindex-');
    try {
      // Sources of our own: one mirror on a local port nothing listens on, none of the system's.
      const sources = path.join(work, 'sources.list');
      fs.writeFileSync(sources, 'deb http://127.0.0.1:9/debian bookworm main\n');
      fs.mkdirSync(path.join(work, 'parts'));
      const parts = ['-o', `Dir::Etc::SourceList=${sources}`, '-o', `Dir::Etc::SourceParts=${path.join(work, 'parts')}`];
      // No retries: a refused connection is final.
      const aptOptions = [...parts, '-o', 'Acquire::Retries=0'];
      const lines: string[] = [];
      await assert.rejects(
        addPackages({ root: path.join(work, 'root'), packages: ['hello'], cacheDir: path.join(work, 'cache'), aptOptions, progress: (l) => lines.push(l) }),
        (e: Error) =>
          e.name === 'RootfsError' &&
          /^apt-get update fetched no armhf package index: Failed to fetch http:\/\/127\.0\.0\.1:9\/\S+ Could not connect .*\(check the network and the system's apt sources\)$/.test(
            e.message,
          ),
      );
      assert.deepEqual(lines, ['refreshing the armhf package index (apt-get update)']);
      assert.equal(fs.existsSync(path.join(work, 'root', '.clonecloud-rootfs.json')), false);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
