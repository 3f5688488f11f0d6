import { strict as assert } from 'assert';
import { AddressSpace, FileBacking, MappedFile, PAGE_SIZE, PROT_READ, PROT_WRITE, SharedFileCheckpointError } from '../../emulator/memory/address-space';

/** A file in memory, as the VFS's open files look to the memory layer. */
class BytesFile implements MappedFile {
  constructor(public data: Uint8Array) {}
  read(dst: Uint8Array, position: number): number {
    const part = this.data.subarray(Math.min(position, this.data.length), position + dst.length);
    dst.set(part);
    return part.length;
  }
  write(src: Uint8Array, position: number): number {
    if (position + src.length > this.data.length) {
      const grown = new Uint8Array(position + src.length);
      grown.set(this.data);
      this.data = grown;
    }
    this.data.set(src, position);
    return src.length;
  }
  size(): number {
    return this.data.length;
  }
}

const RW = PROT_READ | PROT_WRITE;
const A = 0x10000000;
const B = 0x20000000;

describe('memory/address-space: shared file mappings', () => {
  let space: AddressSpace;
  let file: BytesFile;
  let shared: FileBacking;

  beforeEach(() => {
    space = new AddressSpace();
    file = new BytesFile(new Uint8Array(2 * PAGE_SIZE + 100).map((_, i) => i & 0xff));
    shared = { file, key: '1:2', offset: 0, shared: true, writable: true };
  });
  afterEach(() => space.release());

  it('shows every mapping of the file the same bytes at once, and marks every copy of a written page dirty', () => {
    space.map(A, 3 * PAGE_SIZE, RW, 'mmap', '/f', shared);
    space.map(B, PAGE_SIZE, RW, 'mmap', '/f', { ...shared, offset: PAGE_SIZE });
    space.refreshShared();
    assert.equal(space.bytes[B + 5], (PAGE_SIZE + 5) & 0xff);
    space.dirty.reset();
    space.bytes[A + PAGE_SIZE + 5] = 0xee;
    assert.equal(space.bytes[B + 5], 0xee);
    space.dirty.set((A + PAGE_SIZE) / PAGE_SIZE); // as the engine's write hook marks it
    space.settleSharedDirty();
    assert.deepEqual(space.dirty.pages(), [(A + PAGE_SIZE) / PAGE_SIZE, B / PAGE_SIZE]);
  });

  it('writes changes back within the file size only, and loads what was written to the file', () => {
    space.map(A, 3 * PAGE_SIZE, RW, 'mmap', '/f', shared);
    space.refreshShared();
    space.bytes[A + 7] = 0x77;
    space.bytes[A + 2 * PAGE_SIZE + 200] = 0x55; // beyond the end of the file
    space.writeBackShared();
    assert.equal(file.data[7], 0x77);
    assert.equal(file.size(), 2 * PAGE_SIZE + 100);
    file.data[8] = 0x88;
    space.dirty.reset();
    space.refreshShared();
    assert.equal(space.bytes[A + 8], 0x88);
    assert.deepEqual(space.dirty.pages(), [A / PAGE_SIZE]);
  });

  it('writes back on unmap and leaves the other mappings their bytes', () => {
    space.map(A, PAGE_SIZE, RW, 'mmap', '/f', shared);
    space.map(B, PAGE_SIZE, PROT_READ, 'mmap', '/f', { ...shared, writable: false });
    space.refreshShared();
    space.bytes[A + 1] = 0x11;
    space.unmap(A, PAGE_SIZE);
    assert.equal(file.data[1], 0x11);
    assert.equal(space.bytes[B + 1], 0x11);
    assert.equal(space.bytes[A + 1], 0);
    assert.equal(space.hasSharedFiles, true);
    space.unmap(B, PAGE_SIZE);
    assert.equal(space.hasSharedFiles, false);
  });

  it('keeps the file offset of each part when a mapping is split', () => {
    space.map(A, 3 * PAGE_SIZE, RW, 'mmap', '/f', shared);
    space.protect(A + PAGE_SIZE, PAGE_SIZE, PROT_READ);
    assert.deepEqual(
      space.regions().map((r) => r.backing?.offset),
      [0, PAGE_SIZE, 2 * PAGE_SIZE],
    );
    space.protect(A + PAGE_SIZE, PAGE_SIZE, RW);
    assert.equal(space.regions().length, 1);
  });

  it('refuses a checkpoint of a writable shared mapping with a clear error; private file mappings save as memory', () => {
    space.map(A, PAGE_SIZE, RW, 'mmap', '/f', shared);
    assert.throws(() => space.save(), SharedFileCheckpointError);
    space.unmap(A, PAGE_SIZE);
    space.map(A, PAGE_SIZE, RW, 'mmap', '/f', { ...shared, shared: false });
    assert.deepEqual(space.save(), [{ start: A, end: A + PAGE_SIZE, prot: RW, kind: 'mmap', name: '/f' }]);
  });
});
