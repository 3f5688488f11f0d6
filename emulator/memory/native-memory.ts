/**
 * The native helper's guest-memory functions (native/cchooks.c): reservations of address space,
 * copy-on-write images, page copies and page hashes. Bound here, below the CPU engine, because the address
 * space owns its memory; the helper is loaded once, on first use.
 */
import * as fs from 'fs';
import * as path from 'path';
import koffi from 'koffi';
import { SetupError } from '../errors';

const ROOT = path.resolve(__dirname, '..', '..', '..');
/** Where node-gyp puts the native helper. */
export const HOOKS_LIB = path.join(ROOT, 'build', 'Release', 'cchooks.so');

/** The C functions, typed (pointers are koffi's opaque values). */
export interface NativeMemory {
  cc_mem_reserve(size: number): unknown;
  cc_mem_discard(base: unknown, size: number): number;
  cc_mem_image_new(base: unknown, size: number, pages: Uint32Array, words: number): number;
  cc_mem_map_image(base: unknown, size: number, fd: number): number;
  cc_mem_image_close(fd: number): void;
  cc_mem_diverged(base: unknown, candidates: Uint32Array, words: number, out: Uint32Array): number;
  cc_mem_copy_pages(dst: unknown, src: unknown, pages: Uint32Array, words: number): void;
  cc_bits_count(words: Uint32Array, n: number): number | bigint;
  cc_bits_list(a: Uint32Array, b: Uint32Array | null, c: Uint32Array | null, d: Uint32Array | null, n: number, out: Uint32Array, cap: number): number | bigint;
  cc_bits_or(dst: Uint32Array, src: Uint32Array, n: number): void;
  cc_hash_pages(
    base: Uint8Array,
    pages: Uint32Array | null,
    n: number,
    hashes: Uint8Array,
    zero: Uint8Array | null,
    copies: Uint8Array | null,
    threads: number,
  ): number | bigint;
  cc_prefault_start(base: Uint8Array, pages: Uint32Array, n: number): unknown;
  cc_prefault_join(handle: unknown): number;
}

let lib: NativeMemory | undefined;

/** The loaded functions; throws SetupError when the helper has not been built. */
export function nativeMemory(): NativeMemory {
  if (lib) return lib;
  if (!fs.existsSync(HOOKS_LIB)) throw new SetupError(`the native hook helper is missing at ${HOOKS_LIB}: run 'bash scripts/setup.sh' first`);
  const h = koffi.load(HOOKS_LIB);
  lib = {
    cc_mem_reserve: h.func('void *cc_mem_reserve(uint64_t size)'),
    cc_mem_discard: h.func('int cc_mem_discard(void *base, uint64_t size)'),
    cc_mem_image_new: h.func('int cc_mem_image_new(const void *base, uint64_t size, const uint32_t *pages, uint64_t words)'),
    cc_mem_map_image: h.func('int cc_mem_map_image(void *base, uint64_t size, int fd)'),
    cc_mem_image_close: h.func('void cc_mem_image_close(int fd)'),
    cc_mem_diverged: h.func('int64_t cc_mem_diverged(const void *base, const uint32_t *candidates, uint64_t words, uint32_t *out)'),
    cc_mem_copy_pages: h.func('void cc_mem_copy_pages(void *dst, const void *src, const uint32_t *pages, uint64_t words)'),
    cc_bits_count: h.func('int64_t cc_bits_count(const uint32_t *words, uint64_t n)'),
    cc_bits_list: h.func(
      'int64_t cc_bits_list(const uint32_t *a, const uint32_t *b, const uint32_t *c, const uint32_t *d, uint64_t n, uint32_t *out, uint64_t cap)',
    ),
    cc_bits_or: h.func('void cc_bits_or(uint32_t *dst, const uint32_t *src, uint64_t n)'),
    cc_hash_pages: h.func(
      'int64_t cc_hash_pages(const uint8_t *base, const uint32_t *pages, uint32_t n, uint8_t *hashes, uint8_t *zero, uint8_t *copies, int threads)',
    ),
    cc_prefault_start: h.func('void *cc_prefault_start(const uint8_t *base, const uint32_t *pages, uint32_t n)'),
    cc_prefault_join: h.func('int cc_prefault_join(void *handle)'),
  } as NativeMemory;
  return lib;
}

/** The C library's calls behind shared file mappings: an in-memory file mapped at fixed addresses. */
export interface HostFiles {
  memfd_create(name: string, flags: number): number;
  ftruncate(fd: number, length: number): number;
  close(fd: number): number;
  mmap(addr: bigint, length: number, prot: number, flags: number, fd: number, offset: number): number | bigint;
}

let libc: HostFiles | undefined;

/** The bound C library calls (loaded on first use). */
export function hostFiles(): HostFiles {
  if (libc) return libc;
  const c = koffi.load('libc.so.6');
  libc = {
    memfd_create: c.func('int memfd_create(const char *name, unsigned int flags)'),
    ftruncate: c.func('int ftruncate(int fd, int64_t length)'),
    close: c.func('int close(int fd)'),
    mmap: c.func('uintptr_t mmap(uintptr_t addr, size_t length, int prot, int flags, int fd, int64_t offset)'),
  } as HostFiles;
  return libc;
}

/** The host address of a native pointer. */
export function pointerAddress(pointer: unknown): bigint {
  return BigInt(koffi.address(pointer as never));
}

/** An ArrayBuffer over `length` bytes of native memory at `pointer` (no copy, no ownership). */
export function nativeView(pointer: unknown, length: number): ArrayBuffer {
  return koffi.view(pointer as never, length);
}

/** The C library's errno after a failed call, as text for an error message. */
export function lastErrorText(): string {
  const e = koffi.errno();
  const name = Object.entries(koffi.os.errno).find(([, v]) => v === e)?.[0];
  return name ? `${name} (errno ${e})` : `errno ${e}`;
}
