import { strict as assert } from 'assert';
import { AddressSpace, PROT_EXEC, PROT_READ } from '../../emulator/memory/address-space';
import { followsYieldHint } from '../../emulator/machine/yield-hint';
import { handProgram, programText } from '../../emulator/difftest/random-insns';
import { assembleProgram } from '../../emulator/difftest/toolchain';
import { runElf } from '../support/boot';
import { assemble, runQemu, tempDir } from '../support/toolchain';

describe('machine: YIELD and WFE hints', () => {
  it('runs them as no-ops in A32 and T32, conditional and in IT blocks, as qemu-arm does', () => {
    const elf = assemble('yield');
    const q = runQemu(elf, ['yield'], {}, tempDir());
    assert.equal(q.status, 9, 'qemu-arm: 3 A32 passes of one increment, 3 T32 passes of two');
    const r = runElf(elf);
    assert.equal(r.fault, undefined, r.fault?.message);
    assert.equal(r.status, 9);
  });

  it('still reports an undefined instruction right after a hint', () => {
    const dir = tempDir();
    const r = runElf(assembleProgram(programText(handProgram('arm', ['yield', 'udf #0'])), dir, 'yield-udf'));
    assert.equal(r.fault?.info.kind, 'undefined instruction');
    assert.match(r.fault?.info.instruction ?? '', /^e7f000f0/);
  });

  it('recognises every encoding of the two hints and nothing else', () => {
    const space = new AddressSpace();
    space.map(0x10000, 0x1000, PROT_READ | PROT_EXEC, 'text', 'test');
    const at = (words: number[]): void => words.forEach((w, i) => space.poke(0x10000 + 4 * i, new Uint8Array(new Uint32Array([w]).buffer)));
    const cases: [number[], number, boolean][] = [
      [[0xe320f001], 0x10004, true], // yield
      [[0x1320f002], 0x10004, true], // wfene
      [[0xe320f000], 0x10004, false], // nop
      [[0xe320f003], 0x10004, false], // wfi
      [[0xbf10bf00], 0x10005, true], // nop; yield (T1)
      [[0xbf20bf00], 0x10005, true], // nop; wfe (T1)
      [[0x8001f3af], 0x10005, true], // yield.w
      [[0x8002f3af], 0x10005, true], // wfe.w
      [[0x8003f3af], 0x10005, false], // wfi.w
      [[0xe320f001], 0x10001, false], // T32 at the very start of the page: nothing mapped before it
    ];
    for (const [words, pc, want] of cases) {
      at(words);
      assert.equal(followsYieldHint(space, pc), want, `${words.map((w) => w.toString(16))} before ${pc.toString(16)}`);
    }
  });
});
