/**
 * A typed wrapper over one Unicorn ARM engine whose memory is an AddressSpace. The engine runs in
 * virtual-TLB mode with 4 KiB pages; the native helper counts instructions, enforces page
 * permissions and records dirty pages. Every failing Unicorn call raises UnicornError.
 */
import { UnicornError } from '../errors';
import { AddressSpace, ADDRESS_SPACE_SIZE, GuestMemoryReleasedError, PAGE_SIZE } from '../memory/address-space';
import { PageBitmap } from '../memory/page-bitmap';
import { CPSR_T, Reg, UC_ARCH_ARM, UC_CPU_ARM_CORTEX_A15, UC_MEM_FETCH, UC_MODE_ARM, coreReg, dReg } from './constants';
import { NativeCounters } from './native-state';
import { registerIntrCallback, unicorn, unregisterCallback, UnicornLib } from './ffi';

/** QEMU's "no address marked" value of the exclusive monitor. */
const MONITOR_CLEAR = 0xffffffffffffffffn;

/** Called on each CPU interrupt (SVC, BKPT, undefined instruction traps) with its number. */
export type InterruptHandler = (intno: number) => void;

/** What the native hooks do; both on unless a benchmark measures their cost. */
export interface EngineOptions {
  countInstructions?: boolean;
  trackDirty?: boolean;
  /**
   * false turns off the workaround for libunicorn 2.1.4's stale Thumb IT state after TLB misses
   * (see native/cchooks.c): only for showing that the differential tester finds that bug.
   */
  itStateWorkaround?: boolean;
}

/** One ARM CPU over a shared address space. */
export class Engine {
  readonly counters = new NativeCounters();
  private readonly u: UnicornLib;
  private handle: unknown;
  private state: unknown;
  private intrCb: unknown;
  private readonly scratch = new Uint8Array(8);
  private readonly scratchView = new DataView(this.scratch.buffer);
  private breakpointList: number[] = [];

  /** Open an engine, configure it (Cortex-A15, 4 KiB pages, virtual TLB) and map `space`. */
  constructor(
    readonly space: AddressSpace,
    onInterrupt: InterruptHandler,
    options: EngineOptions = {},
  ) {
    this.u = unicorn();
    const out: unknown[] = [null];
    this.check('uc_open', this.u.uc_open(UC_ARCH_ARM, UC_MODE_ARM, out));
    this.handle = out[0];
    this.check('uc_ctl(cpu model)', this.u.cc_set_cpu_model(this.handle, UC_CPU_ARM_CORTEX_A15));
    // Must precede any mapping: ARM's default 1 KiB pages split the TLB into 4x more entries.
    this.check('uc_ctl(page size)', this.u.cc_set_page_size(this.handle, PAGE_SIZE));
    this.check('uc_ctl(tlb mode)', this.u.cc_tlb_virtual(this.handle));
    this.check('uc_ctl(exits)', this.u.cc_exits_enable(this.handle));
    // One region for the whole 32-bit space: which pages exist is decided per page by the
    // TLB-fill callback, so mmap/munmap never split Unicorn regions (they abort after ~1000 splits).
    this.check('uc_mem_map_ptr', this.u.uc_mem_map_ptr(this.handle, 0n, BigInt(ADDRESS_SPACE_SIZE), 7, space.bytes));
    this.state = this.u.cc_state_new(
      this.counters.slots,
      space.dirty.words,
      space.touched.words,
      space.perms,
      space.bytes,
      (options.countInstructions === false ? 0 : 1) | (options.trackDirty === false ? 0 : 2) | (options.itStateWorkaround === false ? 4 : 0),
    );
    this.check('cc_attach', this.u.cc_attach(this.handle, this.state));
    this.intrCb = registerIntrCallback((_uc, intno) => onInterrupt(intno));
    const hh: bigint[] = [0n];
    this.check('uc_hook_add(intr)', this.u.cc_hook_intr(this.handle, this.intrCb, null, hh));
    space.onChange((start, end, codeChanged) => this.mappingChanged(start, end, codeChanged));
    // VFP/NEON are off after reset; Linux enables them for every user process.
    this.writeReg(Reg.FPEXC, 0x40000000);
  }

  /**
   * Run from `pc` (bit 0 selects Thumb) until a hook stops it or, when `timeoutUs` is not 0,
   * that much host time has passed; returns the uc_err code (0 = stopped normally).
   */
  run(pc: number, timeoutUs = 0): number {
    if (!this.space.alive) throw new GuestMemoryReleasedError();
    return this.u.uc_emu_start(this.handle, BigInt(pc >>> 0), 0n, BigInt(timeoutUs), 0n);
  }

  /**
   * Run from `pc` until the instruction at `exit` (or at a breakpoint other than `pc`'s own) is
   * about to execute; the budget still applies. For stopping inside a translated block: the blocks
   * over [pc, exit] are translated anew with the exit in them, and dropped again afterwards so that
   * later runs go through; then the breakpoints are the exits again.
   */
  runTo(pc: number, exit: number): number {
    if (!this.space.alive) throw new GuestMemoryReleasedError();
    const start = (pc & ~1) >>> 0;
    const end = exit + 4;
    this.forgetCode(start, end);
    // The start's own breakpoint is left out: running from there means going past it.
    this.setExits([exit >>> 0, ...this.breakpointList.filter((b) => b !== start)]);
    try {
      return this.u.uc_emu_start(this.handle, BigInt(pc >>> 0), 0n, 0n, 0n);
    } finally {
      this.setExits(this.breakpointList);
      this.forgetCode(start, end);
      // Blocks translated during the run (a branch's target) saw the start's breakpoint missing.
      if (this.breakpointList.includes(start)) this.retranslate([start]);
    }
  }

  /**
   * Halt before the instructions at `addresses` (even addresses, no Thumb bit) from now on; an
   * empty list removes them all. Exits are looked at when code is translated, so the blocks over
   * both the old and the new addresses are translated again.
   */
  setBreakpoints(addresses: readonly number[]): void {
    const next = [...new Set(addresses.map((a) => (a & ~1) >>> 0))].sort((a, b) => a - b);
    const old = this.breakpointList;
    this.breakpointList = next;
    this.setExits(next);
    this.retranslate([...old, ...next]);
  }

  /** The addresses execution halts before (sorted, no Thumb bit). */
  get breakpoints(): readonly number[] {
    return this.breakpointList;
  }

  /** Make Unicorn's exits list exactly `addresses`. */
  private setExits(addresses: readonly number[]): void {
    const list = BigUint64Array.from(addresses, (a) => BigInt(a >>> 0));
    this.check('uc_ctl(exits)', this.u.cc_set_exits(this.handle, list, list.length));
  }

  /**
   * Drop the translated blocks that contain any of `addresses`, so that they are translated with
   * the current exits. The code is unchanged, so the cached block sizes stay valid.
   */
  private retranslate(addresses: readonly number[]): void {
    for (const a of addresses) {
      this.check('uc_ctl(remove cache)', this.u.cc_remove_cache(this.handle, this.state, BigInt(a), BigInt(a + 4)));
    }
  }

  /** Ask the engine to stop at the next block boundary (safe from inside hooks). */
  stop(): void {
    this.check('uc_emu_stop', this.u.uc_emu_stop(this.handle));
  }

  /** Read a 32-bit register. */
  readReg(id: number): number {
    this.check('uc_reg_read', this.u.uc_reg_read(this.handle, id, this.scratch));
    return this.scratchView.getUint32(0, true);
  }

  /** Write a 32-bit register. */
  writeReg(id: number, value: number): void {
    this.scratchView.setUint32(0, value >>> 0, true);
    this.check('uc_reg_write', this.u.uc_reg_write(this.handle, id, this.scratch));
  }

  /** Read a 64-bit VFP/NEON D register. */
  readD(n: number): bigint {
    this.check('uc_reg_read', this.u.uc_reg_read(this.handle, dReg(n), this.scratch));
    return this.scratchView.getBigUint64(0, true);
  }

  /** Write a 64-bit VFP/NEON D register. */
  writeD(n: number, value: bigint): void {
    this.scratchView.setBigUint64(0, value, true);
    this.check('uc_reg_write', this.u.uc_reg_write(this.handle, dReg(n), this.scratch));
  }

  /**
   * Read a 32-bit CP15 register (e.g. TPIDRURW: crn 13, crm 0, opc1 0, opc2 2) through
   * UC_ARM_REG_CP_REG; the older per-register ids are deprecated in Unicorn 2.1.
   */
  readCp15(crn: number, crm: number, opc1: number, opc2: number): number {
    const b = this.cpReg(crn, crm, opc1, opc2, 0);
    this.check('uc_reg_read(cp15)', this.u.uc_reg_read(this.handle, Reg.CP_REG, b));
    return new DataView(b.buffer).getUint32(32, true);
  }

  /** Write a 32-bit CP15 register. */
  writeCp15(crn: number, crm: number, opc1: number, opc2: number, value: number): void {
    this.check('uc_reg_write(cp15)', this.u.uc_reg_write(this.handle, Reg.CP_REG, this.cpReg(crn, crm, opc1, opc2, value)));
  }

  /** A uc_arm_cp_reg: seven u32 fields (cp, is64, sec, crn, crm, opc1, opc2), then u64 val at 32. */
  private cpReg(crn: number, crm: number, opc1: number, opc2: number, value: number): Uint8Array {
    const b = new Uint8Array(40);
    const dv = new DataView(b.buffer);
    [15, 0, 0, crn, crm, opc1, opc2].forEach((v, i) => dv.setUint32(i * 4, v, true));
    dv.setBigUint64(32, BigInt(value >>> 0), true);
    return b;
  }

  /**
   * The exclusive monitor LDREX sets and STREX checks: the marked address (undefined when clear)
   * and the value LDREX loaded.
   */
  exclusiveMonitor(): { address: bigint; value: bigint } | undefined {
    const out = new BigUint64Array(new SharedArrayBuffer(16));
    this.check('exclusive monitor', this.u.cc_monitor_get(this.handle, out) === 0 ? 0 : -1);
    return out[0] === MONITOR_CLEAR ? undefined : { address: out[0], value: out[1] };
  }

  /** Set (or, with undefined, clear) the exclusive monitor. */
  setExclusiveMonitor(m: { address: bigint; value: bigint } | undefined): void {
    const rc = this.u.cc_monitor_set(this.handle, m ? m.address : MONITOR_CLEAR, m ? m.value : 0n);
    this.check('exclusive monitor', rc === 0 ? 0 : -1);
  }

  /** Core register r0..r15. */
  r(n: number): number {
    return this.readReg(coreReg(n));
  }

  /** Set core register r0..r15. */
  setR(n: number, value: number): void {
    this.writeReg(coreReg(n), value);
  }

  /** The PC with bit 0 set in Thumb state: what `run` needs to resume exactly here. */
  resumePc(): number {
    const pc = this.readReg(Reg.PC);
    return (this.readReg(Reg.CPSR) & CPSR_T) !== 0 ? (pc | 1) >>> 0 : pc;
  }

  /**
   * Find the exact address a faulting instruction at `pc` accessed (the TLB-fill callback sees
   * only its page) by running that one instruction again with every page granted. Registers
   * and the refused page's bytes are put back; use only after a fault ended the run.
   */
  probeFaultAddress(pc: number, page: number): { address: number; type: number } | undefined {
    // A refused fetch is at the PC, or at the start of the next page for an instruction that
    // crosses into it. Running the instruction again would translate the refused page with every
    // permission granted, after which the engine reported that fetch again on a later, unrelated
    // run (a call into the next executable page faulted).
    const refused = this.counters.lastRefusal();
    if (refused.type === UC_MEM_FETCH) {
      const at = (pc & ~1) >>> 0;
      return { address: at - page >= 0 && at - page < PAGE_SIZE ? at : page, type: UC_MEM_FETCH };
    }
    const regs = Array.from({ length: 16 }, (_, i) => this.r(i));
    const cpsr = this.readReg(Reg.CPSR);
    const saved = this.space.bytes.slice(page, page + PAGE_SIZE);
    const insns = this.counters.instructions;
    this.check('cc_probe_begin', this.u.cc_probe_begin(this.handle, this.state));
    // A breakpoint at the faulting instruction would halt the probe before it ran.
    const breakpoints = this.breakpointList.length > 0;
    if (breakpoints) this.setExits([]);
    try {
      this.flushTlb();
      this.check('uc_ctl(flush tb)', this.u.cc_flush_tb(this.handle));
      this.u.uc_emu_start(this.handle, BigInt(pc >>> 0), 0n, 0n, 1n);
      return this.counters.probedAccess();
    } finally {
      this.check('cc_probe_end', this.u.cc_probe_end(this.handle, this.state));
      if (breakpoints) {
        this.setExits(this.breakpointList);
        this.check('uc_ctl(flush tb)', this.u.cc_flush_tb(this.handle));
      }
      this.flushTlb();
      this.space.bytes.set(saved, page);
      this.counters.instructions = insns;
      this.writeReg(Reg.CPSR, cpsr);
      regs.forEach((v, i) => this.setR(i, v));
    }
  }

  /** Revoke all TLB write grants so the next store to each page is seen (dirty re-arm). */
  flushTlb(): void {
    this.check('uc_ctl(flush tlb)', this.u.cc_flush_tlb(this.handle));
  }

  /**
   * Profiling: set the bit of every page a load reaches in `pages` (undefined stops). A page is
   * seen on its first load after a TLB flush, so the caller flushes (rearms) between readings.
   */
  trackReads(pages: PageBitmap | undefined): void {
    this.u.cc_set_reads(this.state, pages ? pages.words : null);
    this.flushTlb();
  }

  /** Drop translated code in [start, end) after it was rewritten or unmapped. */
  forgetCode(start: number, end: number): void {
    this.check('uc_ctl(remove cache)', this.u.cc_remove_cache(this.handle, this.state, BigInt(start), BigInt(end)));
    this.u.cc_state_forget_code(this.state);
  }

  /** Drop every translated block, so that hooks added since then see all code. */
  flushCode(): void {
    this.check('uc_ctl(flush tb)', this.u.cc_flush_tb(this.handle));
    this.u.cc_state_forget_code(this.state);
  }

  /** The native pointers the instruction-level probes attach to (differential testing only). */
  probeTarget(): { lib: UnicornLib; uc: unknown; state: unknown } {
    return { lib: this.u, uc: this.handle, state: this.state };
  }

  /** The message Unicorn gives for an error code. */
  errorText(code: number): string {
    return this.u.uc_strerror(code);
  }

  /** Close the engine and free the native state. */
  close(): void {
    if (!this.handle) return;
    this.u.uc_close(this.handle);
    this.u.cc_state_free(this.state);
    unregisterCallback(this.intrCb);
    this.handle = null;
  }

  private mappingChanged(start: number, end: number, codeChanged: boolean): void {
    if (!this.handle) return;
    if (codeChanged) this.forgetCode(start, end);
    this.flushTlb();
  }

  private check(call: string, code: number): void {
    if (code === -1) throw new UnicornError(call, code, 'not available in this libunicorn build');
    if (code !== 0) throw new UnicornError(call, code, this.u.uc_strerror(code));
  }
}
