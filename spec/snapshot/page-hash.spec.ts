import { strict as assert } from 'assert';
import * as crypto from 'crypto';
import { hashBytes, hashPages, HashSet, initHashing } from '../../emulator/snapshot/page-hash';

const PAGE = 4096;

describe('page hashing', () => {
  before(async () => {
    await initHashing();
  });

  /** Random pages with every third one zero, and two equal ones. */
  function memory(pages: number): Uint8Array {
    const mem = crypto.randomBytes(pages * PAGE);
    for (let p = 0; p < pages; p += 3) mem.fill(0, p * PAGE, (p + 1) * PAGE);
    mem.copyWithin(PAGE, 2 * PAGE, 3 * PAGE);
    return new Uint8Array(mem.buffer, mem.byteOffset, mem.byteLength);
  }

  it('hashes a batch of pages natively, on several threads, exactly as the single-page hash does', () => {
    const n = 3000; // enough pages for more than one thread
    const mem = memory(n);
    const pages = Uint32Array.from({ length: n }, (_, i) => (i * 7) % n);
    const out = new Uint8Array(n * 16);
    const zero = new Uint8Array(n);
    const copies = new Uint8Array(n * PAGE);
    const zeros = hashPages(mem, pages, out, zero, copies);
    let expectedZeros = 0;
    pages.forEach((p, i) => {
      const bytes = mem.subarray(p * PAGE, (p + 1) * PAGE);
      const isZero = bytes.every((b) => b === 0);
      expectedZeros += isZero ? 1 : 0;
      assert.equal(zero[i], isZero ? 1 : 0, `zero flag of page ${p}`);
      if (isZero) {
        assert.deepEqual(out.subarray(i * 16, (i + 1) * 16), new Uint8Array(16));
        assert.ok(
          copies.subarray(i * PAGE, (i + 1) * PAGE).every((b) => b === 0),
          'a zero page is not copied',
        );
      } else {
        assert.deepEqual(out.subarray(i * 16, (i + 1) * 16), hashBytes(bytes), `hash of page ${p}`);
        assert.deepEqual(copies.subarray(i * PAGE, (i + 1) * PAGE), bytes, `copy of page ${p}`);
      }
    });
    assert.equal(zeros, expectedZeros);
  });

  it('without zero flags hashes zero pages too, and without a page list takes consecutive pages', () => {
    const n = 40;
    const mem = memory(n);
    const out = new Uint8Array(n * 16);
    assert.equal(hashPages(mem, null, out), 0);
    for (let i = 0; i < n; i++) assert.deepEqual(out.subarray(i * 16, (i + 1) * 16), hashBytes(mem.subarray(i * PAGE, (i + 1) * PAGE)));
  });

  it('refuses pages past the memory and output arrays that are too small', () => {
    const mem = new Uint8Array(4 * PAGE);
    assert.throws(() => hashPages(mem, Uint32Array.of(4), new Uint8Array(16)), /page 4 is past/);
    assert.throws(() => hashPages(mem, Uint32Array.of(0, 1), new Uint8Array(16)), /room for 1 hashes/);
    assert.throws(() => hashPages(mem, Uint32Array.of(0, 1), new Uint8Array(32), new Uint8Array(1)), /zero flags/);
    assert.throws(() => hashPages(mem, Uint32Array.of(0, 1), new Uint8Array(32), undefined, new Uint8Array(PAGE)), /page copies/);
  });

  it('a HashSet agrees with a set of hex strings over thousands of hashes, duplicates and near-misses', () => {
    const set = new HashSet();
    const reference = new Set<string>();
    const pool = Array.from({ length: 3000 }, () => new Uint8Array(crypto.randomBytes(16)));
    // Same first 32 bits as a pooled hash, different elsewhere.
    for (let i = 0; i < 200; i++) {
      const twin = pool[i].slice();
      twin[9] ^= 0xff;
      pool.push(twin);
    }
    for (let round = 0; round < 3; round++) {
      for (const h of pool) {
        const hex = Buffer.from(h).toString('hex');
        assert.equal(set.add(h), !reference.has(hex));
        reference.add(hex);
      }
    }
    assert.equal(set.size, reference.size);
    for (const h of pool) assert.equal(set.has(h), true);
    assert.equal(set.has(new Uint8Array(crypto.randomBytes(16))), false);
    // The set holds copies: changing the caller's array afterwards changes nothing.
    const h = pool[0];
    const before = h.slice();
    h.fill(1);
    assert.equal(set.has(before), true);
  });

  it('a HashSet tells hashes apart that share their first 32 bits', () => {
    const set = new HashSet();
    const a = new Uint8Array(16).fill(7);
    const b = a.slice();
    b[15] = 8;
    assert.equal(set.add(a), true);
    assert.equal(set.has(b), false);
    assert.equal(set.add(b), true);
    assert.equal(set.add(a.slice()), false);
    assert.equal(set.size, 2);
    assert.equal(set.has(b.slice()), true);
  });
});
