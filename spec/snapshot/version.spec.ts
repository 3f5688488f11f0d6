/** One snapshot version, `major.minor`: the same major and any minor up to this build's are read; the rest refused in one line. */
import { strict as assert } from 'assert';
import { checkSnapshotVersion, SNAPSHOT_VERSION, SnapshotVersionError } from '../../emulator/machine/state-version';
import { CheckpointFormatError } from '../../emulator/snapshot/errors';
import { checkManifest } from '../../emulator/snapshot/manifest';

const [MAJOR, MINOR] = SNAPSHOT_VERSION.split('.').map(Number);

function refusal(version: unknown): string {
  try {
    checkSnapshotVersion(version, 'checkpoint x');
  } catch (e) {
    assert.ok(e instanceof SnapshotVersionError);
    return e.message;
  }
  return assert.fail(`version ${String(version)} was accepted`);
}

describe('snapshot: the version', () => {
  it('is major.minor', () => {
    assert.match(SNAPSHOT_VERSION, /^\d+\.\d+$/);
  });

  it('accepts the same major with any minor up to its own', () => {
    for (let minor = 0; minor <= MINOR; minor++) checkSnapshotVersion(`${MAJOR}.${minor}`, 'checkpoint x');
  });

  it('refuses a newer minor, another major or no version at all, in one line saying what to do', () => {
    const cases: [unknown, RegExp][] = [
      [`${MAJOR}.${MINOR + 1}`, /newer clonecloud/],
      [`${MAJOR + 1}.0`, /newer clonecloud/],
      [`${MAJOR - 1}.0`, /the clonecloud release that wrote it/],
      ['2', /the clonecloud release that wrote it/],
      [2, /the clonecloud release that wrote it/],
      [undefined, /the clonecloud release that wrote it/],
    ];
    for (const [v, todo] of cases) {
      const m = refusal(v);
      assert.ok(!m.includes('\n'), m);
      assert.match(m, new RegExp(`^checkpoint x has snapshot version .+; this clonecloud reads ${MAJOR}\\.0 to ${SNAPSHOT_VERSION.replace('.', '\\.')}: `));
      assert.match(m, todo);
    }
  });

  it('is what manifests are checked against', () => {
    const m = { version: SNAPSHOT_VERSION, id: 'x' };
    assert.equal(checkManifest(m, 'x'), m);
    assert.throws(
      () => checkManifest({ version: `${MAJOR}.${MINOR + 1}` }, 'x'),
      (e: Error) => e instanceof CheckpointFormatError && /^checkpoint x has snapshot version \d+\.\d+; .*newer clonecloud$/.test(e.message),
    );
    assert.throws(
      () => checkManifest({ format: 2 }, 'x'),
      (e: Error) => e instanceof CheckpointFormatError && /format 2; this clonecloud reads format 1 and snapshot versions up to/.test(e.message),
    );
    assert.throws(
      () => checkManifest({ format: 1, state: { version: 3 } }, 'x'),
      (e: Error) => e instanceof CheckpointFormatError && /machine state version 3/.test(e.message),
    );
    assert.throws(() => checkManifest({ nothing: 1 }, 'x'), /not a clonecloud checkpoint/);
  });
});
