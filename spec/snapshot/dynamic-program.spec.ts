/**
 * Checkpoints in the middle of a dynamically linked program: the Debian Lua interpreter (its
 * loader, libc, libm and liblua mapped from the root) running the Lua benchmark is cut at a third
 * and at two thirds, checkpointed, restored into a new machine and run on. It must end as the
 * uninterrupted run: output, exit status, instruction count, modelled time and memory. The
 * libraries' pages the program did not change are referred to their files, not stored.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Machine } from '../../emulator/machine/machine';
import { Checkpointer } from '../../emulator/snapshot/capture';
import { memoryDigest, tableDigest } from '../../emulator/snapshot/memory-digest';
import { MemorySnapshots } from '../../emulator/snapshot/memory-snapshots';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { restoreCheckpoint } from '../../emulator/snapshot/restore';
import { bootSpec } from '../support/boot';
import { dynamicBootSpec, DynamicRun, testRoot } from '../support/dynamic-root';
import { tempDir } from '../support/toolchain';

const SCRIPT = path.resolve(__dirname, '..', '..', '..', 'spec', 'realprog', 'dynamic', 'bench.lua');

function ending(m: Machine, stdout: string) {
  const s = m.summary();
  return { stdout, status: s.exitStatus, instructions: String(m.instructions), seconds: s.modelledSeconds, memory: memoryDigest(m.space) };
}

describe('snapshot: checkpoints in the middle of a dynamically linked Lua run', function () {
  this.timeout(600_000);
  let root = '';
  let run: DynamicRun;
  let want: ReturnType<typeof ending>;

  before(async () => {
    await initHashing();
    root = testRoot();
    const work = tempDir('cc-dyn-snap-');
    fs.copyFileSync(SCRIPT, path.join(work, 'bench.lua'));
    run = { program: '/usr/bin/lua5.4', args: ['bench.lua', '4000'], work, env: { PATH: '/usr/bin:/bin', LANG: 'C' } };
    const whole = boot();
    assert.equal(whole.machine.run(), 'exited');
    want = ending(whole.machine, whole.stdout().toString());
    whole.machine.close();
  });

  const boot = () => {
    const spec = dynamicBootSpec(root, run);
    return bootSpec(spec, new Uint8Array(fs.readFileSync(path.join(root, run.program))));
  };

  it('restored at a third and at two thirds, it ends as the uninterrupted run', function () {
    assert.match(want.stdout, /^prefixes\t\d+\t\d+\nsorted\t/);
    const total = BigInt(want.instructions);
    for (const at of [total / 3n, (2n * total) / 3n]) {
      const first = boot();
      assert.equal(first.machine.run(at), 'budget');
      const snaps = new MemorySnapshots();
      const { id } = new Checkpointer(snaps, first.machine).capture();
      first.machine.close();
      const out: Buffer[] = [];
      const r = restoreCheckpoint(snaps, id, { stdout: (b) => out.push(Buffer.from(b)), stderr: () => undefined, warn: () => undefined });
      assert.equal(r.machine.run(), 'exited');
      const got = ending(r.machine, first.stdout().toString() + Buffer.concat(out).toString());
      r.machine.close();
      assert.deepEqual(got, want, `restored from instruction ${at}`);
    }
  });

  it('refers to the libraries for their unchanged pages: few pages stored, increments restore exactly', function () {
    const total = BigInt(want.instructions);
    const b = boot();
    const snaps = new MemorySnapshots();
    const cp = new Checkpointer(snaps, b.machine);
    const taken: { id: string; stdout: string }[] = [];
    for (const at of [total / 3n, (2n * total) / 3n]) {
      assert.equal(b.machine.run(at), 'budget');
      const { id, manifest } = cp.capture();
      taken.push({ id, stdout: b.stdout().toString() });
      assert.equal(tableDigest(manifest.state.regions, snaps.readTable(id)), memoryDigest(b.machine.space));
      if (taken.length === 1) {
        // libc, libm, libreadline and libtinfo are mmap'd by the loader: most of their pages are the files'.
        const { filePages = 0, newPages, residentPages } = manifest.stats;
        assert.ok(filePages > 350, `${filePages} pages referred to files`);
        assert.ok(newPages * 2 < residentPages, `${newPages} of ${residentPages} resident pages stored`);
      }
    }
    b.machine.close();
    for (const t of taken) {
      const out: Buffer[] = [];
      const r = restoreCheckpoint(snaps, t.id, { stdout: (x) => out.push(Buffer.from(x)), stderr: () => undefined, warn: () => undefined });
      assert.equal(r.machine.run(), 'exited');
      const got = ending(r.machine, t.stdout + Buffer.concat(out).toString());
      r.machine.close();
      assert.deepEqual(got, want, `restored from ${t.id}`);
    }
  });
});
