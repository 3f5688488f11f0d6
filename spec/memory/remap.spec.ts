import { strict as assert } from 'assert';
import * as path from 'path';
import { runElf } from '../support/boot';
import { compileC, runQemu, tempDir } from '../support/toolchain';

describe('memory: pages mapped again after an unmap', () => {
  it('read as zero and survive mremap when first read, then written (same output as qemu-arm)', () => {
    const elf = compileC(path.resolve(__dirname, '..', '..', '..', 'spec', 'fixtures', 'remap.c'));
    const q = runQemu(elf, ['remap'], {}, tempDir());
    assert.equal(q.status, 0);
    assert.match(q.stdout.toString(), /round 2: 0 non-zero/);
    assert.match(q.stdout.toString(), /moved, kept 4096 of 4096/);
    for (const engine of [{}, { trackDirty: false }]) {
      const r = runElf(elf, { engine });
      assert.equal(r.stdout.toString(), q.stdout.toString(), JSON.stringify(engine));
      assert.equal(r.status, 0);
    }
  });
});
