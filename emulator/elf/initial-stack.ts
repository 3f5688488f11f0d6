/**
 * The process's initial stack, laid out byte for byte as Linux's exec does it for an ARM EABI
 * program (fs/exec.c copies the strings, fs/binfmt_elf.c create_elf_tables adds the rest), so
 * the C library's startup code finds argc, argv, envp and the auxiliary vector where it expects.
 */
import { ImageError, UsageError } from '../errors';
import { AddressSpace, PAGE_SIZE, PROT_READ, PROT_WRITE } from '../memory/address-space';
import * as at from './auxv';
import { TASK_SIZE } from './elf-parser';
import { LoadedImage } from './loader';

/** Linux places the stack right below TASK_SIZE (before randomisation, which we leave out). */
export const DEFAULT_STACK_TOP = TASK_SIZE;
/** The usual RLIMIT_STACK. */
export const DEFAULT_STACK_SIZE = 8 * 2 ** 20;
/** MAX_ARG_STRLEN: Linux refuses longer single argument or environment strings. */
export const MAX_ARG_STRLEN = 32 * PAGE_SIZE;

/** What to put on the initial stack. */
export interface InitialStackOptions {
  /** Arguments: text (written as UTF-8) or the exact bytes, which need not be UTF-8. */
  argv: readonly (string | Uint8Array)[];
  envp: readonly (string | Uint8Array)[];
  /** The path the program was executed as (AT_EXECFN). */
  execfn: string;
  /** The 16 bytes AT_RANDOM points at (stack protector and pointer guard seeds). */
  random: Uint8Array;
  image: Pick<LoadedImage, 'entry' | 'phdrAddr' | 'phnum' | 'phent'>;
  /** The dynamic loader's load bias (AT_BASE); 0 for a program without one. */
  interpreterBase?: number;
  /** Page-aligned address just above the stack (default 0xbf000000). */
  stackTop?: number;
  /** Page-multiple stack size (default 8 MiB). */
  stackSize?: number;
  /** Region name (default '[stack]'). */
  name?: string;
  uid?: number;
  euid?: number;
  gid?: number;
  egid?: number;
  platform?: string;
  hwcap?: number;
  hwcap2?: number;
}

/** Where everything on the initial stack went. */
export interface InitialStack {
  /** The value for the stack pointer at the entry point: 16-byte aligned, pointing at argc. */
  sp: number;
  stackStart: number;
  stackTop: number;
  argc: number;
  argvAddr: number;
  envpAddr: number;
  auxvAddr: number;
  /** Addresses of the argv and envp strings, in order. */
  argStrings: number[];
  envStrings: number[];
  execfnAddr: number;
  platformAddr: number;
  randomAddr: number;
  /** The auxiliary vector as written, AT_NULL included. */
  auxv: Array<[number, number]>;
}

const encoder = new TextEncoder();

/** Map the stack region and write argc, argv, envp, auxv and their strings as Linux does. */
export function buildInitialStack(space: AddressSpace, opts: InitialStackOptions): InitialStack {
  const stackTop = opts.stackTop ?? DEFAULT_STACK_TOP;
  const stackSize = opts.stackSize ?? DEFAULT_STACK_SIZE;
  if (stackTop % PAGE_SIZE !== 0 || stackSize % PAGE_SIZE !== 0 || stackSize <= 0 || stackSize > stackTop) {
    throw new Error(`stack top 0x${stackTop.toString(16)} and size ${stackSize} must be page multiples with the size below the top`);
  }
  if (opts.random.length !== 16) throw new Error(`AT_RANDOM needs exactly 16 bytes, got ${opts.random.length}`);
  const stackStart = stackTop - stackSize;
  const clash = space.regions().find((r) => r.start < stackTop && r.end > stackStart);
  if (clash) {
    throw new ImageError(
      `${clash.name}: its memory at 0x${clash.start.toString(16)}-0x${clash.end.toString(16)} overlaps the stack at 0x${stackStart.toString(16)}-0x${stackTop.toString(16)}; link the program at a lower address`,
    );
  }

  const argBytes = opts.argv.map((s) => cString(s, 'argument'));
  const envBytes = opts.envp.map((s) => cString(s, 'environment string'));
  const execfnBytes = cString(opts.execfn, 'program path');
  const platformBytes = cString(opts.platform ?? at.DEFAULT_PLATFORM, 'platform');

  // Strings are copied downwards from just below a zero word at the very top: the exec path
  // first, then the environment and the arguments from last to first, so argv[0] is lowest.
  let p = stackTop - 4;
  p -= execfnBytes.length;
  const execfnAddr = p;
  const envStrings = placeDownwards(envBytes, (n) => (p -= n));
  const argStrings = placeDownwards(argBytes, (n) => (p -= n));
  p = align16(p);
  p -= platformBytes.length;
  const platformAddr = p;
  p -= 16;
  const randomAddr = p;

  const auxv: Array<[number, number]> = [
    [at.AT_HWCAP, opts.hwcap ?? at.DEFAULT_HWCAP],
    [at.AT_PAGESZ, PAGE_SIZE],
    [at.AT_CLKTCK, at.CLOCK_TICKS],
    [at.AT_PHDR, opts.image.phdrAddr],
    [at.AT_PHENT, opts.image.phent],
    [at.AT_PHNUM, opts.image.phnum],
    [at.AT_BASE, opts.interpreterBase ?? 0],
    [at.AT_FLAGS, 0],
    [at.AT_ENTRY, opts.image.entry],
    [at.AT_UID, opts.uid ?? 0],
    [at.AT_EUID, opts.euid ?? opts.uid ?? 0],
    [at.AT_GID, opts.gid ?? 0],
    [at.AT_EGID, opts.egid ?? opts.gid ?? 0],
    [at.AT_SECURE, 0],
    [at.AT_RANDOM, randomAddr],
    [at.AT_HWCAP2, opts.hwcap2 ?? 0],
    [at.AT_EXECFN, execfnAddr],
    [at.AT_PLATFORM, platformAddr],
    [at.AT_NULL, 0],
  ];
  const argc = argBytes.length;
  const pointerWords = 1 + (argc + 1) + (envBytes.length + 1);
  const sp = align16(p - auxv.length * 8 - pointerWords * 4);

  // Linux caps arguments plus environment at a quarter of the stack limit (E2BIG).
  if (stackTop - sp > stackSize / 4) {
    throw new UsageError(
      `arguments and environment need ${stackTop - sp} bytes of stack, more than the ${stackSize / 4} (a quarter of the ${stackSize}-byte stack) Linux allows; shorten them`,
    );
  }

  const block = new Uint8Array(stackTop - sp);
  const dv = new DataView(block.buffer);
  const put = (addr: number, data: Uint8Array) => block.set(data, addr - sp);
  const putWord = (addr: number, value: number) => dv.setUint32(addr - sp, value >>> 0, true);

  put(execfnAddr, execfnBytes);
  envBytes.forEach((b, i) => put(envStrings[i], b));
  argBytes.forEach((b, i) => put(argStrings[i], b));
  put(platformAddr, platformBytes);
  put(randomAddr, opts.random);

  let w = sp;
  const push = (value: number) => {
    putWord(w, value);
    w += 4;
  };
  push(argc);
  const argvAddr = w;
  argStrings.forEach(push);
  push(0);
  const envpAddr = w;
  envStrings.forEach(push);
  push(0);
  const auxvAddr = w;
  for (const [key, value] of auxv) {
    push(key);
    push(value);
  }

  space.map(stackStart, stackSize, PROT_READ | PROT_WRITE, 'stack', opts.name ?? '[stack]');
  space.write(sp, block);
  return {
    sp,
    stackStart,
    stackTop,
    argc,
    argvAddr,
    envpAddr,
    auxvAddr,
    argStrings,
    envStrings,
    execfnAddr,
    platformAddr,
    randomAddr,
    auxv,
  };
}

function cString(s: string | Uint8Array, what: string): Uint8Array {
  const text = typeof s === 'string' ? s : Buffer.from(s).toString();
  if (text.includes('\0')) throw new UsageError(`${what} ${JSON.stringify(text)} contains a NUL character, which a C string cannot hold; remove it`);
  const bytes = typeof s === 'string' ? encoder.encode(s + '\0') : Buffer.concat([s, new Uint8Array(1)]);
  if (bytes.length > MAX_ARG_STRLEN) {
    throw new UsageError(`${what} is ${bytes.length} bytes long, more than the ${MAX_ARG_STRLEN} Linux accepts; shorten it`);
  }
  return bytes;
}

/** Assign addresses to `strings` from the last to the first, each below the previous one. */
function placeDownwards(strings: readonly Uint8Array[], take: (n: number) => number): number[] {
  const addrs = new Array<number>(strings.length);
  for (let i = strings.length - 1; i >= 0; i--) addrs[i] = take(strings[i].length);
  return addrs;
}

function align16(addr: number): number {
  return Math.floor(addr / 16) * 16;
}
