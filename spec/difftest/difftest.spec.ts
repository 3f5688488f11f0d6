import { strict as assert } from 'assert';
import { difftest } from '../../emulator/difftest/difftest';
import { DiffTarget } from '../../emulator/difftest/lockstep';
import { findProfile } from '../../emulator/model/profiles';
import * as fs from 'fs';
import * as path from 'path';
import { debianProgram } from '../support/debian';
import { assemble, compileC, tempDir } from '../support/toolchain';

function target(fixture: string, raw: boolean): DiffTarget {
  return {
    elfPath: assemble(fixture),
    argv: [fixture],
    env: [],
    cwd: '/',
    profile: findProfile('htc-g1'),
    seed: 1,
    engine: raw ? { itStateWorkaround: false } : undefined,
  };
}

describe('difftest against qemu-arm', function () {
  this.timeout(300_000);

  it('finds both sides equal on a program clonecloud runs correctly', async () => {
    const r = await difftest(target('it-tlb', false));
    assert.equal(r.same, true);
    assert.equal(r.exitStatus, 16);
    assert.equal(r.syscalls, 1);
  });

  it('finds programs that die of a signal equal when both sides die alike (abort, a null call)', async () => {
    const fixture = (name: string) => path.resolve(__dirname, '..', '..', '..', 'spec', 'fixtures', name);
    const aborted = await difftest({ ...target('it-tlb', false), elfPath: compileC(fixture('abort.c')), argv: ['abort'] });
    assert.equal(aborted.same, true, aborted.divergence?.reason);
    assert.equal(aborted.exitStatus, 128 + 6);
    const crashed = await difftest({ ...target('it-tlb', false), elfPath: compileC(fixture('nullcall.c')), argv: ['nullcall'] });
    assert.equal(crashed.same, true, crashed.divergence?.reason);
    assert.equal(crashed.exitStatus, 128 + 11);
  });

  it('pins the Thumb IT-state engine bug (workaround off) to the skipped instruction', async () => {
    const r = await difftest(target('it-tlb', true));
    assert.equal(r.same, false);
    const ins = r.divergence?.instruction;
    assert.ok(ins, 'an instruction-level difference');
    assert.equal(ins.kind, 'state');
    // The loop head's first instruction (adds r4, #1) ran on qemu-arm only.
    assert.equal(ins.culprit.traced, false);
    assert.equal(ins.culprit.pc, ins.pc - 4);
    assert.deepEqual(
      ins.registers.map((d) => d.name).filter((n) => n === 'r4'),
      ['r4'],
    );
  });

  it('finds a divergence 60 million instructions into a 120-million-instruction run, and proves the rest equal', async () => {
    const started = Date.now();
    const r = await difftest(target('late-it', true));
    assert.equal(r.same, false);
    const ins = r.divergence?.instruction;
    assert.ok(ins, 'an instruction-level difference');
    assert.ok(ins.instructions > 60_000_000n && ins.instructions < 60_010_000n, String(ins.instructions));
    assert.equal(ins.culprit.traced, false);
    assert.ok(r.probes > 10, `narrowed by probes (${r.probes})`);
    assert.ok(Date.now() - started < 240_000, 'within minutes');
    const good = await difftest(target('late-it', false));
    assert.equal(good.same, true);
    assert.equal(good.exitStatus, 16);
  });
});

describe('difftest on a real program', function () {
  this.timeout(300_000);

  it('busybox bzip2 of 2,000 zero bytes: same with the IT-state fix; without it, the instruction after an IT block that clonecloud skipped', async () => {
    const root = tempDir('cc-difftest-bz-');
    fs.writeFileSync(path.join(root, 'z2000'), Buffer.alloc(2000));
    const t = (raw: boolean): DiffTarget => ({
      elfPath: debianProgram('busybox'),
      root,
      argv: ['busybox', 'bzip2', '-c', 'z2000'],
      env: [],
      cwd: '/',
      profile: findProfile('htc-g1'),
      seed: 1,
      engine: raw ? { itStateWorkaround: false } : undefined,
    });
    const good = await difftest(t(false));
    assert.equal(good.same, true, good.divergence?.reason);
    assert.equal(good.exitStatus, 0);
    const bad = await difftest(t(true));
    assert.equal(bad.same, false);
    assert.match(bad.divergence!.reason, /write\(fd 1\) is about to write differs/);
    const ins = bad.divergence!.instruction!;
    assert.equal(ins.kind, 'state');
    assert.equal(ins.culprit.traced, false, 'qemu-arm ran an instruction clonecloud did not');
  });
});
