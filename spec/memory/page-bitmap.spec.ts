/**
 * Page bitmaps: the native passes over large bitmaps (count, list, or) against the plain
 * definitions computed bit by bit, on random bitmaps of a guest's size and on small ones.
 */
import { strict as assert } from 'assert';
import { listPages, orInto, PageBitmap } from '../../emulator/memory/page-bitmap';

/** A bitmap of `pages` pages with each bit set with probability `p` (seeded, reproducible). */
function randomBitmap(pages: number, p: number, seed: number): PageBitmap {
  const b = new PageBitmap(pages);
  let x = seed;
  for (let page = 0; page < pages; page++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    if (x / 2 ** 32 < p) b.set(page);
  }
  return b;
}

function bitByBit(pages: number, f: (page: number) => boolean): number[] {
  const out: number[] = [];
  for (let page = 0; page < pages; page++) if (f(page)) out.push(page);
  return out;
}

describe('memory: page bitmaps', () => {
  for (const pages of [1 << 20, 4096]) {
    it(`count, pages, listPages and orInto agree with bit-by-bit answers (${pages} pages)`, () => {
      // Dense enough that a result passes the first guess of the list's size (4,096 pages).
      const a = randomBitmap(pages, 0.02, 1);
      const b = randomBitmap(pages, 0.01, 2);
      const c = randomBitmap(pages, 0.3, 3);
      const d = randomBitmap(pages, 0.3, 4);
      const inA = bitByBit(pages, (p) => a.has(p));
      assert.equal(a.count(), inA.length);
      assert.deepEqual(a.pages(), inA);
      assert.deepEqual(
        listPages(a, b),
        bitByBit(pages, (p) => a.has(p) || b.has(p)),
      );
      assert.deepEqual(
        listPages(a, undefined, c),
        bitByBit(pages, (p) => a.has(p) && !c.has(p)),
      );
      assert.deepEqual(
        listPages(a, b, c, d),
        bitByBit(pages, (p) => (a.has(p) || b.has(p)) && !c.has(p) && !d.has(p)),
      );
      const union = bitByBit(pages, (p) => a.has(p) || b.has(p));
      orInto(a, b);
      assert.deepEqual(a.pages(), union);
    });
  }

  it('the last page of a 4 GiB guest and an empty bitmap', () => {
    const b = new PageBitmap(1 << 20);
    assert.equal(b.count(), 0);
    assert.deepEqual(b.pages(), []);
    b.set((1 << 20) - 1);
    b.set(0);
    assert.deepEqual(b.pages(), [0, (1 << 20) - 1]);
    assert.equal(b.count(), 2);
    assert.throws(() => listPages(b, new PageBitmap(64)), /different sizes/);
  });
});
