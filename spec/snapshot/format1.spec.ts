/**
 * Stores written by the release with checkpoint format 1 stay readable: a genuine format-1 store,
 * written at test time from the committed fixture's LMDB records, restores every checkpoint to
 * the output, exit status, instruction count and memory hash recorded with that release.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { dumpStore, Format1Fixture, makeFormat1Store } from '../support/format1-store';
import { tempDir } from '../support/toolchain';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'clonecloud');

function cli(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
}

describe('snapshot: format-1 stores', function () {
  this.timeout(120_000);
  let store: string;
  let fixture: Format1Fixture;
  before(async () => {
    store = path.join(tempDir('cc-format1-'), 'store');
    fixture = await makeFormat1Store(store);
  });

  it('is written back exactly as the old release stored it', () => {
    assert.deepEqual(dumpStore(store), fixture.databases);
    assert.deepEqual(Object.keys(fixture.restores), ['c0001', 'c0002', 'c0003']);
  });

  it('lists and verifies', () => {
    const list = cli(['checkpoints', '--store', store, '--json']);
    assert.equal(list.status, 0, list.stderr);
    assert.deepEqual(
      (JSON.parse(list.stdout) as { checkpoints: { id: string; parent: string | null }[] }).checkpoints.map((c) => [c.id, c.parent]),
      [['c0001', null], ['c0002', 'c0001'], ['c0003', 'c0002']],
    );
    const v = cli(['verify', '--store', store]);
    assert.equal(v.status, 0, v.stderr);
  });

  it('restores each checkpoint to the recorded end', () => {
    for (const [id, want] of Object.entries(fixture.restores)) {
      const r = cli(['restore', id, '--store', store, '--stdin', '/dev/null', '--json']);
      const lines = r.stderr.trimEnd().split('\n');
      const summary = JSON.parse(lines.pop()!) as { instructions: number; memoryHash: string };
      assert.equal(r.stdout, want.stdout, id);
      assert.equal(r.status, want.status, `${id}: ${r.stderr}`);
      assert.equal(lines.join('\n'), want.stderr, id);
      assert.equal(summary.instructions, want.instructions, id);
      assert.equal(summary.memoryHash, want.memoryHash, id);
    }
  });
});
