import { strict as assert } from 'assert';
import { AddressSpace, GuestMemoryError, PAGE_MAPPED, PAGE_SIZE, PROT_READ, PROT_WRITE } from '../../emulator/memory/address-space';
import { PageBitmap } from '../../emulator/memory/page-bitmap';

describe('memory/page-bitmap', () => {
  it('sets, clears, counts and lists pages across word boundaries', () => {
    const b = new PageBitmap(1 << 20);
    for (const p of [0, 31, 32, 33, 1000, (1 << 20) - 1]) b.set(p);
    assert.equal(b.count(), 6);
    assert.deepEqual(b.pages(), [0, 31, 32, 33, 1000, (1 << 20) - 1]);
    b.clear(32);
    assert.equal(b.has(32), false);
    assert.equal(b.has(33), true);
    b.reset();
    assert.equal(b.count(), 0);
  });
});

describe('memory/address-space', () => {
  let space: AddressSpace;
  before(() => (space = new AddressSpace()));
  afterEach(() => {
    for (const r of [...space.regions()]) space.unmap(r.start, r.end - r.start);
  });
  after(() => (space = undefined as unknown as AddressSpace));

  it('maps, merges equal neighbours, splits on unmap and on protect', () => {
    space.map(0x10000, 0x2000, PROT_READ | PROT_WRITE, 'heap', '[heap]');
    space.map(0x12000, 0x1000, PROT_READ | PROT_WRITE, 'heap', '[heap]');
    assert.deepEqual(
      space.regions().map((r) => [r.start, r.end]),
      [[0x10000, 0x13000]],
    );
    assert.ok(space.protect(0x11000, 0x1000, PROT_READ));
    assert.deepEqual(
      space.regions().map((r) => [r.start, r.end, r.prot]),
      [
        [0x10000, 0x11000, 3],
        [0x11000, 0x12000, 1],
        [0x12000, 0x13000, 3],
      ],
    );
    assert.equal(space.perms[0x11], PROT_READ | PAGE_MAPPED);
    space.unmap(0x10000, 0x1000);
    assert.equal(space.perms[0x10], 0);
    assert.equal(space.protect(0x10000, 0x2000, PROT_READ), false, 'partly unmapped range');
  });

  it('checks kernel accesses against page permissions and marks written pages dirty', () => {
    space.map(0x20000, 0x2000, PROT_READ, 'data', 'ro');
    assert.throws(() => space.write(0x20000, new Uint8Array([1])), GuestMemoryError);
    assert.throws(() => space.read(0x30000, 4), GuestMemoryError);
    space.protect(0x20000, 0x2000, PROT_READ | PROT_WRITE);
    space.dirty.reset();
    space.write(0x20ffe, new Uint8Array([1, 2, 3, 4]));
    assert.deepEqual(space.dirty.pages(), [0x20, 0x21], 'a write straddling two pages dirties both');
    assert.deepEqual([...space.read(0x20ffe, 4)], [1, 2, 3, 4]);
  });

  it('zeroes unmapped pages so a later mapping starts clean', () => {
    space.map(0x40000, PAGE_SIZE, PROT_READ | PROT_WRITE, 'mmap', 'a');
    space.write(0x40010, new Uint8Array([9, 9]));
    space.unmap(0x40000, PAGE_SIZE);
    space.map(0x40000, PAGE_SIZE, PROT_READ | PROT_WRITE, 'mmap', 'b');
    assert.deepEqual([...space.read(0x40010, 2)], [0, 0]);
    assert.equal(space.touched.has(0x40), false);
  });

  it('finds the lowest free gap', () => {
    space.map(0x50000, 0x1000, PROT_READ, 'mmap', 'a');
    space.map(0x52000, 0x1000, PROT_READ, 'mmap', 'b');
    assert.equal(space.findFree(0x1000, 0x50000, 0x60000), 0x51000);
    assert.equal(space.findFree(0x2000, 0x50000, 0x60000), 0x53000);
    assert.equal(space.findFree(0x20000, 0x50000, 0x60000), -1);
  });

  it('reads NUL-terminated strings and refuses unterminated ones at the end of the mapping', () => {
    space.map(0x60000, PAGE_SIZE, PROT_READ | PROT_WRITE, 'mmap', 's');
    space.write(0x60000, new TextEncoder().encode('abc\0'));
    assert.equal(space.readCString(0x60000), 'abc');
    space.write(0x60ffd, new TextEncoder().encode('xyz'));
    assert.throws(() => space.readCString(0x60ffd), GuestMemoryError);
  });
});
