import { strict as assert } from 'assert';
import { GuestFault } from '../../emulator/errors';
import { CheckpointTarget, openStoreTarget } from '../../emulator/runtime/checkpoint-target';
import { CheckpointSchedule } from '../../emulator/runtime/schedule';
import { CheckpointTaken, LIMIT_STATUS, RunSession } from '../../emulator/runtime/session';
import { Checkpointer } from '../../emulator/snapshot/capture';
import { memoryDigest } from '../../emulator/snapshot/memory-digest';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { restoreCheckpoint } from '../../emulator/snapshot/restore';
import { CheckpointStore } from '../../emulator/store/store';
import { bootElf } from '../support/boot';
import { bootImage, collect } from '../support/images';
import { assemble, tempDir } from '../support/toolchain';

/** count.S retires 4408 instructions and exits with 1100 & 0xff (see spec/machine/machine.spec.ts). */
const COUNT_INSNS = 4408;

/** Restore `id` from the store in `dir`, run it to the end and give its memory hash and instruction count. */
function finishFrom(dir: string, id: string): { memory: string; instructions: bigint } {
  const store = CheckpointStore.open(dir, { create: false, readOnly: true });
  try {
    const { machine } = restoreCheckpoint(store, id, { stdout: () => undefined, stderr: () => undefined, warn: () => undefined });
    try {
      assert.equal(machine.run(), 'exited');
      return { memory: memoryDigest(machine.space), instructions: machine.instructions };
    } finally {
      machine.close();
      collect();
    }
  } finally {
    store.close();
  }
}

describe('run session', function () {
  this.timeout(120_000);
  let count: string;
  before(async () => {
    await initHashing();
    count = assemble('count');
  });
  afterEach(() => collect());

  it('runs a machine to its end and sums it up with its memory hash', async () => {
    const b = bootElf(count);
    try {
      const r = await new RunSession(b.machine).run();
      assert.equal(r.outcome, 'exited');
      assert.equal(r.fault, undefined);
      assert.equal(r.summary.exitStatus, 1100 & 0xff);
      assert.equal(r.summary.instructions, COUNT_INSNS);
      assert.equal(r.summary.memoryHash, memoryDigest(b.machine.space));
      assert.equal(r.summary.stoppedBy, undefined);
      assert.deepEqual(r.checkpoints, []);
      assert.deepEqual(r.summary.checkpoints, []);
    } finally {
      b.machine.close();
    }
  });

  it('stops at its instruction limit exactly and says so', async () => {
    const b = bootElf(count);
    try {
      const r = await new RunSession(b.machine, { maxInstructions: 1001n }).run();
      assert.equal(r.outcome, 'limit');
      assert.equal(r.summary.instructions, 1001);
      assert.equal(r.summary.exitStatus, LIMIT_STATUS);
      assert.equal(r.summary.stoppedBy, 'max-instructions');
      // The machine is left stopped, not closed: it can run on.
      assert.equal(b.machine.run(), 'exited');
      assert.equal(b.machine.instructions, BigInt(COUNT_INSNS));
    } finally {
      b.machine.close();
    }
  });

  it('takes scheduled checkpoints that restore to the same end', async () => {
    const dir = tempDir('cc-session-');
    const b = bootElf(count);
    const taken: CheckpointTaken[] = [];
    let whole;
    try {
      const target = await openStoreTarget(dir, b.machine);
      const r = await new RunSession(b.machine, {
        checkpoints: target,
        schedule: new CheckpointSchedule(2000n, [777n]),
        events: { onCheckpoint: (t) => taken.push(t) },
      }).run();
      assert.equal(r.outcome, 'exited');
      assert.deepEqual(
        taken.map((t) => t.manifest.state.instructions),
        ['777', '2000', '4000'],
      );
      assert.deepEqual(
        r.checkpoints,
        taken.map((t) => t.id),
      );
      assert.deepEqual(r.summary.checkpoints, r.checkpoints);
      assert.ok(taken.every((t) => t.durableMs >= 0));
      whole = { memory: r.summary.memoryHash, instructions: BigInt(r.summary.instructions) };
    } finally {
      b.machine.close();
    }
    for (const id of taken.map((t) => t.id)) assert.deepEqual(finishFrom(dir, id), whole, `restored ${id}`);
  });

  it('takes a checkpoint when asked, at the next point it yields', async () => {
    const dir = tempDir('cc-session-');
    const run = bootImage('compute');
    const taken: CheckpointTaken[] = [];
    const progress: bigint[] = [];
    let whole;
    try {
      const session = new RunSession(run.machine, {
        checkpoints: await openStoreTarget(dir, run.machine),
        yieldEvery: 5_000_000n,
        events: {
          onCheckpoint: (t) => taken.push(t),
          onProgress: (n) => {
            progress.push(n);
            if (progress.length === 2) session.requestCheckpoint();
          },
        },
      });
      const r = await session.run();
      assert.equal(r.outcome, 'exited');
      assert.ok(progress.length > 2, 'the run yielded more than twice');
      assert.deepEqual(progress.slice(0, 2), [5_000_000n, 10_000_000n]);
      assert.deepEqual(
        taken.map((t) => t.manifest.state.instructions),
        ['10000000'],
        'one checkpoint, where it was asked for',
      );
      whole = { memory: r.summary.memoryHash, instructions: BigInt(r.summary.instructions) };
    } finally {
      run.machine.close();
    }
    assert.deepEqual(finishFrom(dir, taken[0].id), whole);
  });

  it('ignores a request without a checkpoint target', async () => {
    const b = bootElf(count);
    try {
      const session: RunSession = new RunSession(b.machine, { yieldEvery: 1000n, events: { onProgress: (): void => session.requestCheckpoint() } });
      const r = await session.run();
      assert.equal(r.outcome, 'exited');
      assert.deepEqual(r.checkpoints, []);
    } finally {
      b.machine.close();
    }
  });

  it('captures a guest fault in its result, also after earlier slices', async () => {
    for (const yieldEvery of [undefined, 2n]) {
      const b = bootElf(assemble('fault'));
      try {
        const r = await new RunSession(b.machine, { yieldEvery }).run();
        assert.equal(r.outcome, 'fault', `yieldEvery ${yieldEvery}`);
        assert.ok(r.fault instanceof GuestFault);
        assert.equal(r.fault.info.kind, 'segmentation fault');
        assert.equal(r.summary.fault?.kind, 'segmentation fault');
        assert.equal(r.summary.fault?.pc, r.fault.info.pc);
        assert.equal(r.summary.exitStatus, 139);
        assert.equal(r.summary.stoppedBy, undefined);
      } finally {
        b.machine.close();
      }
    }
  });

  it('goes on without checkpoints when the target refuses one, and tells its caller', async () => {
    const b = bootElf(count);
    const stopped: [bigint, string][] = [];
    let closed = 0;
    const refusing = {
      captureAsync: () => {
        throw new Error('no space left');
      },
    } as unknown as Checkpointer;
    const target: CheckpointTarget = { checkpointer: refusing, close: () => closed++ };
    try {
      const r = await new RunSession(b.machine, {
        checkpoints: target,
        schedule: new CheckpointSchedule(1000n),
        events: { onCheckpointsStopped: (n, e) => stopped.push([n, e.message]) },
      }).run();
      assert.equal(r.outcome, 'exited');
      assert.equal(r.summary.instructions, COUNT_INSNS);
      assert.deepEqual(stopped, [[1000n, 'no space left']]);
      assert.equal(closed, 1, 'the target is closed once at the end');
    } finally {
      b.machine.close();
    }
  });
});
