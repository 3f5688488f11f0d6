/**
 * Function symbols of an ARM ELF program, from its section headers and .symtab (or .dynsym), so
 * that a user can name a function instead of an address. Pure: bytes in, a table out. A stripped
 * program has an empty table; a damaged section header table or string table is an ImageError.
 */
import { UsageError } from '../errors';
import { checkIdent, ELF_HEADER_SIZE, Fail, failer, hex } from './elf-parser';

const SHDR_SIZE = 40;
const SYM_SIZE = 16;
const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
const SHT_NOBITS = 8;
const SHT_DYNSYM = 11;
const STT_FUNC = 2;
const STB_LOCAL = 0;
const STB_GLOBAL = 1;
const SHN_UNDEF = 0;
const SHN_COMMON = 0xfff2;
const REBUILD = 'the section headers are corrupt; rebuild the program or give the function by address';

/** One function: its entry address without the Thumb bit, its size in bytes, its instruction set. */
export interface FunctionSymbol {
  name: string;
  address: number;
  size: number;
  /** st_value had bit 0 set: the function is Thumb code. */
  thumb: boolean;
}

interface Section {
  type: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

/** The function symbols of one program, by name and by address. */
export class SymbolTable {
  private readonly byName: Map<string, FunctionSymbol>;

  private constructor(
    /** The file name used in messages. */
    readonly name: string,
    private readonly sorted: readonly FunctionSymbol[],
  ) {
    this.byName = new Map(sorted.map((f) => [f.name, f]));
  }

  /** Read the function symbols of ELF file `bytes` (named `name` in errors). */
  static fromElf(bytes: Uint8Array, name: string): SymbolTable {
    const fail = failer(name);
    if (bytes.length < ELF_HEADER_SIZE)
      fail(`file is ${bytes.length} bytes, shorter than the ${ELF_HEADER_SIZE}-byte ELF header; the file is truncated, copy it again`);
    checkIdent(bytes, fail);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const sections = readSections(dv, fail);
    const symtab = sections.find((s) => s.type === SHT_SYMTAB) ?? sections.find((s) => s.type === SHT_DYNSYM);
    if (!symtab) return new SymbolTable(name, []);
    return new SymbolTable(name, readFunctions(bytes, dv, sections, symtab, fail));
  }

  /** Every function, ascending by address (names break ties). */
  functions(): FunctionSymbol[] {
    return [...this.sorted];
  }

  /** The function called `name`. */
  find(name: string): FunctionSymbol | undefined {
    return this.byName.get(name);
  }

  /**
   * The function whose bytes hold `address` (the Thumb bit is ignored); a function of size 0 holds
   * only its entry. Where functions overlap, the one starting last wins.
   */
  containing(address: number): FunctionSymbol | undefined {
    const a = (address & ~1) >>> 0;
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid].address <= a) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0; i--) {
      const f = this.sorted[i];
      if (a < f.address + Math.max(f.size, 1)) return f;
      // Sizes are small next to the distance between far-apart entries: stop looking soon.
      if (a - f.address > 1 << 20) break;
    }
    return undefined;
  }
}

/**
 * The function `spec` names: a symbol name, or a hex address such as 0x00010a3c that must be a
 * function's entry (for a stripped program, any address: its bit 0 selects Thumb). Raises a
 * UsageError that suggests close names otherwise.
 */
export function resolveFunction(table: SymbolTable, spec: string): FunctionSymbol {
  const all = table.functions();
  if (/^0x[0-9a-f]{1,8}$/i.test(spec)) {
    const value = parseInt(spec.slice(2), 16);
    const address = (value & ~1) >>> 0;
    if (all.length === 0) return { name: spec, address, size: 0, thumb: (value & 1) === 1 };
    const exact = all.find((f) => f.address === address);
    if (exact) return exact;
    const inside = table.containing(address);
    const hint = inside
      ? `it is inside ${inside.name} (0x${hex(inside.address)}, ${inside.size} bytes): give 0x${hex(inside.address)} or ${inside.name}`
      : 'give the entry address of a function';
    throw new UsageError(`${spec} is not the start of a function in ${table.name}; ${hint}`);
  }
  const found = table.find(spec);
  if (found) return found;
  if (all.length === 0) {
    throw new UsageError(`${table.name} has no symbol table (it is stripped), so function ${spec} cannot be found by name; give its address, e.g. 0x00010a3c`);
  }
  const close = closeNames(spec, all);
  const suggestion = close.length
    ? `; did you mean ${close.join(', ')}?`
    : '; give a function name from `arm-linux-gnueabihf-nm` or an address such as 0x00010a3c';
  throw new UsageError(`${table.name} has no function called ${spec}${suggestion}`);
}

function readSections(dv: DataView, fail: Fail): Section[] {
  const size = dv.byteLength;
  const shoff = dv.getUint32(32, true);
  const shentsize = dv.getUint16(46, true);
  const shnum = dv.getUint16(48, true);
  if (shoff === 0 || shnum === 0) return [];
  if (shentsize !== SHDR_SIZE) fail(`section header entries are ${shentsize} bytes, expected ${SHDR_SIZE}; ${REBUILD}`);
  if (shoff + shnum * SHDR_SIZE > size) {
    fail(`section header table (offset ${shoff}, ${shnum * SHDR_SIZE} bytes) runs past the end of the ${size}-byte file; the file is truncated, copy it again`);
  }
  const out: Section[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * SHDR_SIZE;
    const u32 = (field: number) => dv.getUint32(at + field, true);
    out.push({ type: u32(4), offset: u32(16), size: u32(20), link: u32(24), entsize: u32(36) });
  }
  return out;
}

/** Check that section `s` (index `i`) lies inside the file. */
function checkExtent(s: Section, i: number, size: number, what: string, fail: Fail): void {
  if (s.type === SHT_NOBITS || s.offset + s.size > size) {
    fail(`${what} (section ${i}, offset ${s.offset}, ${s.size} bytes) is not inside the ${size}-byte file; ${REBUILD}`);
  }
}

function readFunctions(bytes: Uint8Array, dv: DataView, sections: readonly Section[], symtab: Section, fail: Fail): FunctionSymbol[] {
  const index = sections.indexOf(symtab);
  checkExtent(symtab, index, bytes.length, 'the symbol table', fail);
  if (symtab.entsize !== SYM_SIZE) fail(`symbol table entries are ${symtab.entsize} bytes, expected ${SYM_SIZE}; ${REBUILD}`);
  const strtab = sections[symtab.link];
  if (!strtab || strtab.type !== SHT_STRTAB) fail(`the symbol table links to section ${symtab.link}, which is not a string table; ${REBUILD}`);
  checkExtent(strtab, symtab.link, bytes.length, 'the symbol string table', fail);
  const strings = bytes.subarray(strtab.offset, strtab.offset + strtab.size);
  const decoder = new TextDecoder();
  const chosen = new Map<string, { f: FunctionSymbol; rank: number }>();
  const count = Math.floor(symtab.size / SYM_SIZE);
  for (let i = 1; i < count; i++) {
    const at = symtab.offset + i * SYM_SIZE;
    const info = bytes[at + 12];
    const value = dv.getUint32(at + 4, true);
    const shndx = dv.getUint16(at + 14, true);
    if ((info & 0xf) !== STT_FUNC || value === 0 || shndx === SHN_UNDEF || shndx === SHN_COMMON) continue;
    const nameAt = dv.getUint32(at, true);
    const end = strings.indexOf(0, nameAt);
    if (nameAt >= strings.length || end < 0) {
      fail(`symbol ${i} has its name at offset ${nameAt}, outside the ${strings.length}-byte string table; ${REBUILD}`);
    }
    const name = decoder.decode(strings.subarray(nameAt, end));
    if (name === '') continue;
    const f = { name, address: (value & ~1) >>> 0, size: dv.getUint32(at + 8, true), thumb: (value & 1) === 1 };
    // A static function may share its name with another file's static or with a global one. A
    // name given by a user means the global the linker resolves calls to, so a global beats a
    // weak one beats a local; among equals the lower address is kept, so the choice is stable.
    const bind = info >> 4;
    const rank = bind === STB_GLOBAL ? 2 : bind === STB_LOCAL ? 0 : 1;
    const had = chosen.get(name);
    if (!had || rank > had.rank || (rank === had.rank && f.address < had.f.address)) chosen.set(name, { f, rank });
  }
  return [...chosen.values()].map((c) => c.f).sort((a, b) => a.address - b.address || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Up to five names like `wanted`: containing it, or within a few edits of it. */
function closeNames(wanted: string, all: readonly FunctionSymbol[]): string[] {
  const w = wanted.toLowerCase();
  const limit = Math.max(2, Math.floor(w.length / 3));
  const scored: { name: string; score: number }[] = [];
  for (const f of all) {
    const n = f.name.toLowerCase();
    if (Math.abs(n.length - w.length) > limit && !n.includes(w)) continue;
    const d = n.includes(w) ? Math.min(1, n.length - w.length) : editDistance(w, n, limit);
    if (d <= limit) scored.push({ name: f.name, score: d });
  }
  scored.sort((a, b) => a.score - b.score || a.name.length - b.name.length || (a.name < b.name ? -1 : 1));
  return scored.slice(0, 5).map((s) => s.name);
}

/** Levenshtein distance of `a` and `b`, or more than `limit` when it exceeds it. */
function editDistance(a: string, b: string, limit: number): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      best = Math.min(best, cur[j]);
    }
    if (best > limit) return limit + 1;
    prev = cur;
  }
  return prev[b.length];
}
