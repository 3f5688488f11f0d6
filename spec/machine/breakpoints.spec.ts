/**
 * Breakpoints against independent truths: the program's own call counters, the call sites and
 * symbol values binutils (objdump, readelf) reports, and an uninterrupted run of the same program
 * (output, instruction count, memory hash), in a Thumb build and an ARM build.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Machine } from '../../emulator/machine/machine';
import { Checkpointer } from '../../emulator/snapshot/capture';
import { memoryDigest } from '../../emulator/snapshot/memory-digest';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { restoreCheckpoint } from '../../emulator/snapshot/restore';
import { CheckpointStore } from '../../emulator/store/store';
import { CPSR_T, Reg } from '../../emulator/unicorn/constants';
import { bootElf, BootedMachine } from '../support/boot';
import { collect } from '../support/images';
import { compileC, tempDir } from '../support/toolchain';

const SOURCE = path.resolve(__dirname, '..', '..', '..', 'spec', 'fixtures', 'breakpoints.c');
/** What the fixture prints: its own call counts of walk (465), mix (300) and other (6). */
const CALLS = { walk: 465, mix: 300, other: 6 };

interface Fixture {
  elf: string;
  /** Entry address (no Thumb bit) and whether it is Thumb code, from readelf -s. */
  fn: Record<keyof typeof CALLS, { address: number; thumb: boolean }>;
  /** For each function, the addresses right after every instruction that calls it (objdump -d). */
  returns: Record<keyof typeof CALLS, Set<number>>;
}

interface Outcome {
  out: Buffer;
  instructions: bigint;
  memory: string;
}

function tool(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error || r.status !== 0) throw new Error(`${cmd} failed: ${r.error?.message ?? r.stderr}: run 'bash scripts/setup.sh'`);
  return r.stdout;
}

function fixture(flags: string[]): Fixture {
  const elf = compileC(SOURCE, flags);
  const names = Object.keys(CALLS) as (keyof typeof CALLS)[];
  const fn = {} as Fixture['fn'];
  for (const line of tool('arm-linux-gnueabihf-readelf', ['-sW', elf]).split('\n')) {
    const f = line.trim().split(/\s+/);
    const name = f[7] as keyof typeof CALLS;
    if (f[3] === 'FUNC' && names.includes(name)) {
      const value = parseInt(f[1], 16);
      fn[name] = { address: value & ~1, thumb: (value & 1) === 1 };
    }
  }
  const returns = Object.fromEntries(names.map((n) => [n, new Set<number>()])) as Fixture['returns'];
  // "   10522:	f7ff fff1 	bl	10504 <walk>": BL and BLX immediate are 4 bytes in both states.
  for (const m of tool('arm-linux-gnueabihf-objdump', ['-d', elf]).matchAll(/^\s*([0-9a-f]+):.*\tblx?\s+[0-9a-f]+ <(\w+)>$/gm)) {
    const name = m[2] as keyof typeof CALLS;
    if (names.includes(name)) returns[name].add(parseInt(m[1], 16) + 4);
  }
  for (const n of names) {
    assert.ok(fn[n], `readelf lists ${n}`);
    assert.ok(returns[n].size > 0, `objdump shows calls of ${n}`);
  }
  return { elf, fn, returns };
}

function finish(b: BootedMachine): Outcome {
  const r = { out: b.stdout(), instructions: b.machine.instructions, memory: memoryDigest(b.machine.space) };
  b.machine.close();
  collect();
  return r;
}

function plainRun(elf: string): Outcome {
  const b = bootElf(elf);
  assert.equal(b.machine.run(), 'exited');
  return finish(b);
}

/** Run with breakpoints at every function's entry to the end, calling `onHit` at each stop. */
function hitsOf(m: Machine, fx: Fixture, onHit?: (name: keyof typeof CALLS) => void, until?: () => bigint): Map<string, number> {
  const byAddress = new Map(Object.entries(fx.fn).map(([n, f]) => [f.address, n as keyof typeof CALLS]));
  m.setBreakpoints([...byAddress.keys()]);
  const hits = new Map<string, number>();
  for (;;) {
    const outcome = m.run(until?.());
    if (outcome === 'exited') return hits;
    if (outcome === 'budget') continue;
    assert.equal(outcome, 'breakpoint');
    const name = byAddress.get(m.breakpointHit!);
    assert.ok(name, `stopped at a breakpoint that was set: 0x${m.breakpointHit?.toString(16)}`);
    hits.set(name, (hits.get(name) ?? 0) + 1);
    onHit?.(name);
  }
}

for (const [mode, flags] of [
  ['Thumb', []],
  ['ARM', ['-marm']],
] as const) {
  describe(`machine: breakpoints (${mode} build)`, function () {
    this.timeout(120_000);
    let fx: Fixture;
    let plain: Outcome;
    before(async () => {
      await initHashing();
      fx = fixture([...flags]);
      plain = plainRun(fx.elf);
      assert.match(plain.out.toString(), /walk 8030 calls 465\nmix \d+ calls 300 other calls 6\n/);
    });

    it('stops at each call, with LR the return address and SP aligned, and ends as the plain run', () => {
      const b = bootElf(fx.elf);
      const m = b.machine;
      const walkSp = new Set<number>();
      const hits = hitsOf(m, fx, (name) => {
        const f = fx.fn[name];
        const thumb = (m.engine.readReg(Reg.CPSR) & CPSR_T) !== 0;
        assert.equal(thumb, f.thumb, `${name} runs in the state readelf gives it`);
        assert.equal(m.resumeAddress, f.thumb ? f.address | 1 : f.address);
        assert.equal(m.breakpointHit, f.address);
        const lr = m.engine.r(14);
        assert.ok(fx.returns[name].has((lr & ~1) >>> 0), `${name}: LR 0x${lr.toString(16)} is after a call of it`);
        const sp = m.engine.r(13);
        assert.equal(sp % 8, 0, `${name}: SP 0x${sp.toString(16)} is 8-byte aligned at a call`);
        if (name === 'walk') walkSp.add(sp);
      });
      assert.deepEqual(Object.fromEntries(hits), CALLS);
      // walk(12) nests 12 deep: one SP per depth, one frame size apart.
      const sps = [...walkSp].sort((a, b) => b - a);
      assert.equal(sps.length, 12);
      const frame = sps[0] - sps[1];
      assert.ok(frame > 0 && sps.every((sp, i) => sp === sps[0] - i * frame), `evenly spaced frames: ${sps.map((s) => s.toString(16))}`);
      assert.deepEqual(finish(b), plain);
    });

    it('with an instruction budget too, stops at whichever comes first and still ends as the plain run', () => {
      const b = bootElf(fx.elf);
      const m = b.machine;
      let budgets = 0;
      const hits = hitsOf(
        m,
        fx,
        () => {
          // At a breakpoint a budget already reached does not move the CPU.
          const at = m.instructions;
          assert.equal(m.run(at), 'budget');
          assert.equal(m.instructions, at);
          assert.notEqual(m.breakpointHit, undefined);
        },
        () => {
          budgets++;
          return m.instructions + 37n;
        },
      );
      assert.deepEqual(Object.fromEntries(hits), CALLS);
      assert.ok(budgets > 26_000 / 37, `${budgets} runs`);
      assert.deepEqual(finish(b), plain);
    });

    it('executes exactly the one instruction at a breakpoint when the budget allows only that', () => {
      const b = bootElf(fx.elf);
      const m = b.machine;
      m.setBreakpoints([fx.fn.mix.address]);
      for (let i = 0; i < 5; i++) {
        assert.equal(m.run(), 'breakpoint');
        const at = m.instructions;
        assert.equal(m.run(at + 1n), 'budget');
        assert.equal(m.instructions, at + 1n);
        assert.equal(m.breakpointHit, undefined);
      }
      m.setBreakpoints([]);
      assert.equal(m.run(), 'exited');
      assert.deepEqual(finish(b), plain);
    });

    it('runs on to the end when the breakpoints are cleared mid-run', () => {
      const b = bootElf(fx.elf);
      const m = b.machine;
      m.setBreakpoints([fx.fn.mix.address, fx.fn.walk.address]);
      let mixHits = 0;
      while (mixHits < 100) {
        assert.equal(m.run(), 'breakpoint');
        assert.equal(m.breakpointHit, fx.fn.mix.address, 'walk runs after the loop');
        mixHits++;
      }
      m.setBreakpoints([]);
      assert.equal(m.run(), 'exited');
      assert.deepEqual(finish(b), plain);
    });

    it('a breakpoint in a function of the other instruction set stops it in that state', () => {
      const b = bootElf(fx.elf);
      const m = b.machine;
      const f = fx.fn.other;
      assert.notEqual(f.thumb, fx.fn.walk.thumb, 'other() is built for the other instruction set');
      m.setBreakpoints([f.address]);
      let hits = 0;
      while (m.run() === 'breakpoint') {
        hits++;
        assert.equal(m.resumeAddress & 1, f.thumb ? 1 : 0);
      }
      assert.equal(hits, CALLS.other);
      assert.deepEqual(finish(b), plain);
    });

    it('a checkpoint taken at a breakpoint restores and runs to the same end', () => {
      const dir = tempDir('cc-bp-');
      const store = CheckpointStore.open(dir);
      try {
        const b = bootElf(fx.elf);
        const m = b.machine;
        m.setBreakpoints([fx.fn.walk.address]);
        for (let i = 0; i < 3; i++) assert.equal(m.run(), 'breakpoint');
        const id = new Checkpointer(store, m).capture().id;
        const before = b.stdout();
        m.close();
        const out: Buffer[] = [];
        const { machine } = restoreCheckpoint(store, id, { stdout: (x) => out.push(Buffer.from(x)), stderr: () => undefined, warn: () => undefined });
        // The restored CPU is about to execute walk's first instruction: it stops there at once.
        machine.setBreakpoints([fx.fn.walk.address]);
        let hits = 0;
        while (machine.run() === 'breakpoint') hits++;
        assert.equal(hits, CALLS.walk - 2);
        const r = { out: Buffer.concat([before, ...out]), instructions: machine.instructions, memory: memoryDigest(machine.space) };
        machine.close();
        collect();
        assert.deepEqual(r, plain);
      } finally {
        store.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
