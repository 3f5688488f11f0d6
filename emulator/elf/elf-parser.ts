/**
 * Parsing of 32-bit little-endian ARM ELF executables. Pure: bytes in, a validated description
 * out. Everything the loader relies on is checked here, so that a damaged or foreign file is
 * reported as one ImageError line instead of surfacing later as a crash inside the emulator.
 */
import { ImageError } from '../errors';

export const ELF_HEADER_SIZE = 52;
export const PHDR_SIZE = 32;
export const EM_ARM = 40;
export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;

export const PT_NULL = 0;
export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_NOTE = 4;
export const PT_PHDR = 6;
export const PT_TLS = 7;
export const PT_GNU_EH_FRAME = 0x6474e550;
export const PT_GNU_STACK = 0x6474e551;
export const PT_GNU_RELRO = 0x6474e552;
export const PT_ARM_EXIDX = 0x70000001;

/** p_flags bits; note they are ordered differently from PROT_*. */
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

/**
 * Highest user address + 1 on 32-bit ARM Linux with the usual 3G/1G split (TASK_SIZE). The
 * kernel refuses segments above it, and the initial stack sits right below it.
 */
export const TASK_SIZE = 0xbf000000;
/** Linux reads at most one page of program headers (load_elf_phdrs). */
export const MAX_PHNUM = 4096 / PHDR_SIZE;
/** More than this much memory is not a program a 32-bit process could hold. */
export const MAX_IMAGE_SPAN = 3 * 2 ** 30;
/** PATH_MAX: Linux refuses longer PT_INTERP strings. */
const MAX_INTERP_LENGTH = 4096;
const EF_ARM_EABIMASK = 0xff000000;

const BUILD_HINT = 'build it with arm-linux-gnueabihf-gcc -static';

/** One program header, fields as in Elf32_Phdr. */
export interface ProgramHeader {
  type: number;
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
  flags: number;
  align: number;
}

/** A validated ARM executable: header fields, all program headers, and the ones that matter. */
export interface ElfImage {
  /** The file name used in error messages and region names. */
  name: string;
  /** 'pie' is ET_DYN (with or without an interpreter): it must be placed at a load bias. */
  kind: 'exec' | 'pie';
  /** The PT_INTERP path (the dynamic loader the kernel maps beside the program), if any. */
  interpreter?: string;
  /** e_entry as written; bit 0 set means the entry point is Thumb code. */
  entry: number;
  flags: number;
  phoff: number;
  phentsize: number;
  phnum: number;
  programHeaders: readonly ProgramHeader[];
  /** PT_LOAD segments with a non-zero memory size, ascending by p_vaddr. */
  loads: readonly ProgramHeader[];
  tls?: ProgramHeader;
  phdr?: ProgramHeader;
  exidx?: ProgramHeader;
  gnuStack?: ProgramHeader;
  /** Without PT_GNU_STACK, Linux gives old binaries an executable stack. */
  executableStack: boolean;
}

/** Parse and validate an ELF executable; throws a one-line ImageError when it cannot run. */
export function parseElf(bytes: Uint8Array, name: string): ElfImage {
  const fail = failer(name);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = bytes.length;
  if (size < ELF_HEADER_SIZE) {
    fail(`file is ${size} bytes, shorter than the ${ELF_HEADER_SIZE}-byte ELF header; the file is truncated or not a program, copy it again`);
  }
  checkIdent(bytes, fail);

  const type = dv.getUint16(16, true);
  const machine = dv.getUint16(18, true);
  const entry = dv.getUint32(24, true);
  const phoff = dv.getUint32(28, true);
  const flags = dv.getUint32(36, true);
  const phentsize = dv.getUint16(42, true);
  const phnum = dv.getUint16(44, true);

  if (machine !== EM_ARM) {
    fail(`built for ${machineName(machine)} (e_machine ${machine}), not 32-bit ARM (EM_ARM=40); ${BUILD_HINT}`);
  }
  checkType(type, fail);
  // EABI version 0 is the old ARM ABI, whose system calls and struct layouts differ.
  const eabi = (flags & EF_ARM_EABIMASK) >>> 24;
  if (eabi !== 4 && eabi !== 5) {
    fail(`uses ARM ABI version ${eabi} (e_flags 0x${hex(flags)}), only EABI 4 and 5 are supported; ${BUILD_HINT}`);
  }
  if (phentsize !== PHDR_SIZE) {
    fail(`program header entries are ${phentsize} bytes, expected ${PHDR_SIZE}; the ELF header is corrupt, rebuild the program`);
  }
  if (phnum === 0) fail('has no program headers, so nothing can be loaded; link it as an executable, not with -r');
  if (phnum > MAX_PHNUM) {
    fail(`claims ${phnum} program headers, more than the ${MAX_PHNUM} Linux accepts; the ELF header is corrupt, rebuild the program`);
  }
  if (phoff + phnum * PHDR_SIZE > size) {
    fail(`program header table (offset ${phoff}, ${phnum * PHDR_SIZE} bytes) runs past the end of the ${size}-byte file; the file is truncated, copy it again`);
  }

  const programHeaders = readProgramHeaders(dv, phoff, phnum);
  const interpreter = readInterpreter(bytes, programHeaders, fail);

  const loads = checkLoads(programHeaders, type, size, fail);
  const find = (t: number) => programHeaders.find((p) => p.type === t);
  const tls = find(PT_TLS);
  if (tls) checkTls(tls, size, fail);
  checkEntry(entry, loads, fail);
  const gnuStack = find(PT_GNU_STACK);

  return {
    name,
    kind: type === ET_DYN ? 'pie' : 'exec',
    interpreter,
    entry,
    flags,
    phoff,
    phentsize,
    phnum,
    programHeaders,
    loads,
    tls,
    phdr: find(PT_PHDR),
    exidx: find(PT_ARM_EXIDX),
    gnuStack,
    executableStack: gnuStack ? (gnuStack.flags & PF_X) !== 0 : true,
  };
}

/** Throws an ImageError about the file with the given problem. */
export type Fail = (problem: string) => never;

/** A Fail for file `name`, whose messages stay one line whatever the name holds. */
export function failer(name: string): Fail {
  // Keep the message one line even when the file name contains control characters.
  const shown = printable(name);
  return (problem: string): never => {
    throw new ImageError(`${shown}: ${problem}`);
  };
}

/** Check the magic, class and byte order of the ELF identification (needs 16 bytes). */
export function checkIdent(bytes: Uint8Array, fail: Fail): void {
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    const start = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    fail(`not an ELF file (starts with ${start}, not 7f 45 4c 46); give the path of an ARM Linux program, ${BUILD_HINT}`);
  }
  const cls = bytes[4];
  if (cls === 2) fail(`is a 64-bit ELF (ELFCLASS64), but only 32-bit ARM programs run here; ${BUILD_HINT}`);
  if (cls !== 1) fail(`has an invalid ELF class ${cls}; the ELF header is corrupt, rebuild the program`);
  const data = bytes[5];
  if (data === 2) fail(`is big-endian (ELFDATA2MSB), but only little-endian ARM programs run here; ${BUILD_HINT}`);
  if (data !== 1) fail(`has an invalid ELF data encoding ${data}; the ELF header is corrupt, rebuild the program`);
}

function checkType(type: number, fail: Fail): void {
  if (type === ET_EXEC || type === ET_DYN) return;
  if (type === ET_REL) fail('is a relocatable object file (ET_REL), not an executable; link it into a program with arm-linux-gnueabihf-gcc -static');
  if (type === ET_CORE) fail('is a core dump (ET_CORE), not an executable; give the path of the program itself');
  fail(`has ELF type ${type}, not an executable (ET_EXEC or ET_DYN); ${BUILD_HINT}`);
}

function readProgramHeaders(dv: DataView, phoff: number, phnum: number): ProgramHeader[] {
  const out: ProgramHeader[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * PHDR_SIZE;
    const u32 = (field: number) => dv.getUint32(at + field, true);
    out.push({
      type: u32(0),
      offset: u32(4),
      vaddr: u32(8),
      paddr: u32(12),
      filesz: u32(16),
      memsz: u32(20),
      flags: u32(24),
      align: u32(28),
    });
  }
  return out;
}

function readInterpreter(bytes: Uint8Array, phdrs: readonly ProgramHeader[], fail: Fail): string | undefined {
  const interp = phdrs.find((p) => p.type === PT_INTERP);
  if (!interp) return undefined;
  if (interp.filesz < 2 || interp.filesz > MAX_INTERP_LENGTH) {
    fail(`is dynamically linked but its interpreter path (PT_INTERP) is ${interp.filesz} bytes long, which is corrupt; ${BUILD_HINT}`);
  }
  if (interp.offset + interp.filesz > bytes.length) {
    fail(`interpreter path (PT_INTERP at offset ${interp.offset}) runs past the end of the ${bytes.length}-byte file; the file is truncated, copy it again`);
  }
  const raw = bytes.subarray(interp.offset, interp.offset + interp.filesz);
  // Linux requires the string to end with its NUL exactly at the segment's end (binfmt_elf).
  if (raw[raw.length - 1] !== 0 || raw.indexOf(0) !== raw.length - 1) {
    fail(`interpreter path (PT_INTERP) is not one NUL-terminated string; the program headers are corrupt, rebuild the program`);
  }
  return Buffer.from(raw.subarray(0, raw.length - 1)).toString('latin1');
}

function checkLoads(phdrs: readonly ProgramHeader[], type: number, size: number, fail: Fail): ProgramHeader[] {
  const loads: ProgramHeader[] = [];
  phdrs.forEach((p, i) => {
    if (p.type !== PT_LOAD) return;
    const what = `segment ${i} (PT_LOAD at 0x${hex(p.vaddr)})`;
    if (p.filesz > p.memsz) {
      fail(`${what} has more file bytes (${p.filesz}) than memory bytes (${p.memsz}); the program headers are corrupt, rebuild the program`);
    }
    if (p.offset + p.filesz > size) {
      fail(`${what} needs file bytes up to offset ${p.offset + p.filesz}, past the end of the ${size}-byte file; the file is truncated, copy it again`);
    }
    if (p.memsz > MAX_IMAGE_SPAN || p.vaddr + p.memsz > 2 ** 32) {
      fail(`${what} is ${p.memsz} bytes and does not fit in the 32-bit address space; the program headers are corrupt, rebuild the program`);
    }
    if (type === ET_EXEC && p.vaddr + p.memsz > TASK_SIZE) {
      fail(`${what} ends at 0x${hex(p.vaddr + p.memsz)}, above the 0x${hex(TASK_SIZE)} limit of user memory; link it at a lower address`);
    }
    if (p.align > 1) {
      if ((p.align & (p.align - 1)) !== 0) {
        fail(`${what} has alignment ${p.align}, which is not a power of two; the program headers are corrupt, rebuild the program`);
      }
      if (p.offset % p.align !== p.vaddr % p.align) {
        fail(
          `${what} has file offset 0x${hex(p.offset)} and address 0x${hex(p.vaddr)} that disagree modulo its alignment 0x${hex(p.align)}; the program headers are corrupt, rebuild the program`,
        );
      }
    }
    if (p.memsz > 0) loads.push(p);
  });
  if (loads.length === 0) fail('has no loadable (PT_LOAD) segments, so there is nothing to run; rebuild the program');
  loads.sort((a, b) => a.vaddr - b.vaddr);
  for (let i = 1; i < loads.length; i++) {
    const prev = loads[i - 1];
    const cur = loads[i];
    if (prev.vaddr + prev.memsz > cur.vaddr) {
      fail(
        `loadable segments at 0x${hex(prev.vaddr)} (${prev.memsz} bytes) and 0x${hex(cur.vaddr)} overlap; the program headers are corrupt, rebuild the program`,
      );
    }
  }
  const last = loads[loads.length - 1];
  const span = last.vaddr + last.memsz - loads[0].vaddr;
  if (span > MAX_IMAGE_SPAN) {
    fail(
      `loadable segments span ${Math.round(span / 2 ** 20)} MiB, more than the 3 GiB a 32-bit process can hold; the program headers are corrupt, rebuild the program`,
    );
  }
  return loads;
}

function checkTls(tls: ProgramHeader, size: number, fail: Fail): void {
  if (tls.filesz > tls.memsz) {
    fail(
      `thread-local storage template (PT_TLS) has more file bytes (${tls.filesz}) than memory bytes (${tls.memsz}); the program headers are corrupt, rebuild the program`,
    );
  }
  if (tls.offset + tls.filesz > size) {
    fail(`thread-local storage template (PT_TLS) runs past the end of the ${size}-byte file; the file is truncated, copy it again`);
  }
  if (tls.align > 1 && (tls.align & (tls.align - 1)) !== 0) {
    fail(`thread-local storage (PT_TLS) alignment ${tls.align} is not a power of two; the program headers are corrupt, rebuild the program`);
  }
}

function checkEntry(entry: number, loads: readonly ProgramHeader[], fail: Fail): void {
  // Bit 0 only selects Thumb state; the instruction itself starts at the even address.
  const pc = entry & ~1;
  const inCode = loads.some((p) => (p.flags & PF_X) !== 0 && pc >= p.vaddr && pc < p.vaddr + p.memsz);
  if (!inCode) {
    fail(`entry point 0x${hex(entry)} is not inside any executable segment; it is not a program (a shared library?) or is corrupt, ${BUILD_HINT}`);
  }
}

function machineName(machine: number): string {
  const names: Record<number, string> = {
    3: 'x86',
    8: 'MIPS',
    20: 'PowerPC',
    21: 'PowerPC64',
    62: 'x86-64',
    183: 'AArch64 (64-bit ARM)',
    243: 'RISC-V',
  };
  return names[machine] ?? 'another architecture';
}

/** `n` as unsigned hexadecimal without a prefix. */
export function hex(n: number): string {
  return (n >>> 0).toString(16);
}

function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]/g, '?');
}
