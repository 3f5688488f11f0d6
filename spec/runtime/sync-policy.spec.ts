/** The sync policies' decisions and the phone timeline they read, on hand-made points. */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { PhoneTimeline, TimelineError } from '../../emulator/runtime/phone-timeline';
import { isDue, LastSync, onDemandPolicy, opportunisticPolicy, periodicPolicy, SyncLevel, SyncPoint } from '../../emulator/runtime/sync-policy';
import { UsageError } from '../../emulator/errors';
import { tempDir } from '../support/toolchain';

const LINKS = new Set(['3g-2009', 'wifi-2009', 'ethernet']);
const known = (id: string) => LINKS.has(id);
const at = (seconds: number, instructions = 0n, requested = false): SyncPoint => ({ seconds, instructions, requested });
const synced = (seconds: number, instructions = 0n): LastSync => ({ seconds, instructions });

describe('runtime/phone-timeline', () => {
  const day = {
    version: 1,
    spans: [
      { until: 10, link: '3g-2009', charging: false },
      { until: 20, link: 'wifi-2009', charging: false },
      { until: 30, link: null, charging: true },
      { link: '3g-2009', charging: true },
    ],
  };

  it('says the link and charging state at any modelled second, the last span lasting for ever', () => {
    const t = PhoneTimeline.parse(day, 'day.json', known);
    assert.deepEqual(t.at(0), { link: '3g-2009', charging: false });
    assert.deepEqual(t.at(9.999), { link: '3g-2009', charging: false });
    assert.deepEqual(t.at(10), { link: 'wifi-2009', charging: false });
    assert.deepEqual(t.at(25), { link: null, charging: true });
    assert.deepEqual(t.at(1e9), { link: '3g-2009', charging: true });
  });

  it('names the file and the field of every mistake', () => {
    const bad: [unknown, RegExp][] = [
      [[], /must be a JSON object/],
      [{ ...day, version: 2 }, /"version" must be 1/],
      [{ ...day, extra: 1 }, /unknown field "extra"/],
      [{ version: 1, spans: [] }, /"spans" must be a non-empty list/],
      [
        {
          version: 1,
          spans: [
            { link: 'wifi-2009', charging: false, until: 5 },
            { until: 5, link: null, charging: false },
          ],
        },
        /span 2: "until" 5 must be above 5/,
      ],
      [
        {
          version: 1,
          spans: [
            { link: 'wifi-2009', charging: false },
            { link: null, charging: false },
          ],
        },
        /span 1: "until" must be a number .*only the last span/,
      ],
      [{ version: 1, spans: [{ link: 'modem', charging: false }] }, /span 1: unknown link "modem"/],
      [{ version: 1, spans: [{ link: 'wifi-2009', charging: 'yes' }] }, /span 1: "charging" must be true or false/],
      [{ version: 1, spans: [{ link: 'wifi-2009', charging: true, battery: 3 }] }, /span 1: unknown field "battery"/],
    ];
    for (const [raw, why] of bad) {
      assert.throws(
        () => PhoneTimeline.parse(raw, 'day.json', known),
        (e: Error) => e instanceof TimelineError && e instanceof UsageError && /^day\.json: /.test(e.message) && why.test(e.message),
        JSON.stringify(raw),
      );
    }
  });

  it('reads a file, and says when it cannot', () => {
    const dir = tempDir();
    const file = path.join(dir, 'day.json');
    fs.writeFileSync(file, JSON.stringify(day));
    assert.deepEqual(PhoneTimeline.load(file, known).at(15), { link: 'wifi-2009', charging: false });
    fs.writeFileSync(file, '{ not json');
    assert.throws(() => PhoneTimeline.load(file, known), /day\.json: not JSON/);
    assert.throws(() => PhoneTimeline.load(path.join(dir, 'none.json'), known), /cannot read the phone timeline/);
  });
});

describe('runtime/sync-policy', () => {
  it('counts an interval in seconds or instructions, whichever comes first', () => {
    const every = { seconds: 2, instructions: 1000n };
    assert.equal(isDue(every, at(0), undefined), true, 'never synced');
    assert.equal(isDue(every, at(1.9, 999n), synced(0)), false);
    assert.equal(isDue(every, at(2, 0n), synced(0)), true);
    assert.equal(isDue(every, at(0.1, 1000n), synced(0)), true);
  });

  it('periodic: each level at its own period, memory taking the files along, a request taking both', () => {
    const p = periodicPolicy('wifi-2009', { memory: { seconds: 10 }, files: { seconds: 2 } });
    const levels = (point: SyncPoint, last: Partial<Record<SyncLevel, LastSync>>) => p.decide(point, last).levels;
    assert.deepEqual(levels(at(0), {}), ['files', 'memory']);
    assert.deepEqual(levels(at(1), { files: synced(0), memory: synced(0) }), []);
    assert.deepEqual(levels(at(2), { files: synced(0), memory: synced(0) }), ['files']);
    assert.deepEqual(levels(at(10), { files: synced(8), memory: synced(0) }), ['files', 'memory']);
    assert.deepEqual(levels(at(1, 0n, true), { files: synced(0), memory: synced(0) }), ['files', 'memory']);
    assert.equal(p.decide(at(3), {}).link, 'wifi-2009');
    assert.throws(() => periodicPolicy('wifi-2009', { memory: {} }), /give a period/);
    assert.throws(() => periodicPolicy('wifi-2009', { memory: { seconds: 0 } }), /above 0 seconds/);
    assert.throws(() => periodicPolicy('wifi-2009', { memory: { instructions: 0n } }), /above 0 instructions/);
  });

  it('on demand: only when asked', () => {
    const p = onDemandPolicy('3g-2009');
    assert.deepEqual(p.decide(at(100), {}).levels, []);
    assert.deepEqual(p.decide(at(100, 0n, true), {}).levels, ['files', 'memory']);
  });

  it('opportunistic: syncs on Wi-Fi or while charging, defers on 3G until the staleness bound, waits without a link', () => {
    const timeline = PhoneTimeline.parse(
      {
        version: 1,
        spans: [
          { until: 100, link: '3g-2009', charging: false },
          { until: 200, link: 'wifi-2009', charging: false },
          { until: 300, link: '3g-2009', charging: true },
          { until: 400, link: null, charging: false },
          { link: '3g-2009', charging: false },
        ],
      },
      'day.json',
      known,
    );
    const p = opportunisticPolicy({ timeline, intervals: { memory: { seconds: 5 } }, stalenessBound: 60, isCellular: (l) => l.startsWith('3g') });
    const d = (s: number, last: Partial<Record<SyncLevel, LastSync>>, requested = false) => p.decide(at(s, 0n, requested), last);
    // On 3G, never synced: deferred until the bound passes (the mirror's age counts from boot).
    assert.deepEqual(d(30, {}).levels, []);
    assert.match(d(30, {}).reason, /deferred on 3g-2009/);
    assert.deepEqual(d(61, {}).levels, ['files', 'memory']);
    assert.match(d(61, {}).reason, /staleness bound/);
    // A request goes over 3G at once.
    assert.deepEqual(d(30, {}, true).levels, ['files', 'memory']);
    // On Wi-Fi: at most once per interval.
    const last = { files: synced(150), memory: synced(150) };
    assert.deepEqual(d(152, last).levels, []);
    assert.deepEqual(d(155, last).levels, ['files', 'memory']);
    assert.equal(d(155, last).link, 'wifi-2009');
    // Charging on 3G counts as cheap.
    assert.deepEqual(d(250, { files: synced(240), memory: synced(240) }).levels, ['files', 'memory']);
    // No link: nothing, even when asked or stale.
    assert.deepEqual(d(350, {}, true).levels, []);
    assert.equal(d(350, {}).link, null);
    // Back on 3G, the mirror last synced at 410: deferred while it is younger than the bound.
    const back = { files: synced(410), memory: synced(410) };
    assert.deepEqual(d(420, back).levels, []);
    assert.deepEqual(d(470, back).levels, []);
    assert.deepEqual(d(471, back).levels, ['files', 'memory']);
    assert.throws(() => opportunisticPolicy({ timeline, intervals: { memory: { seconds: 5 } }, stalenessBound: 0, isCellular: () => true }), /staleness bound/);
  });
});
