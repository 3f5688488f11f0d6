/**
 * Applying a checkpoint to a running machine leaves it exactly as a cold restore of that
 * checkpoint: the same memory hash and machine state at once, then the same output, exit status,
 * instruction count and final memory when both run to the end. Every sample image, with the live
 * machine behind the checkpoint, ahead of it, or restored from an earlier one and run on.
 */
import { strict as assert } from 'assert';
import { Checkpointer } from '../../emulator/snapshot/capture';
import { applyCheckpointLive } from '../../emulator/snapshot/live-apply';
import { MemorySnapshots } from '../../emulator/snapshot/memory-snapshots';
import { memoryDigest } from '../../emulator/snapshot/memory-digest';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { restoreCheckpoint } from '../../emulator/snapshot/restore';
import { saveMachineState } from '../../emulator/machine/machine-state';
import { Machine } from '../../emulator/machine/machine';
import { bootImage, collect } from '../support/images';

/** Sample runs: their length (instructions) and where the live machine stands when B is applied. */
const CASES: { image: string; total: number; starts: ('behind' | 'ahead' | 'from A')[]; at?: [number, number] }[] = [
  { image: 'hello', total: 27_825, starts: ['behind', 'ahead', 'from A'] },
  { image: 'syscalls', total: 2_831_728, starts: ['behind', 'ahead', 'from A'] },
  { image: 'compute', total: 455_150_542, starts: ['behind', 'from A'] },
  { image: 'memtouch', total: 310_409_367, starts: ['ahead', 'from A'] },
  // About 11 s for a whole run: one case, checkpoints late (the runs to the end are short) and
  // the live machine early in the run.
  { image: 'fsscan', total: 1_592_477_830, starts: ['behind'], at: [0.9, 0.97] },
];

/** A machine whose output since `mark()` can be read; `all` is everything it printed. */
interface Watched {
  machine: Machine;
  mark(): void;
  since(): Buffer;
}

function watched(machine: Machine, all: () => Buffer): Watched {
  let from = 0;
  return {
    machine,
    mark: () => (from = all().length),
    since: () => all().subarray(from),
  };
}

/** Where a restored machine's stdout and stderr go. */
function collector(): { sinks: { stdout: (x: Uint8Array) => void; stderr: (x: Uint8Array) => void; warn: () => void }; all: () => Buffer } {
  const out: Buffer[] = [];
  const push = (x: Uint8Array) => void out.push(Buffer.from(x));
  return { sinks: { stdout: push, stderr: push, warn: () => undefined }, all: () => Buffer.concat(out) };
}

/** The state compared right after the apply: everything a checkpoint would hold of the machine. */
function stateOf(m: Machine): unknown {
  // A task's CPU context holds r0-r14 and the resume address, not the engine's r15.
  const state = saveMachineState(m);
  return { memory: memoryDigest(m.space), resident: m.space.touched.count(), state };
}

/** Run to the end; what a user would compare. */
function finish(w: Watched): unknown {
  w.machine.run();
  const s = w.machine.summary();
  return {
    output: w.since().toString('latin1'),
    exitStatus: s.exitStatus,
    instructions: s.instructions,
    syscalls: s.syscalls,
    modelledSeconds: s.modelledSeconds,
    memory: memoryDigest(w.machine.space),
  };
}

describe('live apply: a running machine brought to a checkpoint equals a cold restore of it', function () {
  this.timeout(300_000);
  before(() => initHashing());

  for (const { image, total, starts, at = [0.4, 0.85] } of CASES) {
    it(`${image}: ${starts.join(', ')}`, () => {
      const a = BigInt(Math.floor(total * at[0]));
      const b = BigInt(Math.floor(total * at[1]));
      const source = new MemorySnapshots();
      const first = bootImage(image);
      const ck = new Checkpointer(source, first.machine);
      assert.equal(first.machine.run(a), 'budget');
      const idA = ck.capture().id;
      assert.equal(first.machine.run(b), 'budget');
      const idB = ck.capture().id;
      first.machine.close();
      collect();

      const c = collector();
      const cold = restoreCheckpoint(source, idB, c.sinks);
      const want = stateOf(cold.machine);
      const wantEnd = finish(watched(cold.machine, c.all));
      cold.machine.close();
      collect();

      for (const start of starts) {
        let live: Machine;
        let all: () => Buffer;
        let since: string | undefined;
        if (start === 'from A') {
          const l = collector();
          live = restoreCheckpoint(source, idA, l.sinks).machine;
          all = l.all;
          live.run((a + b) / 2n);
          since = idA;
        } else {
          const booted = bootImage(image);
          live = booted.machine;
          all = booted.stdout;
          live.run(start === 'behind' ? BigInt(Math.floor(total * 0.05)) : (b + BigInt(total)) / 2n);
          // Bytes changed behind the engine's back, in code and on the stack: found by their hashes.
          for (const kind of ['text', 'stack']) {
            const r = live.space.regions().find((x) => x.kind === kind)!;
            live.space.bytes[r.end - 100] ^= 0x5a;
          }
        }
        const w = watched(live, all);
        const r = applyCheckpointLive(live, source, idB, { since });
        assert.ok(r.pagesWritten > 0 && r.pagesWritten + r.pagesZeroed <= r.pagesChecked, JSON.stringify(r));
        assert.deepEqual(stateOf(live), want, `${image} (${start}): state right after the apply`);
        w.mark();
        assert.deepEqual(finish(w), wantEnd, `${image} (${start}): the run from there on`);
        live.close();
        collect();
      }
    });
  }
});
