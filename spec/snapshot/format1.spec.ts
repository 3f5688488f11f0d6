/**
 * Stores written by the release with checkpoint format 1 stay readable: a genuine format-1 store,
 * written at test time from the committed fixture's LMDB records, restores every checkpoint to
 * the output, exit status, instruction count and memory hash recorded with that release (its
 * manifests are converted to the current root state on read), diffs, and takes new checkpoints
 * on top of old ones.
 */
import { parseBootSpec } from '../../emulator/machine/boot-spec';
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { SNAPSHOT_VERSION } from '../../emulator/machine/state-version';
import { checkManifest } from '../../emulator/snapshot/manifest';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { CheckpointStore } from '../../emulator/store/store';
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
    await initHashing();
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
      [
        ['c0001', null],
        ['c0002', 'c0001'],
        ['c0003', 'c0002'],
      ],
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

  it('reads old manifests as the current root state', () => {
    const st = CheckpointStore.open(store, { readOnly: true });
    try {
      const raw = st.manifest('c0002') as { image: Record<string, unknown>; profile: object; state: { kernel: { proc: { cwd: string } } } };
      const m = checkManifest(st.manifest('c0002'), 'c0002');
      assert.equal(m.version, SNAPSHOT_VERSION);
      // The separate image and profile fields become the boot record (its cwd: the captured one).
      const { image } = raw;
      assert.deepEqual(m.boot, {
        name: image.name,
        program: { path: image.exePath },
        argv: image.argv,
        env: image.env,
        cwd: raw.state.kernel.proc.cwd,
        profile: raw.profile,
        rootfs: image.rootfs,
        rootfsBase: image.rootfsBase,
        seed: image.seed,
      });
      assert.equal('image' in m, false);
      assert.equal('profile' in m, false);
      assert.deepEqual(parseBootSpec(m.boot, 'c0002'), m.boot);
      assert.equal(m.state.tasks.length, 1);
      const [task] = m.state.tasks;
      assert.equal(task.tid, m.state.group.pid);
      assert.equal(task.comm, 'fmt1');
      assert.deepEqual(task.blocked, [1 << 14, 0]);
      assert.equal(task.cpu.r.length, 15);
      assert.equal(task.cpu.tls, 0x12345678);
      assert.deepEqual(m.state.group.actions[10], [1, 0, 0, 0, 0]);
      assert.deepEqual(
        m.state.fds.descriptions.map((d) => [d.kind, d.path]),
        [
          ['console', '/dev/stdin'],
          ['console', '/dev/stdout'],
          ['console', '/dev/stderr'],
          ['file', '/data.txt'],
        ],
      );
      assert.deepEqual(
        m.state.consoles.map((c) => [c.path, c.written]),
        [
          ['/dev/stdin', 0],
          ['/dev/stdout', 'format1 start\nphase 1\n'.length],
          ['/dev/stderr', 0],
        ],
      );
    } finally {
      st.close();
    }
  });

  it('diffs two old checkpoints', () => {
    const r = cli(['diff', 'c0001', 'c0003', '--store', store, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const d = JSON.parse(r.stdout) as { instructions: number; registers: { name: string }[] };
    assert.equal(d.instructions, 18000);
    assert.ok(d.registers.some((x) => x.name === 'pc'));
  });

  it('takes new checkpoints on top of an old one, which restore to the same end', () => {
    const work = path.join(tempDir('cc-format1-more-'), 'store');
    return makeFormat1Store(work).then(() => {
      const r = cli(['restore', 'c0002', '--store', work, '--stdin', '/dev/null', '--checkpoint-every', '22000', '--json']);
      const want = fixture.restores.c0002;
      assert.equal(r.status, want.status, r.stderr);
      assert.equal(r.stdout, want.stdout);
      const list = JSON.parse(cli(['checkpoints', '--store', work, '--json']).stdout) as { checkpoints: { id: string; parent: string | null }[] };
      const added = list.checkpoints.slice(3);
      assert.deepEqual(
        added.map((c) => c.parent),
        ['c0002'],
      );
      const again = cli(['restore', added[0].id, '--store', work, '--stdin', '/dev/null', '--json']);
      assert.equal(again.status, want.status, again.stderr);
      const summary = JSON.parse(again.stderr.trimEnd().split('\n').pop()!) as { instructions: number; memoryHash: string };
      assert.equal(summary.instructions, want.instructions);
      assert.equal(summary.memoryHash, want.memoryHash);
      assert.ok(want.stdout.endsWith(again.stdout) && again.stdout.length < want.stdout.length, again.stdout);
    });
  });
});
