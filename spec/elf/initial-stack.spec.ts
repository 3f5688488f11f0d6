import { strict as assert } from 'assert';
import { ImageError, UsageError } from '../../emulator/errors';
import { parseElf } from '../../emulator/elf/elf-parser';
import { InitialStackOptions, buildInitialStack } from '../../emulator/elf/initial-stack';
import { LoadedImage, loadElf } from '../../emulator/elf/loader';
import { AddressSpace } from '../../emulator/memory/address-space';
import { buildAllFixtures, fixture } from './fixtures';

/** What a program's startup code sees, decoded straight from guest memory. */
interface DecodedStack {
  argc: number;
  argv: string[];
  envp: string[];
  auxv: Array<[number, number]>;
}

function decodeStack(space: AddressSpace, sp: number): DecodedStack {
  let p = sp;
  const next = () => {
    const v = space.readU32(p);
    p += 4;
    return v;
  };
  const argc = next();
  const argv: string[] = [];
  // The kernel reads strings as bytes; these were written as UTF-8.
  const text = (addr: number) => Buffer.from(space.readCString(addr), 'latin1').toString('utf8');
  for (let i = 0; i < argc; i++) argv.push(text(next()));
  assert.equal(next(), 0, 'argv ends with NULL');
  const envp: string[] = [];
  for (let ptr = next(); ptr !== 0; ptr = next()) envp.push(text(ptr));
  const auxv: Array<[number, number]> = [];
  for (;;) {
    const key = next();
    const value = next();
    auxv.push([key, value]);
    if (key === 0) break;
  }
  return { argc, argv, envp, auxv };
}

const RANDOM = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const IMAGE: Pick<LoadedImage, 'entry' | 'phdrAddr' | 'phnum' | 'phent'> = {
  entry: 0x10361,
  phdrAddr: 0x10034,
  phnum: 7,
  phent: 32,
};

function options(extra: Partial<InitialStackOptions> = {}): InitialStackOptions {
  return {
    argv: ['/bin/hello', 'hello world', 'ünïcødé'],
    envp: ['HOME=/home/user', 'PATH=/bin:/usr/bin', 'EMPTY='],
    execfn: '/bin/hello',
    random: RANDOM,
    image: IMAGE,
    ...extra,
  };
}

// A root hook: runs before any test of any file allocates guest memory.
before(function () {
  this.timeout(120000);
  buildAllFixtures();
});

describe('elf/initial-stack', () => {
  it('lays out argc, argv, envp and every auxv entry as Linux does', () => {
    const space = new AddressSpace();
    const s = buildInitialStack(space, options({ uid: 1000, euid: 1001, gid: 2000, egid: 2001 }));
    assert.equal(s.sp % 16, 0, 'sp is 16-byte aligned');
    const d = decodeStack(space, s.sp);
    assert.equal(d.argc, 3);
    assert.deepEqual(d.argv, ['/bin/hello', 'hello world', 'ünïcødé']);
    assert.deepEqual(d.envp, ['HOME=/home/user', 'PATH=/bin:/usr/bin', 'EMPTY=']);

    const auxv = new Map(d.auxv);
    assert.deepEqual(
      d.auxv.map(([k]) => k),
      [16, 6, 17, 3, 4, 5, 7, 8, 9, 11, 12, 13, 14, 23, 25, 26, 31, 15, 0],
      'the order create_elf_tables uses',
    );
    assert.equal(auxv.get(3), 0x10034, 'AT_PHDR');
    assert.equal(auxv.get(4), 32, 'AT_PHENT');
    assert.equal(auxv.get(5), 7, 'AT_PHNUM');
    assert.equal(auxv.get(6), 4096, 'AT_PAGESZ');
    assert.equal(auxv.get(7), 0, 'AT_BASE');
    assert.equal(auxv.get(8), 0, 'AT_FLAGS');
    assert.equal(auxv.get(9), 0x10361, 'AT_ENTRY keeps the Thumb bit');
    assert.equal(auxv.get(11), 1000, 'AT_UID');
    assert.equal(auxv.get(12), 1001, 'AT_EUID');
    assert.equal(auxv.get(13), 2000, 'AT_GID');
    assert.equal(auxv.get(14), 2001, 'AT_EGID');
    // SWP HALF THUMB FAST_MULT VFP EDSP NEON VFPv3 TLS VFPv4 IDIVA IDIVT LPAE
    assert.equal(auxv.get(16), 0x17b0d7, 'AT_HWCAP');
    assert.equal(auxv.get(17), 100, 'AT_CLKTCK');
    assert.equal(auxv.get(23), 0, 'AT_SECURE');
    assert.equal(auxv.get(26), 0, 'AT_HWCAP2');
    assert.equal(space.readCString(auxv.get(15) ?? 0), 'v7l', 'AT_PLATFORM');
    assert.equal(space.readCString(auxv.get(31) ?? 0), '/bin/hello', 'AT_EXECFN');
    assert.deepEqual(space.read(auxv.get(25) ?? 0, 16), RANDOM, 'AT_RANDOM');

    assert.equal(s.argc, 3);
    assert.equal(s.argvAddr, s.sp + 4);
    assert.equal(s.envpAddr, s.argvAddr + 4 * 4);
    assert.equal(s.auxvAddr, s.envpAddr + 4 * 4);
    assert.deepEqual(s.auxv, d.auxv);
  });

  it('packs the strings at the top in exec order, with a zero word above them', () => {
    const space = new AddressSpace();
    const s = buildInitialStack(space, options());
    assert.equal(s.stackTop, 0xbf000000);
    assert.equal(space.readU32(s.stackTop - 4), 0);
    // argv strings, then envp strings, then the exec path, back to back up to the zero word.
    const order = [...s.argStrings, ...s.envStrings, s.execfnAddr];
    const texts = [...options().argv, ...options().envp, options().execfn];
    for (let i = 0; i < order.length; i++) {
      const end: number = i + 1 < order.length ? order[i + 1] : s.stackTop - 4;
      assert.equal(end - order[i], Buffer.byteLength(texts[i]) + 1, `string ${i} ends where the next begins`);
    }
    // Platform string and random bytes sit below the 16-byte aligned end of the strings.
    const alignedStrings = Math.floor(s.argStrings[0] / 16) * 16;
    assert.equal(s.platformAddr, alignedStrings - 4);
    assert.equal(s.randomAddr, s.platformAddr - 16);
    assert.ok(s.auxvAddr + s.auxv.length * 8 <= s.randomAddr);
    assert.ok(s.randomAddr - (s.auxvAddr + s.auxv.length * 8) < 16, 'only alignment padding in between');
  });

  it('keeps sp 16-byte aligned for any number of arguments', () => {
    for (let n = 0; n < 9; n++) {
      const space = new AddressSpace();
      const argv = Array.from({ length: n }, (_, i) => 'a'.repeat(i * 3));
      const s = buildInitialStack(space, options({ argv, envp: argv.slice(0, n % 3) }));
      assert.equal(s.sp % 16, 0, `argc ${n}`);
      const d = decodeStack(space, s.sp);
      assert.deepEqual(d.argv, argv);
      assert.deepEqual(d.envp, argv.slice(0, n % 3));
    }
  });

  it('maps an 8 MiB read-write stack below the top, or the size and top asked for', () => {
    const space = new AddressSpace();
    buildInitialStack(space, options());
    assert.deepEqual(
      space.regions().map((r) => ({ ...r })),
      [{ start: 0xbf000000 - 8 * 2 ** 20, end: 0xbf000000, prot: 3, kind: 'stack', name: '[stack]' }],
    );
    const other = new AddressSpace();
    const s = buildInitialStack(other, options({ stackTop: 0x80000000, stackSize: 0x100000, name: 'main stack' }));
    assert.ok(s.sp < 0x80000000 && s.sp > 0x80000000 - 0x1000);
    assert.deepEqual(other.regions()[0], { start: 0x7ff00000, end: 0x80000000, prot: 3, kind: 'stack', name: 'main stack' });
  });

  it('works together with a loaded program', () => {
    const { bytes } = fixture('static');
    const elf = parseElf(bytes, 'hello');
    const space = new AddressSpace();
    const img = loadElf(space, elf, bytes);
    const s = buildInitialStack(space, options({ image: img }));
    const auxv = new Map(decodeStack(space, s.sp).auxv);
    assert.equal(auxv.get(9), elf.entry);
    assert.equal(auxv.get(5), elf.phnum);
    // What glibc's static startup does with AT_PHDR: read the table back.
    assert.deepEqual(space.read(auxv.get(3) ?? 0, elf.phnum * 32), bytes.subarray(elf.phoff, elf.phoff + elf.phnum * 32));
  });

  it('refuses arguments that Linux would refuse', () => {
    assert.throws(
      () => buildInitialStack(new AddressSpace(), options({ stackSize: 0x10000, envp: ['X='.padEnd(0x5000, 'x')] })),
      (e: unknown) => e instanceof UsageError && /more than the 16384 \(a quarter of the 65536-byte stack\)/.test(e.message),
    );
    assert.throws(() => buildInitialStack(new AddressSpace(), options({ argv: ['a\0b'] })), UsageError);
    assert.throws(() => buildInitialStack(new AddressSpace(), options({ argv: ['x'.repeat(200000)] })), /more than the 131072/);
  });

  it('refuses a stack that would overlap the program', () => {
    const space = new AddressSpace();
    space.map(0xbef00000, 0x1000, 3, 'data', 'prog');
    assert.throws(
      () => buildInitialStack(space, options()),
      (e: unknown) => e instanceof ImageError && /^prog: .*overlaps the stack/.test(e.message),
    );
  });
});
