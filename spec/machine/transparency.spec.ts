/**
 * Stopping and resuming is invisible: a run cut into pieces of any size (down to one instruction,
 * so stops fall inside IT blocks, between LDREX and STREX and in the middle of long blocks) ends
 * exactly as the uninterrupted run: same output, exit status, instruction count and memory.
 */
import { strict as assert } from 'assert';
import { memoryDigest } from '../../emulator/snapshot/memory-digest';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { Machine } from '../../emulator/machine/machine';
import { bootElf } from '../support/boot';
import { bootImage, collect } from '../support/images';
import { assemble } from '../support/toolchain';

interface Outcome {
  out: string;
  status: number | undefined;
  instructions: bigint;
  memory: string;
  pieces: number;
}

/** Run to the end in pieces of `step` instructions (undefined: uninterrupted). */
function runInPieces(m: Machine, out: () => Buffer, step?: bigint): Outcome {
  let pieces = 1;
  if (step === undefined) m.run();
  else {
    for (;;) {
      const before = m.instructions;
      const outcome = m.run(before + step);
      if (outcome !== 'budget') break;
      assert.equal(m.instructions, before + step, 'a budget stops exactly at its instruction');
      pieces++;
    }
  }
  const o = { out: out().toString('latin1'), status: m.kernel.exitState?.status, instructions: m.instructions, memory: memoryDigest(m.space), pieces };
  m.close();
  return o;
}

function sameAsWhole(boot: () => { machine: Machine; out: () => Buffer }, steps: bigint[]): void {
  const whole = (() => {
    const b = boot();
    return runInPieces(b.machine, b.out);
  })();
  for (const step of steps) {
    const b = boot();
    const cut = runInPieces(b.machine, b.out, step);
    assert.ok(cut.pieces > 1, `step ${step} cut the run`);
    assert.deepEqual({ ...cut, pieces: 0 }, { ...whole, pieces: 0 }, `run in pieces of ${step}`);
    collect();
  }
}

describe('machine: stops and resumes are transparent at every instruction', function () {
  this.timeout(300_000);
  before(() => initHashing());

  for (const fixture of ['count', 'it-tlb', 'ldrex']) {
    it(`${fixture}: pieces of 1, 2, 3, 5, 7, 11 and 64 instructions`, () => {
      sameAsWhole(() => {
        const b = bootElf(assemble(fixture));
        return { machine: b.machine, out: b.stdout };
      }, [1n, 2n, 3n, 5n, 7n, 11n, 64n]);
    });
  }

  it('ldrex: no STREX fails when the run is cut between LDREX and STREX', () => {
    const b = bootElf(assemble('ldrex'));
    const r = runInPieces(b.machine, b.stdout, 1n);
    assert.equal(r.status, 0, 'STREX failures (+100 for a wrong counter)');
  });

  it('the hello and compute images: pieces of sizes around block and slice lengths', () => {
    const image = (name: string) => () => {
      const r = bootImage(name);
      return { machine: r.machine, out: r.stdout };
    };
    sameAsWhole(image('hello'), [1n, 13n, 4093n]);
    sameAsWhole(image('compute'), [999_983n, 7_000_003n, 20_000_001n]);
  });
});
