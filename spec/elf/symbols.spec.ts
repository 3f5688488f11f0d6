/**
 * Function symbols against binutils' own reading of the same files (readelf -s, nm), a stripped
 * copy, and files whose section headers or string table were damaged on purpose.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ImageError, UsageError } from '../../emulator/errors';
import { FunctionSymbol, resolveFunction, SymbolTable } from '../../emulator/elf/symbols';
import { IMAGES } from '../support/images';
import { tempDir } from '../support/toolchain';

function tool(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error || r.status !== 0) throw new Error(`${cmd} failed: ${r.error?.message ?? r.stderr}: run 'bash scripts/setup.sh'`);
  return r.stdout;
}

/** readelf's defined, non-zero FUNC symbols, one per name with the same preference (global, weak, local; then lowest address). */
function readelfFunctions(elf: string): FunctionSymbol[] {
  const best = new Map<string, { f: FunctionSymbol; rank: number }>();
  for (const line of tool('arm-linux-gnueabihf-readelf', ['-sW', elf]).split('\n')) {
    const c = line.trim().split(/\s+/);
    if (c.length < 8 || c[3] !== 'FUNC' || c[6] === 'UND') continue;
    const value = parseInt(c[1], 16);
    if (value === 0) continue;
    const f = { name: c[7], address: value & ~1, size: Number(c[2]), thumb: (value & 1) === 1 };
    const rank = { GLOBAL: 2, WEAK: 1, LOCAL: 0 }[c[4]] ?? 1;
    const had = best.get(f.name);
    if (!had || rank > had.rank || (rank === had.rank && f.address < had.f.address)) best.set(f.name, { f, rank });
  }
  return [...best.values()].map((b) => b.f);
}

const byName = (a: FunctionSymbol, b: FunctionSymbol) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const images = fs.readdirSync(IMAGES).filter((d) => fs.existsSync(path.join(IMAGES, d, 'build', d)));
const elfOf = (image: string) => path.join(IMAGES, image, 'build', image);
const tableOf = (file: string) => SymbolTable.fromElf(new Uint8Array(fs.readFileSync(file)), path.basename(file));

describe('elf: function symbols', () => {
  it('finds the sample images', () => {
    assert.ok(images.length >= 5, images.join(' '));
  });

  for (const image of images) {
    it(`${image}: the same functions readelf -s lists, sorted by address, and nm agrees on the globals`, () => {
      const elf = elfOf(image);
      const table = tableOf(elf);
      const fns = table.functions();
      assert.ok(fns.length > 100, `${fns.length} functions`);
      assert.deepEqual([...fns].sort(byName), readelfFunctions(elf).sort(byName));
      for (let i = 1; i < fns.length; i++) assert.ok(fns[i - 1].address <= fns[i].address);
      // nm prints Thumb functions at their even address.
      const nm = new Map<string, number>();
      for (const m of tool('arm-linux-gnueabihf-nm', ['--defined-only', elf]).matchAll(/^([0-9a-f]{8}) [TW] (\S+)$/gm)) nm.set(m[2], parseInt(m[1], 16));
      const main = table.find('main')!;
      assert.equal(main.address, nm.get('main'));
      for (const name of ['main', 'printf', 'write', 'exit', 'memcpy']) {
        const f = table.find(name);
        if (f) assert.equal(f.address, nm.get(name), name);
      }
    });
  }

  it('finds the function holding an address, and resolves names and entry addresses', () => {
    const table = tableOf(elfOf('hello'));
    const main = table.find('main')!;
    assert.equal(table.containing(main.address)?.name, 'main');
    assert.equal(table.containing(main.address + main.size - 2)?.name, 'main');
    assert.equal(table.containing(main.address | 1)?.name, 'main');
    assert.equal(table.containing(0x1000), undefined);
    assert.deepEqual(resolveFunction(table, 'main'), main);
    assert.deepEqual(resolveFunction(table, `0x${main.address.toString(16).padStart(8, '0')}`), main);
    assert.throws(
      () => resolveFunction(table, `0x${(main.address + 4).toString(16)}`),
      (e: Error) => e instanceof UsageError && /inside main/.test(e.message),
    );
    assert.throws(
      () => resolveFunction(table, 'mian'),
      (e: Error) => e instanceof UsageError && /did you mean main/.test(e.message),
    );
    assert.throws(() => resolveFunction(table, 'no_such_function_here'), UsageError);
  });

  it('a stripped program has an empty table; any address resolves, names do not', () => {
    const dir = tempDir('cc-sym-');
    try {
      const stripped = path.join(dir, 'hello');
      tool('arm-linux-gnueabihf-strip', ['-o', stripped, elfOf('hello')]);
      assert.equal(tool('arm-linux-gnueabihf-nm', [stripped]).trim(), '');
      const table = tableOf(stripped);
      assert.deepEqual(table.functions(), []);
      assert.deepEqual(resolveFunction(table, '0x00010a3d'), { name: '0x00010a3d', address: 0x10a3c, size: 0, thumb: true });
      assert.deepEqual(resolveFunction(table, '0x00010a3c'), { name: '0x00010a3c', address: 0x10a3c, size: 0, thumb: false });
      assert.throws(
        () => resolveFunction(table, 'main'),
        (e: Error) => e instanceof UsageError && /stripped/.test(e.message),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('damaged files are ImageErrors', () => {
    const original = new Uint8Array(fs.readFileSync(elfOf('hello')));
    const dv = () => new DataView(copy.buffer);
    let copy = original.slice();
    const shoff = new DataView(original.buffer, original.byteOffset).getUint32(32, true);
    /** Offset of the section header of the first section of `type`. */
    const header = (type: number) => {
      const v = new DataView(original.buffer, original.byteOffset);
      for (let i = 0; i < v.getUint16(48, true); i++) if (v.getUint32(shoff + i * 40 + 4, true) === type) return shoff + i * 40;
      throw new Error(`no section of type ${type}`);
    };
    beforeEach(() => {
      copy = original.slice();
    });
    const fails = (pattern: RegExp) =>
      assert.throws(
        () => SymbolTable.fromElf(copy, 'hello'),
        (e: Error) => e instanceof ImageError && pattern.test(e.message),
      );

    it('truncated before the end of the section headers', () => {
      copy = original.slice(0, original.length - 100);
      fails(/section header table .* runs past the end/);
    });
    it('a wrong section header entry size', () => {
      dv().setUint16(46, 32, true);
      fails(/section header entries are 32 bytes/);
    });
    it('a symbol table past the end of the file', () => {
      dv().setUint32(header(2) + 16, original.length, true);
      fails(/symbol table .* is not inside/);
    });
    it('a symbol table linked to a section that is not a string table', () => {
      dv().setUint32(header(2) + 24, 0, true);
      fails(/not a string table/);
    });
    it('a string table shorter than the names point into', () => {
      const strtab = shoff + new DataView(original.buffer, original.byteOffset).getUint32(header(2) + 24, true) * 40;
      dv().setUint32(strtab + 20, 8, true);
      fails(/outside the 8-byte string table/);
    });
    it('not an ELF file', () => {
      copy[1] = 0x58;
      fails(/not an ELF file/);
    });
    it('no section headers at all is an empty table, not an error', () => {
      dv().setUint32(32, 0, true);
      assert.deepEqual(SymbolTable.fromElf(copy, 'hello').functions(), []);
    });
  });
});
