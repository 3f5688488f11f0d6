/**
 * Two runs checkpointing into one store at the same time: whatever each manages to store, no
 * checkpoint is ever linked to another run's, and every stored checkpoint restores to a run that
 * ends exactly as its image's uninterrupted run.
 */
import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import * as path from 'path';
import { CheckpointManifest } from '../../emulator/snapshot/manifest';
import { memoryDigest } from '../../emulator/snapshot/memory-digest';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { restoreCheckpoint } from '../../emulator/snapshot/restore';
import { CheckpointStore } from '../../emulator/store/store';
import { bootImage, collect } from '../support/images';
import { tempDir } from '../support/toolchain';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'clonecloud');

/** Programs and arguments small enough to restore every checkpoint of (compute: one round). */
const ARGS: Record<string, string[]> = { compute: ['1'], hello: [] };

/** Run `image` checkpointing into `store`; its exit code, and what it printed on stderr other than checkpoint lines. */
function boot(image: string, store: string, every: string): Promise<{ code: number | string; errors: string }> {
  return new Promise((resolve, reject) => {
    const args = ['boot', `images/${image}`, '--store', store, '--checkpoint-every', every, '--no-summary', '--', ...ARGS[image]];
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    const err: Buffer[] = [];
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const errors = Buffer.concat(err)
        .toString()
        .split('\n')
        .filter((l) => l && !/^clonecloud: checkpoint \S+ at /.test(l))
        .join('\n');
      resolve({ code: code ?? `signal ${signal}`, errors });
    });
  });
}

describe('checkpoint store: concurrent writers', function () {
  this.timeout(600_000);
  before(() => initHashing());

  it("never links one run's checkpoint to another's, and every checkpoint restores exactly (4 trials)", async () => {
    const truth = new Map<string, { memory: string; instructions: bigint }>();
    for (const name of ['compute', 'hello']) {
      const r = bootImage(name, ARGS[name].length ? ARGS[name] : undefined);
      r.machine.run();
      truth.set(name, { memory: memoryDigest(r.machine.space), instructions: r.machine.instructions });
      r.machine.close();
      collect();
    }
    for (let trial = 0; trial < 4; trial++) {
      const dir = tempDir('cc-concurrent-');
      // Frequent checkpoints on both sides, so that id races and queued commits overlap.
      const children = await Promise.all([boot('compute', dir, '7M'), boot('compute', dir, '11M'), boot('hello', dir, '2k')]);
      // Each run names its own checkpoints, so none is refused for a taken id.
      assert.deepEqual(
        children.map((r) => r.code),
        [0, 0, 0],
        `trial ${trial}: every run stored every checkpoint; stderr: ${children.map((r) => r.errors).join(' | ')}`,
      );
      const store = CheckpointStore.open(dir, { readOnly: true });
      try {
        const ids = store.ids();
        assert.ok(ids.length > 0, 'something was stored');
        const runs = new Map<string, number[]>();
        for (const id of ids) {
          const [run, seq] = id.split('-');
          runs.set(run, [...(runs.get(run) ?? []), Number(seq)]);
        }
        assert.equal(runs.size, 3, `three runs, three run parts: ${ids.join(' ')}`);
        for (const seqs of runs.values())
          assert.deepEqual(
            seqs,
            seqs.map((_, i) => i + 1),
            'each run numbers its checkpoints 1, 2, ...',
          );
        for (const id of ids) {
          const m = store.manifest(id) as CheckpointManifest;
          const parent = store.parent(id);
          if (parent !== null) {
            assert.equal(store.chainOf(id), store.chainOf(parent), `${id} and its parent ${parent} come from one run`);
            assert.equal((store.manifest(parent) as CheckpointManifest).boot.name, m.boot.name, `${id}'s parent ${parent}`);
          }
          const { machine } = restoreCheckpoint(store, id, { stdout: () => undefined, stderr: () => undefined, warn: () => undefined });
          machine.run();
          const want = truth.get(m.boot.name)!;
          assert.deepEqual(
            { memory: memoryDigest(machine.space), instructions: machine.instructions },
            want,
            `restore of ${id} (${m.boot.name}), trial ${trial}`,
          );
          machine.close();
          collect();
        }
      } finally {
        store.close();
      }
    }
  });

  it('two runs into two stores never share an id', async () => {
    const [one, two] = [tempDir('cc-ids-a-'), tempDir('cc-ids-b-')];
    const both = await Promise.all([boot('hello', one, '2k'), boot('hello', two, '2k')]);
    assert.deepEqual(
      both.map((r) => r.code),
      [0, 0],
      `stderr: ${both.map((r) => r.errors).join(' | ')}`,
    );
    const idsOf = (dir: string) => {
      const store = CheckpointStore.open(dir, { readOnly: true });
      try {
        return store.ids();
      } finally {
        store.close();
      }
    };
    const a = idsOf(one);
    const b = idsOf(two);
    assert.ok(a.length > 1 && a.length === b.length, `${a.length} and ${b.length} checkpoints`);
    assert.equal(a.filter((id) => b.includes(id)).length, 0, `no id in both: ${a.join(' ')} / ${b.join(' ')}`);
  });
});
