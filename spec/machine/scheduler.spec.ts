import * as assert from 'assert';
import { nextSlice } from '../../emulator/machine/scheduler';

describe('scheduler: which task runs next, on which core, from when', () => {
  it('one core: the first ready task in queue order, at the core time', () => {
    const c = nextSlice(
      [
        { readyAt: 50n, lastCore: 0 },
        { readyAt: 10n, lastCore: 0 },
      ],
      [100n],
    );
    assert.deepEqual(c, { task: 0, core: 0, start: 100n });
  });

  it('a lone task stays on its core instead of wandering to an idle one', () => {
    assert.deepEqual(nextSlice([{ readyAt: 500n, lastCore: 0 }], [500n, 0n, 0n, 0n]), { task: 0, core: 0, start: 500n });
  });

  it('new tasks spread over the idle cores, each from when it exists', () => {
    const cores = [1000n, 0n, 0n, 0n];
    assert.deepEqual(
      nextSlice(
        [
          { readyAt: 1000n, lastCore: 0 },
          { readyAt: 400n, lastCore: undefined },
        ],
        cores,
      ),
      { task: 1, core: 1, start: 400n },
    );
  });

  it('the core free first takes the first task in queue order that is ready by then', () => {
    const c = nextSlice(
      [
        { readyAt: 300n, lastCore: 0 },
        { readyAt: 100n, lastCore: 1 },
      ],
      [300n, 200n],
    );
    assert.deepEqual(c, { task: 1, core: 1, start: 200n });
    // Nothing ready by then: the task ready soonest, when it is.
    assert.deepEqual(
      nextSlice(
        [
          { readyAt: 900n, lastCore: 1 },
          { readyAt: 700n, lastCore: undefined },
        ],
        [300n, 200n],
      ),
      { task: 1, core: 1, start: 700n },
    );
  });

  it('no runnable task: nothing to run', () => {
    assert.equal(nextSlice([], [0n, 0n]), undefined);
  });
});
