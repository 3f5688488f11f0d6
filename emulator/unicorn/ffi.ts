/**
 * Loads libunicorn (from the official wheel, unpacked into vendor/unicorn by set-up) and the
 * native hook helper (built by node-gyp at install), and declares the C functions clonecloud uses.
 * Loading happens once, on first use, so commands that never run a guest do not need either.
 */
import * as fs from 'fs';
import * as path from 'path';
import koffi from 'koffi';
import { SetupError } from '../errors';
import { HOOKS_LIB } from '../memory/native-memory';

const ROOT = path.resolve(__dirname, '..', '..', '..');
/** Where set-up unpacks libunicorn; overridable for unusual layouts. */
export const UNICORN_LIB = process.env.CLONECLOUD_LIBUNICORN ?? path.join(ROOT, 'vendor', 'unicorn', 'lib', 'libunicorn.so.2');
export { HOOKS_LIB };

const IntrCallback = koffi.proto('void cc_intr_cb(void *uc, uint32_t intno, void *user)');

/** The C functions, typed. */
export interface UnicornLib {
  uc_version(major: number[], minor: number[]): number;
  uc_open(arch: number, mode: number, out: unknown[]): number;
  uc_close(uc: unknown): number;
  uc_strerror(code: number): string;
  uc_mem_map_ptr(uc: unknown, address: bigint, size: bigint, perms: number, ptr: Uint8Array): number;
  uc_mem_unmap(uc: unknown, address: bigint, size: bigint): number;
  uc_mem_read(uc: unknown, address: bigint, out: Uint8Array, size: bigint): number;
  uc_reg_read(uc: unknown, regid: number, out: Uint8Array): number;
  uc_reg_write(uc: unknown, regid: number, value: Uint8Array): number;
  uc_reg_read_batch(uc: unknown, ids: Int32Array, vals: unknown[], count: number): number;
  uc_emu_start(uc: unknown, begin: bigint, until: bigint, timeout: bigint, count: bigint): number;
  uc_emu_stop(uc: unknown): number;
  uc_hook_del(uc: unknown, hh: bigint): number;
  cc_state_new(counters: BigUint64Array, dirty: Uint32Array, touched: Uint32Array, perms: Uint8Array, mem: Uint8Array, flags: number): unknown;
  cc_state_free(state: unknown): void;
  cc_state_forget_code(state: unknown): void;
  cc_attach(uc: unknown, state: unknown): number;
  cc_hook_intr(uc: unknown, cb: unknown, user: unknown, out: bigint[]): number;
  cc_probe_begin(uc: unknown, state: unknown): number;
  cc_probe_end(uc: unknown, state: unknown): number;
  cc_set_page_size(uc: unknown, size: number): number;
  cc_set_cpu_model(uc: unknown, model: number): number;
  cc_tlb_virtual(uc: unknown): number;
  cc_flush_tlb(uc: unknown): number;
  cc_flush_tb(uc: unknown): number;
  cc_remove_cache(uc: unknown, state: unknown, begin: bigint, end: bigint): number;
  cc_monitor_get(uc: unknown, out: BigUint64Array): number;
  cc_monitor_set(uc: unknown, addr: bigint, val: bigint): number;
  cc_exits_enable(uc: unknown): number;
  cc_set_exit(uc: unknown, addr: bigint, on: number): number;
  cc_set_exits(uc: unknown, addrs: BigUint64Array, n: number): number;
  cc_set_reads(state: unknown, reads: Uint32Array | null): void;
  cc_trace_begin(uc: unknown, recs: Uint32Array, recCap: bigint, writes: Uint32Array, writeCap: bigint): unknown;
  cc_trace_counts(trace: unknown, out: BigUint64Array): void;
  cc_trace_reset(trace: unknown): void;
  cc_trace_end(uc: unknown, trace: unknown): void;
  cc_watch_begin(uc: unknown, addr: bigint): unknown;
  cc_watch_hits(watch: unknown): bigint;
  cc_watch_end(uc: unknown, watch: unknown): void;
  cc_finder_begin(state: unknown, from: bigint): number;
  cc_finder_end(state: unknown, out: BigUint64Array): number;
}

let lib: UnicornLib | undefined;

/** The loaded library; throws SetupError naming the set-up step when a file is missing. */
export function unicorn(): UnicornLib {
  if (lib) return lib;
  for (const [file, what] of [
    [UNICORN_LIB, 'libunicorn 2.1 (from the unicorn wheel)'],
    [HOOKS_LIB, 'the native hook helper'],
  ] as const) {
    if (!fs.existsSync(file)) {
      throw new SetupError(`${what} is missing at ${file}: run 'bash scripts/setup.sh' first`);
    }
  }
  const uc = koffi.load(UNICORN_LIB);
  const hooks = koffi.load(HOOKS_LIB);
  const u = {
    uc_version: uc.func('unsigned int uc_version(_Out_ unsigned int *major, _Out_ unsigned int *minor)'),
    uc_open: uc.func('int uc_open(int arch, int mode, _Out_ void **uc)'),
    uc_close: uc.func('int uc_close(void *uc)'),
    uc_strerror: uc.func('const char *uc_strerror(int code)'),
    uc_mem_map_ptr: uc.func('int uc_mem_map_ptr(void *uc, uint64_t address, size_t size, uint32_t perms, void *ptr)'),
    uc_mem_unmap: uc.func('int uc_mem_unmap(void *uc, uint64_t address, size_t size)'),
    uc_mem_read: uc.func('int uc_mem_read(void *uc, uint64_t address, _Out_ void *bytes, size_t size)'),
    uc_reg_read: uc.func('int uc_reg_read(void *uc, int regid, _Out_ void *value)'),
    uc_reg_write: uc.func('int uc_reg_write(void *uc, int regid, const void *value)'),
    uc_reg_read_batch: uc.func('int uc_reg_read_batch(void *uc, int *regs, void **vals, int count)'),
    uc_emu_start: uc.func('int uc_emu_start(void *uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count)'),
    uc_emu_stop: uc.func('int uc_emu_stop(void *uc)'),
    uc_hook_del: uc.func('int uc_hook_del(void *uc, size_t hh)'),
    cc_state_new: hooks.func('void *cc_state_new(void *counters, void *dirty, void *touched, void *perms, void *mem, int flags)'),
    cc_state_free: hooks.func('void cc_state_free(void *state)'),
    cc_state_forget_code: hooks.func('void cc_state_forget_code(void *state)'),
    cc_attach: hooks.func('int cc_attach(void *uc, void *state)'),
    cc_hook_intr: hooks.func('int cc_hook_intr(void *uc, cc_intr_cb *cb, void *user, _Out_ size_t *out)'),
    cc_probe_begin: hooks.func('int cc_probe_begin(void *uc, void *state)'),
    cc_probe_end: hooks.func('int cc_probe_end(void *uc, void *state)'),
    cc_set_page_size: hooks.func('int cc_set_page_size(void *uc, uint32_t size)'),
    cc_set_cpu_model: hooks.func('int cc_set_cpu_model(void *uc, int model)'),
    cc_tlb_virtual: hooks.func('int cc_tlb_virtual(void *uc)'),
    cc_flush_tlb: hooks.func('int cc_flush_tlb(void *uc)'),
    cc_flush_tb: hooks.func('int cc_flush_tb(void *uc)'),
    cc_remove_cache: hooks.func('int cc_remove_cache(void *uc, void *state, uint64_t begin, uint64_t end)'),
    cc_monitor_get: hooks.func('int cc_monitor_get(void *uc, void *out)'),
    cc_monitor_set: hooks.func('int cc_monitor_set(void *uc, uint64_t addr, uint64_t val)'),
    cc_exits_enable: hooks.func('int cc_exits_enable(void *uc)'),
    cc_set_exit: hooks.func('int cc_set_exit(void *uc, uint64_t addr, int on)'),
    cc_set_exits: hooks.func('int cc_set_exits(void *uc, const uint64_t *addrs, int n)'),
    cc_set_reads: hooks.func('void cc_set_reads(void *state, void *reads)'),
    cc_trace_begin: hooks.func('void *cc_trace_begin(void *uc, void *recs, uint64_t rec_cap, void *writes, uint64_t write_cap)'),
    cc_trace_counts: hooks.func('void cc_trace_counts(void *trace, void *out)'),
    cc_trace_reset: hooks.func('void cc_trace_reset(void *trace)'),
    cc_trace_end: hooks.func('void cc_trace_end(void *uc, void *trace)'),
    cc_watch_begin: hooks.func('void *cc_watch_begin(void *uc, uint64_t addr)'),
    cc_watch_hits: hooks.func('uint64_t cc_watch_hits(void *watch)'),
    cc_watch_end: hooks.func('void cc_watch_end(void *uc, void *watch)'),
    cc_finder_begin: hooks.func('int cc_finder_begin(void *state, uint64_t from)'),
    cc_finder_end: hooks.func('int cc_finder_end(void *state, void *out)'),
  };
  lib = u as unknown as UnicornLib;
  return lib;
}

/** Register a JS function as the interrupt callback; returns the handle to pass to cc_hook_intr. */
export function registerIntrCallback(fn: (uc: unknown, intno: number, user: unknown) => void): unknown {
  return koffi.register(fn, koffi.pointer(IntrCallback));
}

/** Release a callback made by registerIntrCallback. */
export function unregisterCallback(cb: unknown): void {
  koffi.unregister(cb as never);
}
