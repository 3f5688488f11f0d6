import { strict as assert } from 'assert';
import { ImageError } from '../../emulator/errors';
import { PF_R, PF_W, PF_X, PT_ARM_EXIDX, PT_INTERP, PT_LOAD, PT_NULL, PT_TLS, parseElf } from '../../emulator/elf/elf-parser';
import { loadElf } from '../../emulator/elf/loader';
import { AddressSpace } from '../../emulator/memory/address-space';
import { buildAllFixtures, fixture, readelf } from './fixtures';

// Byte offsets of Elf32_Ehdr and Elf32_Phdr fields, written out here so the corruptions below
// do not depend on the parser under test.
const E_TYPE = 16;
const E_MACHINE = 18;
const E_ENTRY = 24;
const E_PHOFF = 28;
const E_FLAGS = 36;
const E_PHENTSIZE = 42;
const E_PHNUM = 44;
const P_TYPE = 0;
const P_OFFSET = 4;
const P_VADDR = 8;
const P_FILESZ = 16;
const P_MEMSZ = 20;
const P_ALIGN = 28;

const u16 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint16(at, true);
const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
const set16 = (b: Uint8Array, at: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint16(at, v, true);
const set32 = (b: Uint8Array, at: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint32(at, v >>> 0, true);

/** File offsets of the program headers of `type`, in table order. */
function phdrsOfType(b: Uint8Array, type: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < u16(b, E_PHNUM); i++) {
    const at = u32(b, E_PHOFF) + i * 32;
    if (u32(b, at + P_TYPE) === type) out.push(at);
  }
  return out;
}

function expectImageError(bytes: Uint8Array, pattern: RegExp, name = 'prog'): ImageError {
  let caught: unknown;
  try {
    parseElf(bytes, name);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ImageError, `expected an ImageError matching ${pattern}, got ${String(caught)}`);
  assert.match(caught.message, pattern);
  const shownName = name.replace(/[\u0000-\u001f]/g, '?');
  assert.ok(caught.message.startsWith(`${shownName}: `), `message names the file: ${caught.message}`);
  assert.ok(!caught.message.includes('\n'), `message is one line: ${caught.message}`);
  return caught;
}

// A root hook: runs before any test of any file allocates guest memory.
before(function () {
  this.timeout(120000);
  buildAllFixtures();
});

describe('elf/elf-parser', () => {
  describe('real programs', () => {
    it('parses a static ET_EXEC exactly as readelf does', () => {
      const { file, bytes } = fixture('static');
      const elf = parseElf(bytes, 'static');
      const ref = readelf(file);
      assert.equal(elf.kind, 'exec');
      assert.equal(elf.entry, ref.entry);
      assert.equal(elf.entry & 1, 1, 'glibc _start is Thumb code, bit 0 set');
      assert.deepEqual(
        elf.loads.map((p) => ({
          offset: p.offset,
          vaddr: p.vaddr,
          filesz: p.filesz,
          memsz: p.memsz,
          flags: (p.flags & PF_R ? 'R' : '') + (p.flags & PF_W ? 'W' : '') + (p.flags & PF_X ? 'E' : ''),
          align: p.align,
        })),
        ref.loads,
      );
      assert.equal(elf.phentsize, 32);
      assert.equal(elf.phnum, elf.programHeaders.length);
      assert.ok(elf.tls, 'thread-local variables give a PT_TLS');
      assert.ok(elf.tls.filesz >= 4 && elf.tls.memsz >= elf.tls.filesz + 32);
      assert.equal(elf.exidx?.type, PT_ARM_EXIDX);
      assert.ok(elf.gnuStack);
      assert.equal(elf.executableStack, false);
    });

    it('parses a static-PIE (ET_DYN without PT_INTERP)', () => {
      const { file, bytes } = fixture('static-pie');
      assert.equal(u16(bytes, E_TYPE), 3, 'the fixture really is ET_DYN');
      const elf = parseElf(bytes, 'pie');
      assert.equal(elf.kind, 'pie');
      assert.equal(elf.loads[0].vaddr, 0);
      assert.equal(elf.entry, readelf(file).entry);
      assert.equal(elf.loads.length, readelf(file).loads.length);
    });

    it('parses a dynamically linked program, naming its interpreter', () => {
      const { file, bytes } = fixture('dynamic');
      const elf = parseElf(bytes, 'dyn');
      assert.equal(elf.interpreter, '/lib/ld-linux-armhf.so.3');
      assert.equal(elf.loads.length, readelf(file).loads.length);
    });

    it('rejects an interpreter path that is not one NUL-terminated string', () => {
      const b = fixture('dynamic').bytes.slice();
      const at = phdrsOfType(b, PT_INTERP)[0];
      b[u32(b, at + P_OFFSET) + u32(b, at + P_FILESZ) - 1] = 0x41;
      expectImageError(b, /^dyn: interpreter path \(PT_INTERP\) is not one NUL-terminated string/, 'dyn');
    });
  });

  describe('malformed files', () => {
    const base = () => fixture('static').bytes;
    const loadsOf = (b: Uint8Array) => phdrsOfType(b, PT_LOAD);

    it('file shorter than the ELF header', () => {
      expectImageError(base().slice(0, 40), /40 bytes, shorter than the 52-byte ELF header.*truncated/);
      expectImageError(new Uint8Array(0), /0 bytes, shorter than/);
    });

    it('program header table past the end of the file', () => {
      expectImageError(base().slice(0, 100), /program header table .* runs past the end of the 100-byte file; the file is truncated/);
    });

    it('segment file range past the end of the file', () => {
      const b = base();
      const end = Math.max(...loadsOf(b).map((at) => u32(b, at + P_OFFSET) + u32(b, at + P_FILESZ)));
      expectImageError(b.slice(0, end - 1), /segment \d \(PT_LOAD at 0x[0-9a-f]+\) needs file bytes up to offset \d+, past the end.*truncated/);
    });

    it('wrong magic', () => {
      const b = base();
      b[1] = 0x46;
      expectImageError(b, /not an ELF file \(starts with 7f 46 4c 46/);
      expectImageError(new TextEncoder().encode('#!/bin/sh\n' + ' '.repeat(60)), /not an ELF file \(starts with 23 21 2f 62/);
    });

    it('64-bit ELF', () => {
      const b = base();
      b[4] = 2;
      expectImageError(b, /64-bit ELF.*only 32-bit ARM programs run here; build it with arm-linux-gnueabihf-gcc -static/);
    });

    it('invalid ELF class', () => {
      const b = base();
      b[4] = 9;
      expectImageError(b, /invalid ELF class 9/);
    });

    it('big-endian', () => {
      const b = base();
      b[5] = 2;
      expectImageError(b, /big-endian/);
    });

    it('wrong machine', () => {
      const b = base();
      set16(b, E_MACHINE, 62);
      expectImageError(b, /built for x86-64 \(e_machine 62\), not 32-bit ARM \(EM_ARM=40\)/);
      set16(b, E_MACHINE, 183);
      expectImageError(b, /built for AArch64/);
    });

    it('relocatable object and core dump', () => {
      const b = base();
      set16(b, E_TYPE, 1);
      expectImageError(b, /relocatable object file \(ET_REL\), not an executable/);
      set16(b, E_TYPE, 4);
      expectImageError(b, /core dump \(ET_CORE\)/);
      set16(b, E_TYPE, 0xfe00);
      expectImageError(b, /ELF type 65024, not an executable/);
    });

    it('old ARM ABI', () => {
      const b = base();
      set32(b, E_FLAGS, 0);
      expectImageError(b, /ARM ABI version 0 .*only EABI 4 and 5/);
    });

    it('wrong e_phentsize', () => {
      const b = base();
      set16(b, E_PHENTSIZE, 56);
      expectImageError(b, /program header entries are 56 bytes, expected 32/);
    });

    it('absurd or zero e_phnum', () => {
      const b = base();
      set16(b, E_PHNUM, 0xffff);
      expectImageError(b, /claims 65535 program headers, more than the 128 Linux accepts/);
      set16(b, E_PHNUM, 0);
      expectImageError(b, /has no program headers/);
    });

    it('no PT_LOAD segment', () => {
      const b = base();
      for (const at of loadsOf(b)) set32(b, at + P_TYPE, PT_NULL);
      expectImageError(b, /no loadable \(PT_LOAD\) segments/);
    });

    it('p_filesz larger than p_memsz', () => {
      const b = base();
      const data = loadsOf(b)[1];
      set32(b, data + P_MEMSZ, u32(b, data + P_FILESZ) - 1);
      expectImageError(b, /more file bytes \(\d+\) than memory bytes/);
    });

    it('overlapping segments', () => {
      const b = base();
      const [text, data] = loadsOf(b);
      // Keep offset and address congruent so only the overlap is wrong.
      set32(b, data + P_VADDR, u32(b, text + P_VADDR) + (u32(b, data + P_OFFSET) % 0x1000));
      expectImageError(b, /loadable segments at 0x10000 \(\d+ bytes\) and 0x[0-9a-f]+ overlap/);
    });

    it('segment beyond the 32-bit address space', () => {
      const b = base();
      const data = loadsOf(b)[1];
      set32(b, data + P_VADDR, 0xfffff000 + (u32(b, data + P_OFFSET) % 0x1000));
      expectImageError(b, /does not fit in the 32-bit address space/);
    });

    it('segment above user memory', () => {
      const b = base();
      const data = loadsOf(b)[1];
      set32(b, data + P_VADDR, 0xbf000000 + (u32(b, data + P_OFFSET) % 0x1000));
      expectImageError(b, /above the 0xbf000000 limit of user memory/);
    });

    it('absurd segment size', () => {
      const b = base();
      const data = loadsOf(b)[1];
      set32(b, data + P_MEMSZ, 0xf0000000);
      expectImageError(b, /is 4026531840 bytes and does not fit/);
    });

    it('segments spanning more than 3 GiB', () => {
      const b = fixture('static-pie').bytes;
      const data = loadsOf(b)[1];
      set32(b, data + P_VADDR, 0xd0000000 + (u32(b, data + P_OFFSET) % 0x1000));
      expectImageError(b, /segments span \d+ MiB, more than the 3 GiB/);
    });

    it('p_offset and p_vaddr disagree modulo p_align', () => {
      const b = base();
      const data = loadsOf(b)[1];
      set32(b, data + P_VADDR, u32(b, data + P_VADDR) + 4);
      expectImageError(b, /disagree modulo its alignment 0x1000/);
    });

    it('p_align not a power of two', () => {
      const b = base();
      set32(b, loadsOf(b)[1] + P_ALIGN, 0x1800);
      expectImageError(b, /alignment 6144, which is not a power of two/);
    });

    it('entry point outside the code', () => {
      const b = base();
      set32(b, E_ENTRY, 0x1001);
      expectImageError(b, /entry point 0x1001 is not inside any executable segment/);
    });

    it('PT_TLS with more file than memory bytes', () => {
      const b = base();
      const tls = phdrsOfType(b, PT_TLS)[0];
      set32(b, tls + P_MEMSZ, 0);
      expectImageError(b, /thread-local storage template \(PT_TLS\) has more file bytes/);
    });

    it('keeps the message on one line whatever the file name', () => {
      const b = base();
      b[0] = 0;
      const err = expectImageError(b, /not an ELF file/, 'evil\nname');
      assert.ok(err.message.startsWith('evil?name: '));
    });
  });

  describe('fuzzing', () => {
    /** Small deterministic PRNG so a failure can be reproduced. */
    function mulberry32(seed: number): () => number {
      let a = seed;
      return () => {
        a = (a + 0x6d2b79f5) | 0;
        let t = Math.imul(a ^ (a >>> 15), 1 | a);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
      };
    }

    for (const kind of ['static', 'static-pie', 'tiny'] as const) {
      it(`2000 random truncations and byte flips of a ${kind} program only ever raise ImageError when parsed and loaded`, function () {
        this.timeout(20000);
        const original = fixture(kind).bytes;
        const headerEnd = u32(original, E_PHOFF) + u16(original, E_PHNUM) * 32;
        const rand = mulberry32(kind.length * 7919);
        const pick = (n: number) => Math.floor(rand() * n);
        const space = new AddressSpace();
        const started = Date.now();
        let accepted = 0;
        for (let i = 0; i < 2000; i++) {
          let b: Uint8Array;
          const mode = pick(3);
          if (mode === 0) {
            // Truncation, mostly inside the headers where the parser does its reading.
            b = original.slice(0, rand() < 0.7 ? pick(headerEnd + 16) : pick(original.length));
          } else if (mode === 1) {
            b = original.slice();
            for (let n = 1 + pick(4); n > 0; n--) b[pick(headerEnd)] ^= 1 << pick(8);
          } else {
            // Whole-word garbage hits the size and address fields far harder than bit flips.
            b = original.slice();
            const word = [0, 0xffffffff, 0x80000000, 0x7fffffff, 0xbf000000, pick(2 ** 32)][pick(6)];
            set32(b, 4 * pick(headerEnd / 4), word);
          }
          try {
            // Whatever the parser accepts, the loader must be able to place.
            loadElf(space, parseElf(b, 'fuzz'), b);
            accepted++;
          } catch (e) {
            if (!(e instanceof ImageError)) {
              throw new Error(`iteration ${i} (mode ${mode}) threw ${String(e)} instead of an ImageError`);
            }
            assert.ok(!e.message.includes('\n'));
          }
        }
        assert.ok(accepted > 0, 'harmless changes (e.g. in p_paddr) still parse');
        assert.ok(Date.now() - started < 10000, 'parsing stays fast on garbage');
      });
    }
  });
});
