import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import { findProfile } from '../../emulator/model/profiles';
import { memoryDigest } from '../../emulator/snapshot/memory-digest';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { bootElf } from '../support/boot';
import { fixtureElf } from '../support/oracle';

/** The host's proportional set size in MiB (shared pages counted once between processes). */
function hostPssMiB(): number {
  return Number(/Pss:\s+(\d+)/.exec(fs.readFileSync('/proc/self/smaps_rollup', 'utf8'))![1]) / 1024;
}

/** A built-in profile with another core count. */
function withCores(id: string, cores: number) {
  return { ...findProfile(id), cores };
}

describe('machine: processes and threads on modelled cores', function () {
  this.timeout(300_000);
  before(() => initHashing());

  it('holds 100 live guest processes at once, each with its own memory, and releases them when reaped', () => {
    const elf = fixtureElf('many-children');
    const qemu = spawnSync('qemu-arm', [elf, '100'], { encoding: 'utf8' });
    const b = bootElf(elf, { argv: ['many-children', '100'] });
    const before = hostPssMiB();
    // Stop at the parent's first write: every child exists and waits on the pipe.
    assert.equal(
      b.machine.run(undefined, (nr) => nr === 4),
      'syscall',
    );
    assert.equal(b.machine.kernel.procs.groups().length, 101);
    const grown = hostPssMiB() - before;
    assert.ok(grown < 200, `101 live processes took ${grown.toFixed(0)} MiB of host memory`);
    // The host can still start processes of its own (no 4 GiB commitment per guest).
    assert.equal(spawnSync('true').status, 0);
    assert.equal(b.machine.run(), 'exited');
    assert.equal(b.machine.kernel.procs.groups().length, 0);
    assert.equal(b.stdout().toString(), qemu.stdout);
    assert.equal(b.machine.summary().exitStatus, 0);
    b.machine.close();
  });

  it('threads interleave the same way on every run: same output, instruction count and memory', () => {
    const elf = fixtureElf('pthreads');
    const run = () => {
      const b = bootElf(elf, { argv: ['pthreads'], profileObject: withCores('dell-t7400', 4) });
      assert.equal(b.machine.run(), 'exited');
      const s = b.machine.summary();
      const out = {
        stdout: b.stdout().toString(),
        instructions: s.instructions,
        seconds: s.modelledSeconds,
        energy: s.energyJoules,
        memory: memoryDigest(b.machine.space),
      };
      b.machine.close();
      return out;
    };
    const first = run();
    assert.match(first.stdout, /sum 1\.\.4000000 = 8000002000000 \(expected 8000002000000\), joined values 10/);
    assert.deepEqual(run(), first);
  });

  it('the parallel image: the same result on 1 and 4 cores, more than 3x faster on 4', () => {
    const elf = 'images/parallel/build/parallel';
    const run = (cores: number) => {
      const b = bootElf(elf, {
        argv: ['parallel', '/sdcard'],
        profileObject: withCores('dell-t7400', cores),
        rootfs: JSON.parse(fs.readFileSync('images/parallel/manifest.json', 'utf8')).rootfs,
      });
      assert.equal(b.machine.run(), 'exited');
      const s = b.machine.summary();
      b.machine.close();
      return { stdout: b.stdout().toString(), stderr: b.stderr().toString(), seconds: s.modelledSeconds };
    };
    const one = run(1);
    const four = run(4);
    assert.equal(four.stdout, one.stdout);
    assert.match(one.stderr, /threads 1\b/);
    assert.match(four.stderr, /threads 4\b/);
    assert.ok(one.seconds / four.seconds > 3, `speedup ${(one.seconds / four.seconds).toFixed(2)}`);
  });

  it('threads pinned to one core with sched_setaffinity share it: about 4x the time of four free threads', () => {
    const elf = fixtureElf('affinity');
    const run = (argv: string[]) => {
      const b = bootElf(elf, { argv, profileObject: withCores('dell-t7400', 4) });
      assert.equal(b.machine.run(), 'exited');
      const s = b.machine.summary();
      b.machine.close();
      return { stdout: b.stdout().toString(), seconds: s.modelledSeconds };
    };
    const free = run(['affinity']);
    const pinned = run(['affinity', 'pin']);
    assert.equal(free.stdout, 'cpus in my mask: 4\n');
    assert.equal(pinned.stdout, free.stdout);
    const ratio = pinned.seconds / free.seconds;
    assert.ok(ratio > 3.5 && ratio < 4.5, `pinned/free time ${ratio.toFixed(2)}`);
  });

  it('fork refuses a process with MAP_SHARED anonymous memory (ENOMEM) instead of a child that does not share it', () => {
    const b = bootElf(fixtureElf('shared-anon'), { argv: ['shared-anon'] });
    assert.equal(b.machine.run(), 'exited');
    assert.equal(b.stdout().toString(), 'fork: Cannot allocate memory\n');
    b.machine.close();
  });
});
