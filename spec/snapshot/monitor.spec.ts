/**
 * A checkpoint taken between LDREX and STREX restores the exclusive monitor with the rest of the
 * CPU, so the STREX after the restore succeeds as it does in the uninterrupted run.
 */
import { strict as assert } from 'assert';
import { Checkpointer } from '../../emulator/snapshot/capture';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { restoreCheckpoint } from '../../emulator/snapshot/restore';
import { CheckpointStore } from '../../emulator/store/store';
import { bootElf } from '../support/boot';
import { collect } from '../support/images';
import { assemble, tempDir } from '../support/toolchain';

describe('checkpoint: the exclusive monitor', function () {
  this.timeout(120_000);
  before(() => initHashing());

  it('survives capture and restore at every instruction of an LDREX/STREX loop', () => {
    const elf = assemble('ldrex');
    const store = CheckpointStore.open(tempDir('cc-monitor-'));
    try {
      const b = bootElf(elf);
      const ck = new Checkpointer(store, b.machine);
      const taken: { id: string; open: boolean }[] = [];
      // Instructions 1..24 cover the first LDREX/STREX rounds in ARM state.
      for (let n = 1n; n <= 24n; n++) {
        assert.equal(b.machine.run(n), 'budget');
        taken.push({ id: ck.capture().id, open: b.machine.engine.exclusiveMonitor() !== undefined });
      }
      b.machine.run();
      const whole = { status: b.machine.kernel.exitState!.status, instructions: b.machine.instructions };
      b.machine.close();
      assert.equal(whole.status, 0);
      assert.ok(
        taken.some((t) => t.open),
        'some checkpoints fall between LDREX and STREX',
      );
      for (const t of taken) {
        const { machine } = restoreCheckpoint(store, t.id, { stdout: () => undefined, stderr: () => undefined, warn: () => undefined });
        assert.equal(machine.engine.exclusiveMonitor() !== undefined, t.open, `monitor of ${t.id}`);
        machine.run();
        assert.deepEqual({ status: machine.kernel.exitState!.status, instructions: machine.instructions }, whole, `restored ${t.id}`);
        machine.close();
        collect();
      }
    } finally {
      store.close();
    }
  });
});
