/**
 * `boot --clone` against a clone server in its own process over loopback TCP: the run is the same
 * with and without the clone, every sync's mirror has the phone's memory hash (the Replicator
 * checks the clone's answer and would say otherwise), and a run restored on the clone from its
 * mirror prints what the phone printed from that point on.
 */
import { strict as assert } from 'assert';
import * as path from 'path';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { CheckpointStore } from '../../emulator/store/store';
import * as crypto from 'crypto';
import { CloneProcess, startClone } from '../support/clone-process';
import { runCli } from '../support/cli-run';
import { tempDir } from '../support/toolchain';

/** A run that must end with its JSON summary. */
function cli(args: string[]) {
  const r = runCli(args);
  assert.ok(r.summary, r.lines.join('\n'));
  return { ...r, summary: r.summary };
}

/** Each sync line's checkpoint id and mirror hash. */
function syncs(lines: string[]): { id: string; hash: string }[] {
  return lines.flatMap((l) => {
    const m = /^clonecloud: sync (\S+) .* mirror ([0-9a-f]{32}) /.exec(l);
    return m ? [{ id: m[1], hash: m[2] }] : [];
  });
}

describe('runtime/replicator: boot --clone with a clone server in its own process', function () {
  this.timeout(300_000);
  let clone: CloneProcess;
  const dir = tempDir('cc-replica-');
  const store = path.join(dir, 'mirrors');
  const tokenFile = path.join(dir, 'token');
  let address = '';
  before(async () => {
    await initHashing();
    clone = await startClone(store, tokenFile, crypto.randomBytes(32).toString('hex'));
    address = `127.0.0.1:${clone.port}`;
  });
  after(async () => {
    assert.equal(await clone.stop(), 0, clone.output());
  });

  // The longer runs wait for each sync (--sync-wait), so their sync points do not depend on how
  // busy the host is; the short ones sync in the background, the default.
  const CASES: [image: string, every: string, restoreAll: boolean, minSyncs: number, extra: string[]][] = [
    ['hello', '10k', true, 1, []],
    ['syscalls', '1M', true, 1, []],
    ['compute', '150M', true, 3, ['--sync-wait']],
    ['memtouch', '100M', false, 3, ['--sync-wait']],
    ['fsscan', '500M', false, 4, ['--sync-wait']],
  ];
  for (const [image, every, restoreAll, minSyncs, extra] of CASES) {
    it(`${image}: the same run with the clone; each sync's mirror is the phone; a run from the mirror ends like the phone's`, () => {
      const phone = `spec-${image}`;
      const plain = cli(['boot', `images/${image}`, '--json']);
      const synced = cli([
        'boot',
        `images/${image}`,
        '--json',
        '--clone',
        address,
        '--token-file',
        tokenFile,
        '--phone-id',
        phone,
        '--sync-every',
        every,
        ...extra,
      ]);
      assert.equal(synced.status, plain.status, synced.lines.join('\n'));
      assert.ok(synced.stdout.equals(plain.stdout), 'the guest prints the same');
      assert.equal(synced.summary.instructions, plain.summary.instructions);
      assert.equal(synced.summary.memoryHash, plain.summary.memoryHash);
      assert.equal(
        synced.lines.filter((l) => l.startsWith('clonecloud: ') && !/^clonecloud: sync \S+ at /.test(l)).join('\n'),
        '',
        'no sync failed and no mirror hash differed',
      );
      const done = syncs(synced.lines);
      // Short runs end before a sync in flight lets the next one start.
      assert.ok(done.length >= minSyncs, synced.lines.join('\n'));
      assert.equal(synced.summary.clone?.syncs, done.length);
      assert.equal(synced.summary.clone?.failed, 0);
      assert.ok((synced.summary.clone?.radioJoules ?? 0) > 0);
      // Restored on the clone from its mirror, each sync point runs on to the phone's end.
      const mirror = CheckpointStore.open(path.join(store, phone), { readOnly: true });
      const points = done.map(({ id }) => ({ id, printed: (mirror.manifest(id) as { output: { stdout: number } }).output.stdout }));
      mirror.close();
      for (const { id, printed } of restoreAll ? points : points.slice(-1)) {
        const r = cli(['restore', id, '--store', path.join(store, phone), '--json']);
        assert.equal(r.status, plain.status, r.lines.join('\n'));
        assert.ok(r.stdout.equals(plain.stdout.subarray(printed)), `${image}: output after ${id}`);
        assert.equal(r.summary.memoryHash, plain.summary.memoryHash);
      }
    });
  }

  it("checkpoints into a store while syncing the clone: every checkpoint on both sides restores to the phone's end", () => {
    // Both take increments off one dirty bitmap; each must still see every page written since its own last capture.
    const phone = 'spec-store-and-clone';
    const local = path.join(dir, 'local-store');
    const plain = cli(['boot', 'images/compute', '--json']);
    const both = cli([
      'boot',
      'images/compute',
      '--json',
      '--store',
      local,
      '--checkpoint-every',
      '100M',
      '--clone',
      address,
      '--token-file',
      tokenFile,
      '--phone-id',
      phone,
      '--sync-every',
      '30M',
      '--sync-wait',
    ]);
    assert.equal(both.status, 0, both.lines.join('\n'));
    for (const where of [local, path.join(store, phone)]) {
      const s = CheckpointStore.open(where, { readOnly: true });
      const ids = s.ids();
      s.close();
      assert.ok(ids.length >= 4, `${where}: ${ids.join(' ')}`);
      for (const id of ids) {
        const r = cli(['restore', id, '--store', where, '--json']);
        assert.equal(r.summary.memoryHash, plain.summary.memoryHash, `${where} ${id}`);
      }
    }
  });

  it('a second phone of an image the clone already mirrors sends only the pages the clone lacks', () => {
    const args = ['boot', 'images/compute', '--json', '--clone', address, '--token-file', tokenFile, '--sync-every', '150M'];
    const first = cli([...args, '--phone-id', 'spec-compute-again']);
    const counts = first.lines.flatMap((l) => {
      const m = /^clonecloud: sync \S+ at .*: (\d+) of (\d+) changed pages sent/.exec(l);
      return m ? [{ sent: Number(m[1]), changed: Number(m[2]) }] : [];
    });
    assert.ok(counts.length >= 1, first.lines.join('\n'));
    // Its first sync is a full one, yet the clone holds most of it from the earlier compute phone.
    assert.ok(counts[0].sent * 10 < counts[0].changed, JSON.stringify(counts[0]));
  });
});
