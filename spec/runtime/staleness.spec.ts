/** The mirror's mean staleness over a run, on hand-computed cases. */
import { strict as assert } from 'assert';
import { meanStaleness } from '../../emulator/runtime/staleness';

describe('runtime/replicator: mean staleness', () => {
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

  it('grows from boot while the clone holds nothing', () => {
    close(meanStaleness([], 10), 5);
    close(meanStaleness([], 0), 0);
  });

  it('drops to the capture time once the sync has arrived, not when it was captured', () => {
    // Age t on [0, 3), then t - 2 on [3, 10): (4.5 + 31.5) / 10.
    close(meanStaleness([{ capturedAt: 2, arrivedAt: 3 }], 10), 3.6);
    // Arrived at once: age t on [0, 4), then t - 4 on [4, 10): (8 + 18) / 10.
    close(meanStaleness([{ capturedAt: 4, arrivedAt: 4 }], 10), 2.6);
  });

  it('counts nothing of a sync still on the link when the run ends, and is larger the slower the link', () => {
    close(meanStaleness([{ capturedAt: 2, arrivedAt: 12 }], 10), 5);
    const fast = meanStaleness(
      [
        { capturedAt: 1, arrivedAt: 1.1 },
        { capturedAt: 5, arrivedAt: 5.1 },
      ],
      10,
    );
    const slow = meanStaleness(
      [
        { capturedAt: 1, arrivedAt: 4 },
        { capturedAt: 5, arrivedAt: 8 },
      ],
      10,
    );
    assert.ok(slow > fast, `${slow} > ${fast}`);
    // Two syncs: t on [0,1.1), t-1 on [1.1,5.1), t-5 on [5.1,10).
    close(fast, (1.1 ** 2 / 2 + (4.1 ** 2 - 0.1 ** 2) / 2 + (5 ** 2 - 0.1 ** 2) / 2) / 10);
  });
});
