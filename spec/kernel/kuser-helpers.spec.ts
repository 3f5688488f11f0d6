import { strict as assert } from 'assert';
import * as path from 'path';
import { bootElf, runElf } from '../support/boot';
import { compileC, runQemu, tempDir } from '../support/toolchain';

describe('kernel: user helper page at 0xffff0000', () => {
  it('serves cmpxchg, cmpxchg64, memory_barrier, get_tls and the version as ARM Linux (same output as qemu-arm)', () => {
    const elf = compileC(path.resolve(__dirname, '..', '..', '..', 'spec', 'fixtures', 'kuser.c'));
    const q = runQemu(elf, ['kuser'], {}, tempDir());
    assert.equal(q.status, 0, q.stderr.toString());
    assert.match(q.stdout.toString(), /^version 5\ntls matches 1\ncmpxchg 41->42: 0, word 42\ncmpxchg 41->43: refused, word 42\n/);
    const r = runElf(elf);
    assert.equal(r.stdout.toString(), q.stdout.toString());
    assert.equal(r.status, 0);
  });

  it('maps the page read-only and executable', () => {
    const elf = compileC(path.resolve(__dirname, '..', '..', '..', 'spec', 'fixtures', 'kuser.c'));
    const b = bootElf(elf);
    const vec = b.machine.space.regions().find((x) => x.kind === 'vectors');
    assert.deepEqual(vec && { start: vec.start, end: vec.end, prot: vec.prot }, { start: 0xffff0000, end: 0xffff1000, prot: 5 });
    b.machine.close();
  });
});
