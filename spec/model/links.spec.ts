import { strict as assert } from 'assert';
import { ProfileError } from '../../emulator/errors';
import { LinkMeter } from '../../emulator/model/link-meter';
import { BUILTIN_LINKS, checkLink, findLink, LINK_FIGURES } from '../../emulator/model/links';

// 3g-2009: 215 kbit/s up, 1259 kbit/s down, RTT 220 ms, promotion 582 ms at 570 mW, sending at
// 570 mW, tails DCH 6 s at 570 mW then FACH 4 s at 401 mW. 21,500 bytes up take exactly 0.8 s.
const UP = 21_500;
// One sync from idle: promotion + one round trip + 0.8 s of upload, all at 570 mW.
const FIRST = { seconds: 1.602, joules: 0.91314 };
// The whole tail: 6 s x 0.57 W + 4 s x 0.401 W.
const FULL_TAIL_J = 5.024;

describe('model/links', () => {
  it('has the links the issue names, each with valid figures and a source for every one', () => {
    assert.deepEqual(
      BUILTIN_LINKS.map((l) => l.id),
      ['3g-2009', 'wifi-2009', 'lte', '5g', 'ethernet'],
    );
    for (const l of BUILTIN_LINKS) {
      assert.equal(checkLink(l), l);
      for (const f of LINK_FIGURES) assert.ok(l.sources[f].length > 10, `${l.id} ${f}`);
    }
    const g3 = findLink('3g-2009');
    assert.deepEqual(
      g3.tails.map((t) => [t.state, t.seconds, t.watts]),
      [
        ['DCH', 6, 0.57],
        ['FACH', 4, 0.401],
      ],
    );
    // Wi-Fi: PowerTutor's 710 mW high state, plus its uplink term while sending at 20 Mbit/s on a 54 Mbit/s channel.
    assert.equal(findLink('wifi-2009').activeUpW, 0.832588);
    assert.equal(findLink('wifi-2009').activeDownW, 0.71);
    assert.equal(findLink('lte').tails[0].seconds, 11.576);
    assert.equal(findLink('ethernet').tails.length, 0);
  });

  it('names the bad field of a broken link and lists the known ids for an unknown one', () => {
    const broken = { ...findLink('lte'), uplinkBps: 0.5 };
    assert.throws(
      () => checkLink(broken),
      (e: Error) => e instanceof ProfileError && /"uplinkBps"/.test(e.message),
    );
    const noSource = { ...findLink('lte'), sources: { ...findLink('lte').sources, tails: '' } };
    assert.throws(() => checkLink(noSource), /sources\.tails/);
    const wiredRadio = { ...findLink('ethernet'), activeUpW: 1 };
    assert.throws(() => checkLink(wiredRadio), /"kind"/);
    assert.throws(
      () => findLink('4g'),
      (e: Error) => e instanceof ProfileError && /known: 3g-2009, wifi-2009/.test(e.message),
    );
  });
});

describe('model/link-meter', () => {
  const g3 = () => new LinkMeter(findLink('3g-2009'));

  it('promotes an idle radio before the first byte and charges the whole tail at the end', () => {
    const m = g3();
    assert.deepEqual(m.transfer(10, UP, 0), FIRST);
    assert.deepEqual(m.finish(100), { seconds: 0, joules: FULL_TAIL_J });
    assert.deepEqual(m.totals(), { seconds: 1.602, joules: 5.93714, transfers: 1, bytesUp: UP, bytesDown: 0, promotions: 1 });
    // The download and extra round trips add their time, at the same DCH power.
    const d = g3().transfer(0, 0, 125_900, 3); // 125,900 bytes down at 1259 kbit/s: 0.8 s
    assert.deepEqual(d, { seconds: 2.042, joules: 1.16394 });
  });

  it('reuses the high state for a sync during the DCH tail, paying only the tail so far', () => {
    const m = g3();
    m.transfer(0, UP, 0);
    // 2 s after the first ends, still in DCH: no promotion; 2 s of DCH tail + RTT + upload.
    assert.deepEqual(m.transfer(1.602 + 2, UP, 0), { seconds: 1.02, joules: 1.7214 });
    assert.equal(m.totals().promotions, 1);
  });

  it('reuses the radio during the FACH tail, paying all of DCH and the FACH time so far', () => {
    const m = g3();
    m.transfer(0, UP, 0);
    // 7 s after: 6 s of DCH and 1 s of FACH behind it, then RTT + upload.
    assert.deepEqual(m.transfer(1.602 + 7, UP, 0), { seconds: 1.02, joules: 4.4024 });
  });

  it('pays the full tail and a new promotion when syncs are further apart than the tail', () => {
    const m = g3();
    m.transfer(0, UP, 0);
    assert.deepEqual(m.transfer(1.602 + 20, UP, 0), { seconds: 1.602, joules: 5.93714 });
    // Exactly at the end of the tail the radio is idle again.
    const n = g3();
    n.transfer(0, UP, 0);
    assert.equal(n.transfer(1.602 + 10, UP, 0).seconds, 1.602);
    assert.equal(n.totals().promotions, 2);
  });

  it('makes two syncs close together cheaper than two far apart', () => {
    const run = (gap: number) => {
      const m = g3();
      m.transfer(0, UP, 0);
      m.transfer(1.602 + gap, UP, 0);
      m.finish(1000);
      return m.totals().joules;
    };
    assert.equal(run(2), 7.65854);
    assert.equal(run(20), 11.87428);
    assert.ok(run(0.5) < run(2) && run(2) < run(7) && run(7) < run(20));
  });

  it('queues a sync asked for while the previous one is on the air; the wait counts in its time', () => {
    const m = g3();
    m.transfer(0, UP, 0);
    // Asked at 1 s, starts at 1.602 s with the radio up: 0.602 s of waiting, then RTT + upload.
    assert.deepEqual(m.transfer(1, UP, 0), { seconds: 1.622, joules: 0.5814 });
  });

  it('never prices more bytes or more round trips cheaper, on any link', () => {
    for (const link of BUILTIN_LINKS) {
      const sizes = [0, 1, 2, 100, 4096, 4097, 1 << 20, 123_456_789, 2 ** 40];
      for (const price of [(n: number) => [n, 0], (n: number) => [0, n], (n: number) => [n, n]]) {
        let prev = { seconds: -1, joules: -1 };
        for (const n of sizes) {
          const [up, down] = price(n);
          const c = new LinkMeter(link).transfer(5, up, down, 1);
          assert.ok(Number.isFinite(c.seconds) && Number.isFinite(c.joules), link.id);
          assert.ok(c.seconds >= prev.seconds && c.joules >= prev.joules, `${link.id} ${up} up ${down} down`);
          prev = c;
        }
      }
      const a = new LinkMeter(link).transfer(0, 1000, 1000, 1);
      const b = new LinkMeter(link).transfer(0, 1000, 1000, 4);
      assert.ok(b.seconds > a.seconds && b.joules >= a.joules, link.id);
    }
  });

  it('costs no radio energy on Ethernet, only time', () => {
    const m = new LinkMeter(findLink('ethernet'));
    // 125 MB at 1 Gbit/s: 1 s, plus one 0.5 ms round trip.
    assert.deepEqual(m.transfer(0, 125_000_000, 0), { seconds: 1.0005, joules: 0 });
    assert.deepEqual(m.transfer(60, 0, 125_000_000, 2), { seconds: 1.001, joules: 0 });
    assert.deepEqual(m.finish(100), { seconds: 0, joules: 0 });
    assert.equal(m.totals().joules, 0);
  });

  it('gives the same figures on every run and ends with nothing when nothing was sent', () => {
    const run = () => {
      const m = new LinkMeter(findLink('lte'));
      for (let i = 0; i < 50; i++) m.transfer(i * 3.7, 4096 * i, 100 + i, 1 + (i % 3));
      m.finish(500);
      return m.totals();
    };
    assert.deepEqual(run(), run());
    assert.deepEqual(new LinkMeter(findLink('lte')).finish(3), { seconds: 0, joules: 0 });
  });

  it('refuses bytes that are not whole numbers and time that runs backwards', () => {
    const m = g3();
    assert.throws(
      () => m.transfer(0, -1, 0),
      (e: Error) => e instanceof ProfileError && /bytes up/.test(e.message),
    );
    assert.throws(() => m.transfer(0, 1.5, 0), /bytes up/);
    assert.throws(() => m.transfer(0, 0, 0, NaN), /round trips/);
    assert.throws(() => m.transfer(-1, 0, 0), /sync time/);
    m.transfer(5, 10, 10);
    assert.throws(() => m.transfer(4, 10, 10), /time order/);
  });
});
