import { strict as assert } from 'assert';
import { runElf } from '../support/boot';
import { assemble, runQemu, tempDir } from '../support/toolchain';

describe('engine: Thumb IT state across TLB misses', () => {
  it('runs the instruction after an IT block with a TLB-missing store unconditionally, as qemu-arm does', () => {
    const elf = assemble('it-tlb');
    const q = runQemu(elf, ['it-tlb'], {}, tempDir());
    assert.equal(q.status, 16, 'qemu-arm runs the loop head 16 times');
    for (const engine of [{}, { trackDirty: false }, { countInstructions: false }]) {
      const r = runElf(elf, { engine });
      assert.equal(r.status, 16, `loop head executions with ${JSON.stringify(engine)}`);
    }
  });
});
