/**
 * The phone machine: an address space, one ARM CPU (Unicorn), the kernel layer and the modelled
 * clock, put together and run. Nothing here prints; callers get a RunSummary.
 */
import { CloneCloudError, GuestFault, GuestFaultInfo } from '../errors';
import { parseElf } from '../elf/elf-parser';
import { buildInitialStack } from '../elf/initial-stack';
import { loadElf } from '../elf/loader';
import { AddressSpace, PAGE_SIZE } from '../memory/address-space';
import { PageBitmap } from '../memory/page-bitmap';
import { bytesInput, ConsoleStream, InputSource } from '../kernel/console';
import { FdTable } from '../kernel/fd-table';
import { Kernel } from '../kernel/kernel';
import { mapKuserHelpers } from '../kernel/kuser-helpers';
import { GuestRandom } from '../kernel/rng';
import { O_RDONLY, O_WRONLY } from '../abi/fcntl';
import { CpuContext } from '../unicorn/cpu-context';
import { Engine } from '../unicorn/engine';
import { CPSR_T, Reg, UcErr } from '../unicorn/constants';
import { textName } from '../vfs/path';
import { DeviceDescription, Vfs } from '../vfs/vfs';
import { splitNs } from '../kernel/guest-structs';
import { describeFault, EXCP_SWI, instructionText, thumbInstructionSize } from './guest-fault';
import { syscallName } from '../abi/syscall-names';
import { ModelClock } from '../model/model-clock';
import { followsYieldHint } from './yield-hint';
import { DeviceProfile } from '../model/profiles';
import { RunSummary } from '../model/run-summary';
import { argBytes, BootSpec, checkProgram } from './boot-spec';
import { HostWiring } from './host-wiring';

/** Where the mmap area starts; below it sit the program and its heap. */
const MMAP_BASE = 0x40000000;
/**
 * Instructions per slice. Between slices the TLB is flushed: QEMU only resizes its software TLB
 * at a flush, so without them a program that touches many pages keeps the initial 256 entries.
 */
const SLICE = 20_000_000n;
/** Host-time slice (µs) used when instructions are not counted (hook-cost benchmarks only). */
const UNCOUNTED_SLICE_US = 20_000;
/** CPSR for user mode (ARM state; the Thumb bit comes from the entry address). */
const CPSR_USER = 0x10;
const PID = 1000;
const UID = 10001;

/** What /proc and /sys show of a device profile; `space`'s resident pages are the memory in use. */
function deviceOf(p: DeviceProfile, space: AddressSpace): DeviceDescription {
  return { model: p.name, ramBytes: p.ramBytes, cores: p.cores, clockHz: p.clockHz, usedBytes: () => space.touched.count() * PAGE_SIZE };
}

/** The console's input for the host's stdin. */
function stdinSource(stdin: HostWiring['stdin']): InputSource | null {
  if (!stdin) return null;
  return stdin instanceof Uint8Array ? bytesInput(stdin) : stdin;
}

/**
 * How a call to run() ended: the process exited, the instruction budget ran out, a syscall the
 * caller asked to stop after was made, the CPU reached a syscall the caller asked to stop before
 * (it is served at the start of the next run()), or the next instruction is at a breakpoint (the
 * next run() executes it and goes on).
 */
export type RunOutcome = 'exited' | 'budget' | 'syscall' | 'syscall-entry' | 'breakpoint';

/** Decides, after each syscall, whether run() should return. */
export type SyscallStop = (nr: number) => boolean;

/** Pages dirtied since a consumer last looked, kept for it across other consumers' rearms (Machine.openDirtyLedger). */
export interface DirtyLedger {
  /** Pages written since the last clear(), ascending. */
  pages(): number[];
  clear(): void;
  close(): void;
}

/** A booted phone. */
export class Machine {
  readonly space = new AddressSpace();
  readonly engine: Engine;
  readonly kernel: Kernel;
  readonly clock: ModelClock;
  readonly vfs: Vfs;
  private pc: number;
  private hostNs = 0n;
  private pendingError: unknown = null;
  private lastIntno: number | undefined;
  private stopAfter: SyscallStop | undefined;
  private stoppedAtSyscall = false;
  /** The CPU executed SVC but the syscall is not served yet (see beforeSyscall). */
  private pendingSyscall = false;
  /**
   * Asked at each syscall before it is served: true stops run() with 'syscall-entry' so the caller
   * can look at (or prepare) the state first. Used by the differential tester; checkpoints are
   * never taken in that state.
   */
  beforeSyscall: SyscallStop | undefined;
  /** The last engine stop was a fault handed to the guest's signal handler. */
  private faultDelivered = false;
  /** Where run() last resumed after a YIELD/WFE hint exit (see yield-hint.ts). */
  private hintResumedAt: number | undefined;
  private readonly counting: boolean;
  private consoleStreams: ConsoleStream[] | undefined;
  /** The breakpoint the last run() stopped before, until the CPU goes past it. */
  private stoppedAt: number | undefined;

  /**
   * Build the machine. With `host.elf` the program is loaded and its stack built, ready to run;
   * without, the machine is empty until a checkpoint's state is applied to it.
   */
  constructor(
    readonly spec: BootSpec,
    readonly host: HostWiring,
  ) {
    // Before the engine reserves its address space: a wrong program must cost nothing.
    if (host.elf) checkProgram(spec, host.elf);
    this.engine = new Engine(this.space, (intno) => this.onInterrupt(intno), host.engine);
    this.counting = host.engine?.countInstructions !== false;
    this.clock = new ModelClock(spec.profile, () => this.engine.counters.instructions);
    this.vfs = Vfs.fromManifest(spec.rootfs, spec.rootfsBase, deviceOf(spec.profile, this.space), {
      exePath: textName(spec.program.path),
      now: () => {
        const { sec, nsec } = splitNs(this.clock.realtimeNs());
        return { sec: Number(sec), nsec };
      },
      uid: UID,
      gid: UID,
      pid: PID,
      cwd: () => this.kernel.group.cwd,
      comm: () => this.kernel.task.comm,
      // /dev/urandom draws on the same seeded generator as getrandom.
      random: (out) => this.kernel.rng.fill(out),
      storageBytes: spec.profile.storageBytes,
    });
    const fds = new FdTable({ vfs: this.vfs, consoles: () => this.consoles() });
    for (const c of this.consoles()) fds.install({ file: c, offset: 0, flags: c.path === '/dev/stdin' ? O_RDONLY : O_WRONLY, dirCursor: 0 });
    this.kernel = new Kernel({
      space: this.space,
      cpu: new CpuContext(this.engine, { get: () => this.pc, set: (pc) => (this.pc = pc >>> 0) }),
      clock: this.clock,
      profile: spec.profile,
      vfs: this.vfs,
      fds,
      seed: spec.seed,
      group: { pid: PID, ppid: 1, uid: UID, gid: UID, cwd: textName(spec.cwd), mmapBase: MMAP_BASE },
      exePath: spec.program.path,
      warn: host.warn,
      onExit: () => this.engine.stop(),
    });
    this.pc = 0;
    if (host.elf) this.loadProgram(host.elf);
  }

  /** The three standard streams, made once per machine. */
  consoles(): ConsoleStream[] {
    this.consoleStreams ??= [
      new ConsoleStream('/dev/stdin', stdinSource(this.host.stdin), null, 0x8800),
      new ConsoleStream('/dev/stdout', null, this.host.stdout, 0x8801),
      new ConsoleStream('/dev/stderr', null, this.host.stderr, 0x8802),
    ];
    return this.consoleStreams;
  }

  /** Load the ELF, build the initial stack and point the CPU at the entry. */
  private loadProgram(bytes: Uint8Array): void {
    const spec = this.spec;
    const elf = parseElf(bytes, spec.name);
    const image = loadElf(this.space, elf, bytes, { name: spec.program.path });
    const random = new Uint8Array(16);
    // AT_RANDOM comes from its own stream so getrandom's sequence does not depend on it.
    new GuestRandom(spec.seed ^ 0x5eed).fill(random);
    const stack = buildInitialStack(this.space, {
      argv: spec.argv.map(argBytes),
      envp: spec.env,
      execfn: spec.program.path,
      random,
      image,
      uid: UID,
      euid: UID,
      gid: UID,
      egid: UID,
    });
    Object.assign(this.kernel.group, {
      brkStart: image.brkStart,
      brk: image.brkStart,
      mmapBase: Math.max(MMAP_BASE, image.brkStart + 0x08000000),
      mmapTop: stack.stackStart,
    });
    mapKuserHelpers(this.space);
    // Mode first: SP is banked per mode, so it must be set in the mode the program runs in.
    this.engine.writeReg(Reg.CPSR, CPSR_USER);
    this.engine.writeReg(Reg.SP, stack.sp);
    this.pc = image.entry;
    // Loading wrote every page; the run starts with a clean dirty set.
    this.rearmDirtyTracking();
  }

  /** Where run() resumes: the PC with bit 0 set in Thumb state. */
  get resumeAddress(): number {
    return this.pc;
  }

  set resumeAddress(pc: number) {
    this.pc = pc >>> 0;
  }

  /**
   * Make run() stop with 'breakpoint' whenever the next instruction is at one of `addresses` (the
   * Thumb bit is ignored); an empty list removes them all.
   */
  setBreakpoints(addresses: readonly number[]): void {
    this.engine.setBreakpoints(addresses);
  }

  /** The breakpoint the machine is stopped before (after run() returned 'breakpoint'), if any. */
  get breakpointHit(): number | undefined {
    return this.stoppedAt !== undefined && (this.pc & ~1) >>> 0 === this.stoppedAt ? this.stoppedAt : undefined;
  }

  /** Instructions executed so far. */
  get instructions(): bigint {
    return this.engine.counters.instructions;
  }

  /**
   * Run until the process exits or `until` instructions have executed (stopping at the last
   * block boundary that does not pass it), until `stopAfter` says yes after a syscall, or until
   * the next instruction is at a breakpoint (a breakpoint reached exactly at `until` counts as
   * the breakpoint). A guest fault raises GuestFault.
   */
  run(until?: bigint, stopAfter?: SyscallStop): RunOutcome {
    const started = process.hrtime.bigint();
    this.stopAfter = stopAfter;
    try {
      if (this.pendingSyscall) {
        this.stoppedAtSyscall = false;
        this.completeSyscall();
        if (this.stoppedAtSyscall) return 'syscall';
      }
      if (this.breakpointHit !== undefined) {
        if (until !== undefined && this.instructions >= until) return 'budget';
        const stepped = this.stepPastBreakpoint();
        if (stepped) return stepped;
      }
      this.stoppedAt = undefined;
      while (!this.kernel.exitState) {
        // Pending signals are delivered before user code runs again (after a syscall, at each slice).
        this.kernel.deliverSignals();
        if (this.kernel.exitState) break;
        const sliceEnd = this.instructions + SLICE;
        const lastSlice = until !== undefined && until <= sliceEnd;
        this.engine.counters.setBudget(lastSlice ? until : sliceEnd);
        this.engine.counters.clearRefusal();
        this.lastIntno = undefined;
        this.stoppedAtSyscall = false;
        // Without the block counter there is no budget: slice by host time instead.
        if (this.settle(this.engine.run(this.pc, this.counting ? 0 : UNCOUNTED_SLICE_US))) continue;
        if (this.kernel.exitState) break;
        if (this.pendingSyscall) return 'syscall-entry';
        if (this.stoppedAtSyscall) return 'syscall';
        if (this.atBreakpoint()) return 'breakpoint';
        if (lastSlice && this.engine.counters.budgetStopped) {
          // The next block would pass `until`: run just its first instructions, so that a run
          // can stop (and resume) at any instruction, not only at block boundaries.
          if (this.counting && this.instructions < until) this.runTail(until);
          return this.atBreakpoint() ? 'breakpoint' : 'budget';
        }
        // A slice ended: flushing lets QEMU grow the TLB to the working set.
        this.engine.flushTlb();
      }
      return 'exited';
    } finally {
      this.hostNs += process.hrtime.bigint() - started;
    }
  }

  /**
   * After the engine returned: raise parked errors, note where to resume, report faults. True when
   * it stopped right after a YIELD/WFE hint, where the run just goes on.
   */
  private settle(err: number): boolean {
    this.raisePending();
    this.pc = this.engine.resumePc();
    // A YIELD/WFE exit looks like an invalid instruction; resume after the hint. The same PC
    // twice in a row is a real undefined instruction that happens to follow such bytes.
    const cpuException = this.lastIntno !== undefined && this.lastIntno !== EXCP_SWI;
    const hint = err === UcErr.INSN_INVALID && !cpuException && this.pc !== this.hintResumedAt && followsYieldHint(this.space, this.pc);
    this.hintResumedAt = hint ? this.pc : undefined;
    if (hint) return true;
    if (err !== 0 || cpuException) {
      const info = this.faultInfo(err);
      // A handler for the fault's signal runs (and the run goes on); without one the run ends here.
      this.faultDelivered = this.kernel.deliverFault(info);
      if (this.faultDelivered) return true;
      throw new GuestFault(info);
    }
    return false;
  }

  /**
   * Execute the first `until - instructions` instructions of the block at the PC, which is longer.
   * They are straight-line code (a block ends at its first branch, and an SVC ends its block), so
   * the address to stop at follows from the instruction sizes.
   */
  private runTail(until: bigint): void {
    const thumb = (this.pc & 1) !== 0;
    let exit = (this.pc & ~1) >>> 0;
    for (let i = 0n; i < until - this.instructions; i++) exit += thumb ? thumbInstructionSize(this.space.bytes, exit) : 4;
    this.engine.counters.setBudget(until);
    this.engine.counters.clearRefusal();
    this.lastIntno = undefined;
    this.faultDelivered = false;
    this.settle(this.engine.runTo(this.pc, exit));
    // A breakpoint in the straight-line stretch ends it early (run() reports it), as does a fault a handler takes.
    if (this.atBreakpoint() || this.faultDelivered) return;
    if (this.instructions !== until || (this.pc & ~1) >>> 0 !== exit) {
      throw new CloneCloudError(
        `internal: a stop inside a block at 0x${exit.toString(16)} ended at 0x${this.pc.toString(16)} after ${this.instructions} instructions, not ${until}`,
      );
    }
  }

  /**
   * True (and noted) when the CPU stopped because the next instruction is at a breakpoint. Only
   * the breakpoints halt there without some other reason, so the PC alone tells.
   */
  private atBreakpoint(): boolean {
    const at = (this.pc & ~1) >>> 0;
    if (!this.engine.breakpoints.includes(at)) return false;
    this.stoppedAt = at;
    return true;
  }

  /**
   * Execute the one instruction at the breakpoint the machine is stopped before, with that
   * breakpoint out of the way (a run from an exit halts at once). Like runTail it stops at the
   * address after the instruction, or by the budget at the next block when it branches. Returns
   * how run() ends when that instruction ended it (a syscall stop, the exit).
   */
  private stepPastBreakpoint(): RunOutcome | undefined {
    this.stoppedAt = undefined;
    const at = (this.pc & ~1) >>> 0;
    const next = at + ((this.pc & 1) !== 0 ? thumbInstructionSize(this.space.bytes, at) : 4);
    const before = this.instructions;
    this.engine.counters.setBudget(before + 1n);
    this.engine.counters.clearRefusal();
    this.lastIntno = undefined;
    this.stoppedAtSyscall = false;
    this.faultDelivered = false;
    this.settle(this.engine.runTo(this.pc, next));
    if (this.kernel.exitState) return 'exited';
    if (this.faultDelivered) return undefined;
    if (this.pendingSyscall) return 'syscall-entry';
    if (this.stoppedAtSyscall) return 'syscall';
    if (this.counting && this.instructions !== before + 1n) {
      throw new CloneCloudError(
        `internal: stepping the instruction at breakpoint 0x${at.toString(16)} executed ${this.instructions - before} instructions, not 1`,
      );
    }
    return undefined;
  }

  /**
   * Forget how the last run() ended (a syscall left pending, a hint exit, a parked error), as a
   * newly built machine has nothing of it: a checkpoint's state is replacing this machine's.
   */
  forgetRunState(): void {
    this.stoppedAt = undefined;
    this.pendingSyscall = false;
    this.stoppedAtSyscall = false;
    this.pendingError = null;
    this.lastIntno = undefined;
    this.hintResumedAt = undefined;
  }

  /**
   * Start a new dirty interval: clear the bitmap and revoke the TLB's write grants. The pages
   * dirtied so far are first added to every open dirty ledger, so that each consumer of the
   * bitmap (a checkpoint store's capture, a clone's replicator) still sees them.
   */
  rearmDirtyTracking(): void {
    const dirty = this.space.dirty.words;
    for (const ledger of this.ledgers) {
      const w = ledger.words;
      for (let i = 0; i < dirty.length; i++) if (dirty[i]) w[i] |= dirty[i];
    }
    this.space.dirty.reset();
    this.engine.flushTlb();
  }

  private readonly ledgers = new Set<PageBitmap>();

  /**
   * A dirty ledger for one consumer of the dirty bitmap: `pages()` gives the pages dirtied since
   * the consumer's last `clear()`, whoever rearmed the bitmap in between; `close()` when done.
   */
  openDirtyLedger(): DirtyLedger {
    const ledger = new PageBitmap(this.space.dirty.pageCount);
    this.ledgers.add(ledger);
    const dirty = this.space.dirty;
    return {
      pages: () => {
        const out: number[] = [];
        const a = ledger.words;
        const b = dirty.words;
        for (let i = 0; i < a.length; i++) {
          let w = (a[i] | b[i]) >>> 0;
          while (w !== 0) {
            const bit = 31 - Math.clz32(w & -w);
            out.push(i * 32 + bit);
            w = (w & (w - 1)) >>> 0;
          }
        }
        return out;
      },
      clear: () => ledger.reset(),
      close: () => void this.ledgers.delete(ledger),
    };
  }

  /** The figures of the run so far. */
  summary(fault?: GuestFault): RunSummary {
    const insns = Number(this.instructions);
    const hostSeconds = Number(this.hostNs) / 1e9;
    const exit = this.kernel.exitState;
    return {
      image: this.spec.name,
      profile: this.spec.profile.id,
      exitStatus: fault ? 128 + (fault.info.signal ?? 11) : (exit?.status ?? 0),
      signal: fault ? (fault.info.signal ?? 11) : exit?.signal,
      fault: fault?.info,
      instructions: insns,
      modelledSeconds: this.clock.seconds(),
      energyJoules: this.clock.energyJoules(),
      hostSeconds,
      mips: hostSeconds > 0 ? insns / hostSeconds / 1e6 : 0,
      pagesDirtied: this.space.touched.count(),
      syscalls: this.kernel.trace.total,
      syscallCounts: Object.fromEntries([...this.kernel.trace.counts].sort()),
      unimplementedSyscalls: this.kernel.unknownSyscalls(),
    };
  }

  /** Release the engine. */
  close(): void {
    this.engine.close();
  }

  private onInterrupt(intno: number): void {
    this.lastIntno = intno;
    if (intno !== EXCP_SWI) {
      this.engine.stop();
      return;
    }
    if (this.beforeSyscall?.(this.engine.r(7))) {
      this.pendingSyscall = true;
      this.engine.stop();
      return;
    }
    this.serveSyscall();
  }

  /**
   * Undo the SVC a 'syscall-entry' stop left pending: the PC goes back to the SVC and the
   * instruction count back by one, so the machine stands exactly before it and can be captured;
   * whoever runs it next executes the SVC and serves the syscall (the phone, for a call that
   * must not be served on the clone).
   */
  rewindSyscall(): void {
    if (!this.pendingSyscall) throw new CloneCloudError('internal: no syscall is pending to rewind');
    this.pendingSyscall = false;
    const thumb = (this.pc & 1) !== 0;
    this.pc = (this.pc - (thumb ? 2 : 4)) >>> 0;
    this.engine.counters.instructions = this.engine.counters.instructions - 1n;
  }

  /** Serve the syscall a 'syscall-entry' stop left pending (run() also does it first thing). */
  completeSyscall(): void {
    if (!this.pendingSyscall) return;
    this.pendingSyscall = false;
    this.serveSyscall();
    this.raisePending();
  }

  /** A syscall error parked by serveSyscall ends the run here, outside Unicorn's frames. */
  private raisePending(): void {
    if (!this.pendingError) return;
    const e = this.pendingError;
    this.pendingError = null;
    throw e instanceof CloneCloudError ? e : new GuestFault(this.syscallFault(e));
  }

  /** Serve the syscall the CPU stopped at (r7 holds its number). */
  private serveSyscall(): void {
    try {
      const nr = this.kernel.handleSyscall();
      // Signals are delivered with the CPU stopped (see run()).
      if (this.kernel.signalWorkPending()) this.engine.stop();
      if (this.stopAfter && !this.kernel.exitState && this.stopAfter(nr)) {
        this.stoppedAtSyscall = true;
        this.engine.stop();
      }
    } catch (e) {
      // An exception must not unwind through Unicorn's C frames: park it and stop.
      this.pendingError = e;
      this.engine.stop();
    }
  }

  /** A syscall whose arguments the kernel layer could not serve ends the guest like a fault. */
  private syscallFault(e: unknown): GuestFaultInfo {
    const thumb = (this.engine.readReg(Reg.CPSR) & CPSR_T) !== 0;
    const pc = (this.engine.readReg(Reg.PC) - (thumb ? 2 : 4)) >>> 0;
    const nr = this.engine.r(7);
    return {
      kind: 'bad syscall',
      pc,
      mode: thumb ? 'thumb' : 'arm',
      instruction: instructionText(this.space, pc, thumb),
      detail: `${syscallName(nr)} (${nr}) could not be served: ${e instanceof Error ? e.message : String(e)}`,
      lastSyscalls: this.kernel.trace.recent(),
    };
  }

  private faultInfo(err: number): GuestFaultInfo {
    const thumb = (this.engine.readReg(Reg.CPSR) & CPSR_T) !== 0;
    const pc = this.engine.readReg(Reg.PC);
    const refusal = this.engine.counters.lastRefusal();
    if (refusal.type !== 0) {
      const probed = this.engine.probeFaultAddress(thumb ? pc | 1 : pc, refusal.address);
      // Keep the probe's answer only when it is on the page the TLB refused.
      if (probed && probed.address - refusal.address >= 0 && probed.address - refusal.address < PAGE_SIZE) {
        refusal.address = probed.address;
      }
    }
    return describeFault(this.space, {
      ucErr: err,
      ucErrText: err ? this.engine.errorText(err) : '',
      intno: this.lastIntno,
      pc,
      thumb,
      refusal,
      lastSyscalls: this.kernel.trace.recent(),
    });
  }
}
