import { strict as assert } from 'assert';
import { ImageError } from '../../emulator/errors';
import { ElfImage, ProgramHeader, parseElf } from '../../emulator/elf/elf-parser';
import { DEFAULT_PIE_BASE, loadElf, planSegmentPages } from '../../emulator/elf/loader';
import { AddressSpace, PAGE_MAPPED, PAGE_SIZE } from '../../emulator/memory/address-space';
import { buildAllFixtures, fixture } from './fixtures';

const R = 1;
const W = 2;
const X = 4;

const pageOf = (addr: number) => Math.floor(addr / PAGE_SIZE);

/** Every loaded segment holds its file bytes followed by zeros up to p_memsz. */
function assertSegmentsLoaded(space: AddressSpace, elf: ElfImage, bytes: Uint8Array, bias: number): void {
  for (const seg of elf.loads) {
    const at = seg.vaddr + bias;
    assert.deepEqual(
      space.bytes.subarray(at, at + seg.filesz),
      bytes.subarray(seg.offset, seg.offset + seg.filesz),
      `file bytes of the segment at 0x${seg.vaddr.toString(16)}`,
    );
    const bss = space.bytes.subarray(at + seg.filesz, at + seg.memsz);
    assert.ok(
      bss.every((v) => v === 0),
      `bss of the segment at 0x${seg.vaddr.toString(16)} is zero`,
    );
  }
}

/** The permission byte of every page of `seg` (shifted by `bias`) equals `prot`. */
function assertPagePerms(space: AddressSpace, seg: ProgramHeader, bias: number, prot: number, skipShared = false): void {
  const first = pageOf(seg.vaddr + bias);
  const last = pageOf(seg.vaddr + bias + seg.memsz - 1);
  for (let p = first; p <= last; p++) {
    if (skipShared && (p === first || p === last)) continue;
    assert.equal(space.perms[p], prot | PAGE_MAPPED, `page 0x${(p * PAGE_SIZE).toString(16)}`);
  }
}

// A root hook: runs before any test of any file allocates guest memory.
before(function () {
  this.timeout(120000);
  buildAllFixtures();
});

describe('elf/loader', () => {
  it('loads a static ET_EXEC at its link addresses with the right permissions', () => {
    const { bytes } = fixture('static');
    const elf = parseElf(bytes, 'hello');
    const space = new AddressSpace();
    const img = loadElf(space, elf, bytes);
    const [text, data] = elf.loads;

    assert.equal(img.loadBias, 0);
    assert.equal(img.entry, elf.entry, 'entry keeps its Thumb bit');
    assertSegmentsLoaded(space, elf, bytes, 0);
    assertPagePerms(space, text, 0, R | X);
    assertPagePerms(space, data, 0, R | W);

    const end = data.vaddr + data.memsz;
    assert.equal(img.brkStart, Math.ceil(end / PAGE_SIZE) * PAGE_SIZE);
    assert.equal(space.perms[pageOf(text.vaddr) - 1], 0, 'nothing mapped below the image');
    assert.equal(space.perms[pageOf(img.brkStart)], 0, 'nothing mapped at brk');

    assert.deepEqual(
      space.regions().map((r) => ({ ...r })),
      [
        { start: text.vaddr, end: Math.ceil((text.vaddr + text.memsz) / PAGE_SIZE) * PAGE_SIZE, prot: R | X, kind: 'text', name: 'hello' },
        { start: Math.floor(data.vaddr / PAGE_SIZE) * PAGE_SIZE, end: img.brkStart, prot: R | W, kind: 'data', name: 'hello' },
      ],
    );
  });

  it('reports where the program headers and the TLS template are', () => {
    const { bytes } = fixture('static');
    const elf = parseElf(bytes, 'hello');
    const space = new AddressSpace();
    const img = loadElf(space, elf, bytes, { name: 'renamed' });
    assert.equal(img.phnum, elf.phnum);
    assert.equal(img.phent, 32);
    // The C library walks this table at startup to find PT_TLS, so it must be the real table.
    assert.deepEqual(space.read(img.phdrAddr, elf.phnum * 32), bytes.subarray(elf.phoff, elf.phoff + elf.phnum * 32));
    assert.ok(elf.tls);
    assert.deepEqual(img.tlsInfo, { addr: elf.tls.vaddr, filesz: elf.tls.filesz, memsz: elf.tls.memsz, align: elf.tls.align });
    assert.deepEqual(space.read(img.tlsInfo.addr, 4), new Uint8Array([7, 0, 0, 0]), 'tls_counter initialiser');
    assert.ok(space.regions().every((r) => r.name === 'renamed'));
  });

  it('places a static-PIE at the default base', () => {
    const { bytes } = fixture('static-pie');
    const elf = parseElf(bytes, 'pie');
    const space = new AddressSpace();
    const img = loadElf(space, elf, bytes);
    assert.equal(img.loadBias, DEFAULT_PIE_BASE);
    assert.equal(img.entry, elf.entry + DEFAULT_PIE_BASE);
    assert.equal(img.entry & 1, elf.entry & 1);
    assertSegmentsLoaded(space, elf, bytes, img.loadBias);
    assertPagePerms(space, elf.loads[0], img.loadBias, R | X);
    assertPagePerms(space, elf.loads[1], img.loadBias, R | W);
    assert.equal(space.regions()[0].start, DEFAULT_PIE_BASE);
    assert.equal(img.phdrAddr, DEFAULT_PIE_BASE + elf.phoff, 'table found through the segment holding e_phoff');
    assert.deepEqual(space.read(img.phdrAddr, elf.phnum * 32), bytes.subarray(elf.phoff, elf.phoff + elf.phnum * 32));
    const last = elf.loads[elf.loads.length - 1];
    assert.equal(img.brkStart, Math.ceil((last.vaddr + last.memsz + img.loadBias) / PAGE_SIZE) * PAGE_SIZE);
  });

  it('honours a chosen PIE base and rejects one that does not fit', () => {
    const { bytes } = fixture('static-pie');
    const elf = parseElf(bytes, 'pie');
    const img = loadElf(new AddressSpace(), elf, bytes, { pieBase: 0x10000000 });
    assert.equal(img.loadBias, 0x10000000);
    assert.throws(
      () => loadElf(new AddressSpace(), elf, bytes, { pieBase: 0xbeffe000 }),
      (e: unknown) => {
        return e instanceof ImageError && /does not fit between base 0xbeffe000 and 0xbf000000/.test(e.message);
      },
    );
    assert.throws(() => loadElf(new AddressSpace(), elf, bytes, { pieBase: 0x1234 }), ImageError);
  });

  it('gives a page shared by text and data the union of both permissions', () => {
    const { bytes } = fixture('shared-page');
    const elf = parseElf(bytes, 'shared');
    const [text, data] = elf.loads;
    const sharedPage = pageOf(data.vaddr);
    assert.equal(pageOf(text.vaddr + text.memsz - 1), sharedPage, 'the fixture really shares a page');

    const space = new AddressSpace();
    const img = loadElf(space, elf, bytes);
    assertSegmentsLoaded(space, elf, bytes, 0);
    assert.equal(space.perms[sharedPage], R | W | X | PAGE_MAPPED);
    assertPagePerms(space, text, 0, R | X, true);
    assertPagePerms(space, data, 0, R | W, true);
    assert.deepEqual(
      space.regions().map((r) => [r.start, r.end, r.prot, r.kind]),
      [
        [text.vaddr, sharedPage * PAGE_SIZE, R | X, 'text'],
        [sharedPage * PAGE_SIZE, (sharedPage + 1) * PAGE_SIZE, R | W | X, 'text'],
        [(sharedPage + 1) * PAGE_SIZE, img.brkStart, R | W, 'data'],
      ],
    );
  });

  describe('planSegmentPages', () => {
    const seg = (vaddr: number, memsz: number, flags: number): ProgramHeader => ({
      type: 1,
      offset: 0,
      vaddr,
      paddr: vaddr,
      filesz: 0,
      memsz,
      flags,
      align: 4,
    });

    it('merges shared pages, keeps holes unmapped and applies the bias', () => {
      const loads = [seg(0x1000, 0x1800, 5), seg(0x2800, 0x100, 6), seg(0x8010, 0x10, 4)];
      assert.deepEqual(planSegmentPages(loads, 0), [
        { start: 0x1000, end: 0x2000, prot: R | X },
        { start: 0x2000, end: 0x3000, prot: R | W | X },
        { start: 0x8000, end: 0x9000, prot: R },
      ]);
      assert.deepEqual(planSegmentPages(loads.slice(2), 0x400000), [{ start: 0x408000, end: 0x409000, prot: R }]);
    });

    it('merges neighbouring pages with equal permissions into one run', () => {
      assert.deepEqual(planSegmentPages([seg(0x1000, 0x1000, 6), seg(0x2000, 0x10, 6)], 0), [{ start: 0x1000, end: 0x3000, prot: R | W }]);
    });
  });
});
