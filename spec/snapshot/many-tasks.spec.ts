/**
 * Checkpoints of many processes and threads: every process case (busybox command lines with
 * pipes, jobs, traps and exec; pthreads; fork, wait and signals) is cut at a third and at two
 * thirds of its run, checkpointed, restored into a new machine and run on. The result must be
 * the uninterrupted run's: output, exit status, instruction count, modelled time and memory.
 */
import { strict as assert } from 'assert';
import { Machine } from '../../emulator/machine/machine';
import { Checkpointer } from '../../emulator/snapshot/capture';
import { diffCheckpoints } from '../../emulator/snapshot/diff';
import { loadCheckpoint } from '../../emulator/snapshot/source';
import { memoryDigest } from '../../emulator/snapshot/memory-digest';
import { MemorySnapshots } from '../../emulator/snapshot/memory-snapshots';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { restoreCheckpoint } from '../../emulator/snapshot/restore';
import { CheckpointStore } from '../../emulator/store/store';
import { EXPECTED_TO_PASS, PROCESS_CASES, ProcessCase } from '../realprog/process-cases';
import { BUDGET, command, ENV, layOut } from '../realprog/process-harness';
import { bootElf } from '../support/boot';
import { resetScratch } from '../support/realprog-inputs';
import { tempDir } from '../support/toolchain';

/** What a run ends with. */
interface Ending {
  stdout: string;
  stderr: string;
  status: number;
  instructions: string;
  seconds: number;
  memory: string;
}

function ending(m: Machine, stdout: string, stderr: string): Ending {
  const s = m.summary();
  return { stdout, stderr, status: s.exitStatus, instructions: String(m.instructions), seconds: s.modelledSeconds, memory: memoryDigest(m.space) };
}

describe('snapshot: checkpoints in the middle of many processes and threads', function () {
  this.timeout(600_000);
  let root = '';
  before(async () => {
    await initHashing();
    root = tempDir('cc-many-tasks-');
    layOut(root);
  });

  const boot = (c: ProcessCase) => {
    const { elf, argv } = command(c);
    if (c.writes) resetScratch(root);
    return bootElf(elf, { argv, env: ENV, cwd: '/', root });
  };

  it('diff lists every process of two checkpoints with its threads, pages and registers', () => {
    const c = PROCESS_CASES.find((k) => k.name === 'wait-all')!;
    const m = boot(c);
    const snaps = new MemorySnapshots();
    const cp = new Checkpointer(snaps, m.machine);
    assert.equal(m.machine.run(60_000n), 'budget');
    const a = cp.capture();
    assert.equal(m.machine.run(100_000n), 'budget');
    const b = cp.capture();
    m.machine.close();
    const d = diffCheckpoints(a.manifest, loadCheckpoint(snaps, a.id).table, b.manifest, loadCheckpoint(snaps, b.id).table);
    const pids = new Set([...(a.manifest.state.procs?.others ?? []), ...(b.manifest.state.procs?.others ?? [])].map((o) => o.group.pid));
    assert.ok(pids.size >= 1, 'the shell has children at both points');
    assert.deepEqual(
      d.processes.map((p) => p.pid),
      [1000, ...[...pids].sort((x, y) => x - y)],
    );
    assert.ok(d.processes.some((p) => p.pid !== 1000 && p.change !== 'unchanged'));
  });

  it('a checkpoint of several processes restores from the LMDB store (pages read as verified batches) as the run went on', () => {
    const c = PROCESS_CASES.find((k) => k.name === 'wait-all')!;
    const whole = boot(c);
    assert.equal(whole.machine.run(BUDGET), 'exited');
    const want = ending(whole.machine, whole.stdout().toString(), whole.stderr().toString());
    whole.machine.close();
    const first = boot(c);
    assert.equal(first.machine.run(60_000n), 'budget');
    const store = CheckpointStore.open(tempDir('cc-many-tasks-store-'));
    try {
      const { id, manifest } = new Checkpointer(store, first.machine).capture();
      assert.ok(
        (manifest.spaces ?? []).some((sp) => sp.pages.length > 0),
        'other processes have pages of their own',
      );
      first.machine.close();
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const r = restoreCheckpoint(store, id, { stdout: (b) => out.push(Buffer.from(b)), stderr: (b) => err.push(Buffer.from(b)), warn: () => undefined });
      assert.equal(r.machine.run(BUDGET), 'exited');
      const got = ending(r.machine, first.stdout().toString() + Buffer.concat(out).toString(), first.stderr().toString() + Buffer.concat(err).toString());
      r.machine.close();
      assert.deepEqual(got, want);
    } finally {
      store.close();
    }
  });

  for (const c of PROCESS_CASES.filter((k) => EXPECTED_TO_PASS.includes(k.name))) {
    it(`${c.name}: restored at a third and at two thirds, it ends as the uninterrupted run`, function () {
      const whole = boot(c);
      assert.equal(whole.machine.run(BUDGET), 'exited');
      const want = ending(whole.machine, whole.stdout().toString(), whole.stderr().toString());
      whole.machine.close();
      const total = BigInt(want.instructions);
      for (const at of [total / 3n, (2n * total) / 3n]) {
        const first = boot(c);
        if (first.machine.run(at) === 'exited') {
          first.machine.close();
          continue;
        }
        const snaps = new MemorySnapshots();
        const { id, manifest } = new Checkpointer(snaps, first.machine).capture();
        const tasks = first.machine.kernel.tasks.length;
        first.machine.close();
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        const r = restoreCheckpoint(snaps, id, { stdout: (b) => out.push(Buffer.from(b)), stderr: (b) => err.push(Buffer.from(b)), warn: () => undefined });
        assert.equal(r.machine.kernel.tasks.length, tasks, 'every task is back');
        assert.equal(r.machine.run(BUDGET), 'exited');
        const got = ending(r.machine, first.stdout().toString() + Buffer.concat(out).toString(), first.stderr().toString() + Buffer.concat(err).toString());
        r.machine.close();
        assert.deepEqual(got, want, `restored from instruction ${at} (${tasks} tasks, ${manifest.state.procs?.others.length ?? 0} other processes)`);
      }
    });
  }
});
