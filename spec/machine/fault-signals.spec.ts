import { strict as assert } from 'assert';
import { runElf } from '../support/boot';
import { assemble, runQemu, tempDir } from '../support/toolchain';

describe('machine: a faulting guest dies of the signal Linux sends', () => {
  const cases: [string, string, number][] = [
    ['undef', 'undefined instruction', 4],
    ['bkpt', 'breakpoint', 5],
    ['unaligned-ldrex', 'alignment fault', 7],
    ['fault', 'segmentation fault', 11],
  ];
  for (const [fixture, kind, signal] of cases) {
    it(`${fixture}: ${kind}, exit status 128 + ${signal} as under qemu-arm`, () => {
      const elf = assemble(fixture);
      const q = runQemu(elf, [fixture], {}, tempDir());
      assert.equal(q.status, 128 + signal, 'qemu-arm');
      const r = runElf(elf);
      assert.equal(r.fault?.info.kind, kind);
      assert.equal(r.summary.signal, signal);
      assert.equal(r.status, 128 + signal);
    });
  }
});
