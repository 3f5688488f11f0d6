/**
 * Where an executed program and its dynamic loader go in a fresh 32-bit address space, and where
 * the program starts: the decisions Linux's binfmt_elf makes for ARM, adapted to this machine's
 * bottom-up mmap area.
 *
 * - ET_EXEC programs sit at their link addresses.
 * - A PIE with an interpreter goes low, at PIE_BASE plus a seeded slide, leaving the mmap area
 *   whole (Linux uses two thirds of TASK_SIZE because its mmap area grows down from the stack).
 * - An ET_DYN file without an interpreter (a static PIE, or ld.so run as a program) goes to the
 *   mmap area, as Linux puts it there: the non-PIE program such a loader then maps at its link
 *   address (0x10000 upwards) must find that room free.
 * - The interpreter itself goes to the first room in the mmap area above the program's heap gap.
 */
import { ImageError } from '../errors';
import { AddressSpace, PAGE_SIZE, pageAlignUp } from '../memory/address-space';
import { ElfImage } from './elf-parser';
import { DEFAULT_STACK_SIZE, DEFAULT_STACK_TOP } from './initial-stack';
import { alignmentOf, DEFAULT_PIE_BASE, LoadedImage, loadElf, MappedSource } from './loader';

/** Where the mmap area starts; below it sit the program and its heap. */
export const MMAP_BASE = 0x40000000;
/** Room kept free above the heap's start before the mmap area (so brk can grow). */
export const HEAP_ROOM = 0x08000000;
/** A PIE's base moves by a multiple of its alignment chosen from this many (Linux's 8 bits). */
export const PIE_SLIDES = 256;

/** One ELF file to place: parsed, its bytes, and the guest path it came from. */
export interface ExecFile {
  elf: ElfImage;
  bytes: Uint8Array;
  path: string;
  /** The same file open in the guest's file system, when it is there (see LoadOptions.mapped). */
  mapped?: MappedSource;
}

/** Where everything went. */
export interface LoadedExec {
  program: LoadedImage;
  /** The dynamic loader, when the program names one (its load bias is AT_BASE). */
  interpreter?: LoadedImage;
  /** Where execution starts: the interpreter's entry when there is one, else the program's. */
  entry: number;
  /** Start of the heap (the program's end), and of the mmap area above it. */
  brkStart: number;
  mmapBase: number;
}

/**
 * Load `program` (and `interpreter`, which must be given exactly when the program names one) into
 * `space`, which must be empty; `slide` (0 to PIE_SLIDES-1) moves a PIE's base.
 */
export function loadExec(space: AddressSpace, program: ExecFile, interpreter: ExecFile | undefined, slide: number): LoadedExec {
  if (!program.elf.interpreter !== !interpreter) {
    throw new Error(`${program.path}: an interpreter must be given exactly when the program names one`);
  }
  if (interpreter?.elf.interpreter !== undefined) {
    throw new ImageError(
      `${interpreter.path}: the interpreter of ${program.path} names an interpreter of its own (${interpreter.elf.interpreter}); give the real dynamic loader`,
    );
  }
  const base = (interpreter ? DEFAULT_PIE_BASE : MMAP_BASE) + (slide % PIE_SLIDES) * alignmentOf(program.elf);
  const loaded = loadElf(space, program.elf, program.bytes, { name: program.path, pieBase: base, mapped: program.mapped });
  const brkStart = loaded.brkStart;
  const mmapBase = Math.max(MMAP_BASE, brkStart + HEAP_ROOM);
  if (!interpreter) return { program: loaded, entry: loaded.entry, brkStart, mmapBase };
  const interp = loadElf(space, interpreter.elf, interpreter.bytes, {
    name: interpreter.path,
    pieBase: roomFor(space, interpreter, mmapBase),
    mapped: interpreter.mapped,
  });
  return { program: loaded, interpreter: interp, entry: interp.entry, brkStart, mmapBase };
}

/** A free, suitably aligned base for an ET_DYN interpreter at or above `from`, below the stack. */
function roomFor(space: AddressSpace, interpreter: ExecFile, from: number): number {
  const { elf } = interpreter;
  if (elf.kind === 'exec') {
    const clash = elf.loads.find((p) => !space.isFree(p.vaddr, p.memsz));
    if (clash)
      throw new ImageError(
        `${interpreter.path}: the interpreter's fixed segment at 0x${clash.vaddr.toString(16)} overlaps the program; give a position-independent dynamic loader`,
      );
    return 0;
  }
  const align = alignmentOf(elf);
  const first = elf.loads[0];
  const last = elf.loads[elf.loads.length - 1];
  const span = pageAlignUp(last.vaddr + last.memsz) - Math.floor(first.vaddr / align) * align;
  const at = space.findFree(span + align - PAGE_SIZE, from, DEFAULT_STACK_TOP - DEFAULT_STACK_SIZE);
  if (at < 0) throw new ImageError(`${interpreter.path}: no room for the ${span}-byte interpreter between 0x${from.toString(16)} and the stack`);
  return Math.ceil(at / align) * align;
}
