/**
 * The Persist contract on a whole machine: every part's restore() replaces its state, so a
 * machine that has run on past a saved state and is then restored from it is the same machine as
 * an empty one restored from that state — same root state, file layer and memory, and the same
 * output, instruction count and memory hash from there to the end.
 */
import { strict as assert } from 'assert';
import { Machine } from '../../emulator/machine/machine';
import { MachineState, restoreMachineState, saveMachineState } from '../../emulator/machine/machine-state';
import { PAGE_SIZE } from '../../emulator/memory/address-space';
import { findProfile } from '../../emulator/model/profiles';
import { memoryDigest } from '../../emulator/snapshot/memory-digest';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { LayerState } from '../../emulator/vfs/layer-state';
import { bootImage, collect, ImageRun } from '../support/images';

/** Everything a snapshot holds, taken in memory. */
interface Saved {
  state: MachineState;
  layer: LayerState;
  pages: Map<number, Uint8Array>;
}

function save(m: Machine): Saved {
  const pages = new Map(m.space.touched.pages().map((p) => [p, m.space.bytes.slice(p * PAGE_SIZE, (p + 1) * PAGE_SIZE)]));
  return { state: saveMachineState(m), layer: m.vfs.save(), pages };
}

/** Put `s` into `m`: parts through their restore(), then memory contents (pages not saved are zero). */
function restore(m: Machine, s: Saved): void {
  m.vfs.restore(s.layer);
  restoreMachineState(m, s.state);
  for (const p of m.space.touched.pages()) {
    if (!s.pages.has(p)) {
      m.space.bytes.fill(0, p * PAGE_SIZE, (p + 1) * PAGE_SIZE);
      m.space.touched.clear(p);
    }
  }
  for (const [p, bytes] of s.pages) {
    m.space.bytes.set(bytes, p * PAGE_SIZE);
    m.space.touched.set(p);
  }
  m.rearmDirtyTracking();
}

/** A machine of `run`'s image built without its program, with output captured. */
function emptyLike(run: ImageRun, s: Saved): { machine: Machine; out: () => Buffer } {
  const out: Buffer[] = [];
  const machine = new Machine(
    { ...run.machine.spec, cwd: s.state.group.cwd, profile: findProfile(run.machine.spec.profile.id) },
    { stdout: (b) => out.push(Buffer.from(b)), stderr: (b) => out.push(Buffer.from(b)), warn: () => undefined },
  );
  return { machine, out: () => Buffer.concat(out) };
}

describe('machine: restoring the parts of a running machine', function () {
  this.timeout(120_000);
  before(async () => {
    await initHashing();
  });

  for (const name of ['hello', 'syscalls', 'memtouch']) {
    it(`${name}: a running machine restored from an earlier state equals a fresh restore of it`, () => {
      const whole = bootImage(name);
      whole.machine.run();
      const total = whole.machine.instructions;
      const wholeOut = whole.stdout();
      const wholeMemory = memoryDigest(whole.machine.space);
      whole.machine.close();
      collect();

      const live = bootImage(name);
      assert.equal(live.machine.run(total / 3n), 'budget');
      const saved = save(live.machine);
      const before = live.stdout().length;
      assert.equal(live.machine.run((2n * total) / 3n), 'budget');
      restore(live.machine, saved);

      const fresh = emptyLike(live, saved);
      restore(fresh.machine, saved);
      assert.deepEqual(saveMachineState(live.machine), saveMachineState(fresh.machine));
      assert.deepEqual(live.machine.vfs.save(), fresh.machine.vfs.save());
      assert.equal(memoryDigest(live.machine.space), memoryDigest(fresh.machine.space));

      const liveOutAt = live.stdout().length;
      live.machine.run();
      fresh.machine.run();
      const liveRest = live.stdout().subarray(liveOutAt);
      assert.deepEqual(liveRest, fresh.out());
      assert.deepEqual(Buffer.concat([wholeOut.subarray(0, before), fresh.out()]), wholeOut);
      assert.equal(live.machine.instructions, total);
      assert.equal(fresh.machine.instructions, total);
      assert.equal(memoryDigest(live.machine.space), wholeMemory);
      assert.equal(memoryDigest(fresh.machine.space), wholeMemory);
      assert.deepEqual(live.machine.kernel.exitState, fresh.machine.kernel.exitState);
      live.machine.close();
      fresh.machine.close();
      collect();
    });
  }
});
