/**
 * Places one parsed ELF file's loadable segments into the guest address space, the way Linux's
 * binfmt_elf maps a program or its interpreter (exec-layout.ts decides where each goes).
 */
import { ImageError } from '../errors';
import { AddressSpace, FileBacking, MappedFile, PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, pageAlignDown, pageAlignUp } from '../memory/address-space';
import { ElfImage, PF_R, PF_W, PF_X, PHDR_SIZE, ProgramHeader, TASK_SIZE } from './elf-parser';

/**
 * Where a position-independent file goes unless told otherwise (exec-layout.ts adds a seeded
 * slide). Linux would use ELF_ET_DYN_BASE (two thirds of TASK_SIZE); a low base leaves the top for
 * the mmap area and the stack.
 */
export const DEFAULT_PIE_BASE = 0x00400000;

/** The program's thread-local storage template, as the C library's TLS setup needs it. */
export interface TlsInfo {
  addr: number;
  filesz: number;
  memsz: number;
  align: number;
}

/** Where the program ended up: what the initial stack, registers and brk need. */
export interface LoadedImage {
  /** Guest entry address; bit 0 is kept so the caller can start in Thumb state. */
  entry: number;
  /** Guest address of the program header table (AT_PHDR), 0 when no segment loads it. */
  phdrAddr: number;
  phnum: number;
  phent: number;
  /** Added to every p_vaddr: 0 for ET_EXEC. */
  loadBias: number;
  /** Page-aligned end of the highest segment: where the heap starts. */
  brkStart: number;
  tlsInfo?: TlsInfo;
}

/** The file an image was read from, open in the guest's file system, for mappings that refer to it. */
export interface MappedSource {
  file: MappedFile;
  /** Device and inode ("dev:ino"), as mmap's backings are keyed. */
  key: string;
  /** The guest path it was opened by. */
  path: string;
}

/** Options for loadElf. */
export interface LoadOptions {
  /**
   * The ELF's own file in the guest's file system: each segment page then refers to the file's page
   * it came from (as Linux maps them from the file), so checkpoints store only the pages that differ.
   */
  mapped?: MappedSource;
  /** Page-aligned address a PIE's lowest segment is placed at (default 0x00400000). */
  pieBase?: number;
  /** Region name (default: the name the image was parsed with). */
  name?: string;
}

/** A page range and the permission it gets. */
export interface PageRun {
  start: number;
  end: number;
  prot: number;
}

/** Map `elf`'s segments into `space` and copy their file bytes from `bytes`; returns the layout. */
export function loadElf(space: AddressSpace, elf: ElfImage, bytes: Uint8Array, opts: LoadOptions = {}): LoadedImage {
  const loadBias = elf.kind === 'pie' ? chooseLoadBias(elf, opts.pieBase ?? DEFAULT_PIE_BASE) : 0;
  const name = opts.name ?? elf.name;
  for (const run of planSegmentPages(elf.loads, loadBias)) {
    space.map(
      run.start,
      run.end - run.start,
      run.prot,
      run.prot & PROT_EXEC ? 'text' : 'data',
      name,
      opts.mapped && fileBacking(opts.mapped, elf.loads, loadBias, run.start),
    );
  }
  // Freshly mapped pages read as zero, so the bss (memsz beyond filesz) needs no writes; writing
  // zeros would only mark pages dirty and grow every checkpoint.
  for (const seg of elf.loads) {
    if (seg.filesz > 0) space.poke(seg.vaddr + loadBias, bytes.subarray(seg.offset, seg.offset + seg.filesz));
  }
  const last = elf.loads[elf.loads.length - 1];
  const tls = elf.tls;
  return {
    entry: (elf.entry + loadBias) >>> 0,
    phdrAddr: phdrAddress(elf, loadBias),
    phnum: elf.phnum,
    phent: PHDR_SIZE,
    loadBias,
    brkStart: pageAlignUp(last.vaddr + last.memsz + loadBias),
    tlsInfo: tls && { addr: tls.vaddr + loadBias, filesz: tls.filesz, memsz: tls.memsz, align: tls.align },
  };
}

/**
 * The page runs to map for `loads` shifted by `bias`, each with its permission.
 *
 * Segments never overlap byte-wise, but the last page of one and the first page of the next are
 * often the same page (text end and data start, with different permissions). Linux maps each
 * segment separately, so the later mapping's permissions win for that page, which can leave
 * the earlier segment's tail unreadable or non-executable if the linker put code there. Giving
 * the shared page the union keeps both segments' bytes usable; the cost is a page that is
 * writable and executable at once, which only matters to programs that probe for W^X.
 */
export function planSegmentPages(loads: readonly ProgramHeader[], bias: number): PageRun[] {
  const spans = loads.map((p) => ({
    start: pageAlignDown(p.vaddr + bias),
    end: pageAlignUp(p.vaddr + bias + p.memsz),
    prot: protFromFlags(p.flags),
  }));
  const points = [...new Set(spans.flatMap((s) => [s.start, s.end]))].sort((a, b) => a - b);
  const runs: PageRun[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const start = points[i];
    const end = points[i + 1];
    const covering = spans.filter((s) => s.start <= start && s.end >= end);
    if (covering.length === 0) continue;
    const prot = covering.reduce((acc, s) => acc | s.prot, 0);
    const prev = runs[runs.length - 1];
    if (prev && prev.end === start && prev.prot === prot) prev.end = end;
    else runs.push({ start, end, prot });
  }
  return runs;
}

/**
 * The private file backing of the page run starting at `start`: the file offset of the first
 * segment covering it. A page whose bytes are not the file's there (the bss, a page two segments
 * share, relocated data) simply differs from the file, and checkpoints store it.
 */
function fileBacking(m: MappedSource, loads: readonly ProgramHeader[], bias: number, start: number): FileBacking | undefined {
  const seg = loads.find((p) => pageAlignDown(p.vaddr + bias) <= start && start < pageAlignUp(p.vaddr + bias + p.memsz));
  if (!seg) return undefined;
  const offset = pageAlignDown(seg.offset) + (start - pageAlignDown(seg.vaddr + bias));
  return { file: m.file, key: m.key, offset, shared: false, writable: false, path: m.path };
}

/** The largest p_align of the file's segments (at least a page): what a load bias must keep. */
export function alignmentOf(elf: ElfImage): number {
  return elf.loads.reduce((a, p) => Math.max(a, p.align), PAGE_SIZE);
}

/** PROT_* bits for ELF p_flags (the two use different bit orders). */
export function protFromFlags(flags: number): number {
  return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) | (flags & PF_X ? PROT_EXEC : 0);
}

function chooseLoadBias(elf: ElfImage, base: number): number {
  if (base % PAGE_SIZE !== 0 || base < PAGE_SIZE) {
    throw new ImageError(`${elf.name}: PIE base 0x${base.toString(16)} is not a page-aligned non-zero address; pick another base`);
  }
  // The bias must preserve every segment's p_align congruence, not just page alignment.
  const align = alignmentOf(elf);
  const first = elf.loads[0];
  const last = elf.loads[elf.loads.length - 1];
  const bias = Math.ceil(base / align) * align - Math.floor(first.vaddr / align) * align;
  const end = last.vaddr + last.memsz + bias;
  if (first.vaddr + bias < PAGE_SIZE || end > TASK_SIZE) {
    throw new ImageError(
      `${elf.name}: position-independent image (${last.vaddr + last.memsz - first.vaddr} bytes, alignment 0x${align.toString(16)}) does not fit between base 0x${base.toString(16)} and 0x${TASK_SIZE.toString(16)}; rebuild it with a smaller alignment`,
    );
  }
  return bias;
}

function phdrAddress(elf: ElfImage, bias: number): number {
  const tableBytes = elf.phnum * PHDR_SIZE;
  const inMemory = (addr: number) => elf.loads.some((p) => addr >= p.vaddr && addr + tableBytes <= p.vaddr + p.memsz);
  if (elf.phdr && inMemory(elf.phdr.vaddr)) return elf.phdr.vaddr + bias;
  // Without a usable PT_PHDR, Linux finds the segment whose file bytes include e_phoff.
  const seg = elf.loads.find((p) => p.offset <= elf.phoff && elf.phoff + tableBytes <= p.offset + p.filesz);
  return seg ? seg.vaddr + (elf.phoff - seg.offset) + bias : 0;
}
