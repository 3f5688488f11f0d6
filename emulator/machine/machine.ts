/**
 * The phone machine: an address space, one ARM CPU (Unicorn), the kernel layer and the modelled
 * clock, put together and run. Nothing here prints; callers get a RunSummary.
 */
import { CloneCloudError, GuestFault, GuestFaultInfo } from '../errors';
import { parseElf } from '../elf/elf-parser';
import { AddressSpace, PAGE_SIZE } from '../memory/address-space';
import { listPages, orInto, PageBitmap } from '../memory/page-bitmap';
import { mapsText } from '../memory/maps-text';
import { bytesInput, ConsoleStream, InputSource } from '../kernel/console';
import { FdTable } from '../kernel/fd-table';
import { Kernel } from '../kernel/kernel';
import { GuestRandom } from '../kernel/rng';
import { O_RDONLY, O_WRONLY } from '../abi/fcntl';
import { DeadlockError } from '../kernel/blocking';
import { Task } from '../kernel/task';
import { ThreadGroup } from '../kernel/thread-group';
import { bootInterpreter, bootProgramBytes, bootProgramFile, readProgramFile } from './program-file';
import { loadImage, MachineProcesses, MMAP_BASE, pieSlide } from './process-host';
import { canRun, earliest, nextSlice } from './scheduler';
import { CPSR_USER, NO_ENGINE, ProcessSlot, slotOf } from './process-slots';
import { Engine } from '../unicorn/engine';
import { CPSR_T, Reg, UcErr } from '../unicorn/constants';
import { textName } from '../vfs/path';
import { DeviceDescription, Vfs } from '../vfs/vfs';
import { splitNs } from '../kernel/guest-structs';
import { describeFault, EXCP_SWI, instructionText, thumbInstructionSize } from './guest-fault';
import { syscallName } from '../abi/syscall-names';
import { CoreClocks } from '../model/core-clocks';
import { followsYieldHint } from './yield-hint';
import { DeviceProfile } from '../model/profiles';
import { RunSummary } from '../model/run-summary';
import { argBytes, BootSpec, checkProgram } from './boot-spec';
import { HostWiring } from './host-wiring';

/**
 * Instructions per slice. Between slices the TLB is flushed: QEMU only resizes its software TLB
 * at a flush, so without them a program that touches many pages keeps the initial 256 entries.
 */
const SLICE = 20_000_000n;
/**
 * Instructions a task runs before another runnable task gets the CPU: about 4 ms of a 528 MHz
 * phone, Linux's usual time slice. Slices end at exact instruction counts, so interleavings are
 * the same on every run.
 */
const QUANTUM = 2_000_000n;
/** Host-time slice (µs) used when instructions are not counted (hook-cost benchmarks only). */
const UNCOUNTED_SLICE_US = 20_000;
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
  readonly clock: CoreClocks;
  readonly vfs: Vfs;
  /**
   * What the booted program's link addresses are moved by (a PIE's load bias; 0 for a fixed-address
   * program): ELF symbols name run addresses only with it added.
   */
  programBias = 0;
  private cur!: Task;
  /** How the kernel makes and ends processes here. */
  private readonly processes = new MachineProcesses({
    space: this.space,
    kernel: () => this.kernel,
    running: () => this.running,
    retireEngine: (engine) => {
      this.retired += engine.counters.instructions;
      this.engines.delete(engine);
    },
    readProgram: (t, path) => readProgramFile(this.vfs, t, path),
  });
  /** The current task's time slice: it runs until `end` while other tasks can run. */
  private quantum: { task: Task; end: bigint } | undefined;
  /** The last run() stopped the current task mid-slice: the next one goes on with it. */
  private continueCur = false;
  /** The engine inside engine.run(), if any (what a reschedule stops). */
  private running: Engine | undefined;
  /** Instructions of processes whose engines are gone. */
  private retired = 0n;
  private readonly engines = new Set<Engine>();
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
    this.engine = this.newEngine(this.space);
    this.counting = host.engine?.countInstructions !== false;
    this.clock = new CoreClocks(spec.profile, () => this.instructions);
    this.vfs = Vfs.fromManifest(spec.rootfs, spec.rootfsBase, deviceOf(spec.profile, this.space), {
      exePath: textName(spec.program.path),
      now: () => {
        const { sec, nsec } = splitNs(this.clock.realtimeNs());
        return { sec: Number(sec), nsec };
      },
      uid: UID,
      gid: UID,
      pid: PID,
      cwd: () => this.cur.group.cwd,
      comm: () => this.cur.comm,
      maps: () => mapsText(this.cur.group.space.regions()),
      // /dev/urandom draws on the same seeded generator as getrandom.
      random: (out) => this.kernel.rng.fill(out),
      storageBytes: spec.profile.storageBytes,
    });
    const fds = new FdTable({ vfs: this.vfs, consoles: () => this.consoles() });
    for (const c of this.consoles()) fds.install({ file: c, offset: 0, flags: c.path === '/dev/stdin' ? O_RDONLY : O_WRONLY, dirCursor: 0 });
    this.kernel = new Kernel({
      space: this.space,
      host: this.processes,
      readProgram: (t, path) => readProgramFile(this.vfs, t, path),
      clock: this.clock,
      profile: spec.profile,
      vfs: this.vfs,
      fds,
      seed: spec.seed,
      group: { pid: PID, ppid: 1, uid: UID, gid: UID, cwd: textName(spec.cwd), mmapBase: MMAP_BASE },
      exePath: spec.program.path,
      warn: host.warn,
    });
    this.cur = this.kernel.task;
    this.kernel.group.host = { engine: this.engine, loaded: this.cur } satisfies ProcessSlot;
    if (host.elf) this.loadProgram(host.elf);
    this.kernel.group.exe = { path: spec.program.path, bytes: host.elf ?? bootProgramBytes(spec) };
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

  /** Where the running task resumes. */
  private get pc(): number {
    return this.cur.pc;
  }

  private set pc(pc: number) {
    this.cur.pc = pc >>> 0;
  }

  /** The engine the current task runs on. */
  private get eng(): Engine {
    return slotOf(this.cur.group).engine;
  }

  /** The task that runs (or ran last). */
  get currentTask(): Task {
    return this.cur;
  }

  /** An engine over `space` whose interrupts go to this machine. */
  private newEngine(space: AddressSpace): Engine {
    const e = new Engine(space, (intno) => this.onInterrupt(intno), this.host.engine);
    this.engines.add(e);
    return e;
  }

  /** Load the ELF (and its dynamic loader), build the initial stack and point the CPU at the entry. */
  private loadProgram(bytes: Uint8Array): void {
    const spec = this.spec;
    const elf = parseElf(bytes, spec.name);
    const random = new Uint8Array(16);
    // AT_RANDOM and the PIE slide come from their own stream so getrandom's sequence does not depend on them.
    const boot = new GuestRandom(spec.seed ^ 0x5eed);
    boot.fill(random);
    const slide = elf.kind === 'pie' ? pieSlide((out) => boot.fill(out)) : 0;
    const exec = {
      program: { elf, bytes, path: spec.program.path, mapped: bootProgramFile(this.vfs, spec.program.path, bytes) },
      interpreter: elf.interpreter === undefined ? undefined : bootInterpreter(this.vfs, this.kernel.task, spec.name, elf.interpreter),
    };
    const start = loadImage(this.kernel.group, exec, { argv: spec.argv.map(argBytes), envp: spec.env, execfn: spec.program.path, random }, slide);
    // Mode first: SP is banked per mode, so it must be set in the mode the program runs in.
    this.engine.writeReg(Reg.CPSR, CPSR_USER);
    this.engine.writeReg(Reg.SP, start.sp);
    this.pc = start.entry;
    this.programBias = start.bias;
    // Loading wrote every page; the run starts with a clean dirty set.
    this.rearmDirtyTracking();
  }

  /**
   * After a single-task state was put in place: the first task is the one that runs (on the
   * first engine), or none is left when that state had ended.
   */
  adoptFirstTask(): void {
    const first = this.kernel.task;
    for (const e of [...this.engines]) {
      if (e === this.engine) continue;
      this.engines.delete(e);
      e.close();
    }
    for (const g of this.kernel.procs.groups()) if (g !== first.group && g.space !== this.space && g.space.alive) g.space.release();
    this.retired = 0n;
    this.kernel.procs.resetTo(first);
    slotOf(first.group).loaded = first;
    this.cur = first;
    this.resetSlices();
  }

  /** Give a restored process its engine slot: the one of a process on the same memory, or a new one. */
  attachRestoredProcess(g: ThreadGroup): void {
    const sharing = g.space === this.space ? this.kernel.group : this.kernel.procs.groups().find((o) => o !== g && o.space === g.space && o.host);
    g.host = sharing?.host ?? ({ engine: NO_ENGINE, loaded: undefined } satisfies ProcessSlot);
  }

  /**
   * After a many-task state was put in place: `t` is the task that ran last. The first process's
   * first task is loaded on the first engine unless that process has ended.
   */
  resumeRestored(t: Task): void {
    const first = this.kernel.task;
    if (this.kernel.group.exitState) {
      first.run = 'exited';
      this.kernel.group.reaped = true;
      slotOf(first.group).loaded = undefined;
    }
    this.retired = 0n;
    this.cur = t;
  }

  /** The first task alone again: no slice of another task goes on. */
  private resetSlices(): void {
    this.quantum = undefined;
    this.continueCur = false;
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

  /** Instructions executed so far, by every process. */
  get instructions(): bigint {
    if (this.engines.size === 1) return this.retired + this.engine.counters.instructions;
    let n = this.retired;
    for (const e of this.engines) n += e.counters.instructions;
    return n;
  }

  /**
   * The machine-wide instruction count at which the current core's modelled time reaches `ns`
   * (at least one instruction ahead), or undefined without a deadline.
   */
  private instructionsUntil(ns: bigint | undefined): bigint | undefined {
    if (ns === undefined) return undefined;
    const now = this.clock.monotonicNs();
    const p = this.spec.profile;
    const rate = BigInt(Math.round(p.clockHz * p.ipc));
    const ahead = ns > now ? ((ns - now) * rate + 999_999_999n) / 1_000_000_000n : 1n;
    return this.instructions + (ahead > 0n ? ahead : 1n);
  }

  /** The current engine's budget value for a machine-wide instruction target. */
  private engineTarget(target: bigint): bigint {
    return this.eng.counters.instructions + (target - this.instructions);
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
        if (this.stoppedAtSyscall) return this.pause('syscall');
      }
      if (this.breakpointHit !== undefined) {
        if (until !== undefined && this.instructions >= until) return this.pause('budget');
        const stepped = this.stepPastBreakpoint();
        if (stepped) return stepped === 'exited' ? stepped : this.pause(stepped);
      }
      this.stoppedAt = undefined;
      while (!this.kernel.exitState) {
        // A run that returned mid-slice goes on with the same task, as if it had never stopped.
        let resume = this.continueCur && canRun(this.cur);
        this.continueCur = false;
        if (resume && this.quantum && this.quantum.task === this.cur && this.quantum.end <= this.instructions) {
          // The run stopped exactly where the task's quantum ends.
          this.rotate();
          resume = false;
        }
        if (resume) this.switchTo(this.cur);
        else if (this.schedule(stopAfter)) return this.pause('syscall');
        if (this.kernel.exitState) break;
        // Pending signals are delivered before user code runs again (after a syscall, at each slice).
        this.kernel.deliverSignals(this.cur);
        if (this.kernel.exitState) break;
        if (!canRun(this.cur)) continue;
        const eng = this.eng;
        // Other runnable tasks get the CPU after a quantum; alone, a task runs whole slices.
        if (this.quantum?.task !== this.cur)
          this.quantum = this.kernel.tasks.filter(canRun).length > 1 ? { task: this.cur, end: this.instructions + QUANTUM } : undefined;
        const quantumEnd = this.quantum?.end;
        // The slice also ends when the task's interval timer is due, so SIGALRM comes on time.
        const timerEnd = this.instructionsUntil(this.kernel.timerDeadlineOf(this.cur));
        const target = earliest(until, quantumEnd, timerEnd);
        const sliceEnd = this.instructions + SLICE;
        const lastSlice = target !== undefined && target <= sliceEnd;
        eng.counters.setBudget(this.engineTarget(lastSlice ? target : sliceEnd));
        eng.counters.clearRefusal();
        this.lastIntno = undefined;
        this.stoppedAtSyscall = false;
        // Without the block counter there is no budget: slice by host time instead.
        if (this.settle(this.runEngine(eng, () => eng.run(this.pc, this.counting ? 0 : UNCOUNTED_SLICE_US)))) continue;
        if (this.kernel.exitState) break;
        if (this.pendingSyscall) return this.pause('syscall-entry');
        if (this.stoppedAtSyscall) return this.pause('syscall');
        if (!canRun(this.cur) || slotOf(this.cur.group).loaded !== this.cur) continue;
        if (this.atBreakpoint()) return this.pause('breakpoint');
        if (lastSlice && eng.counters.budgetStopped) {
          // The next block would pass the target: run just its first instructions, so that a
          // run can stop (and resume) at any instruction, not only at block boundaries.
          if (this.counting && this.instructions < target) this.runTail(target);
          if (this.atBreakpoint()) return this.pause('breakpoint');
          if (target === until) return this.pause('budget');
          if (target === timerEnd && target !== quantumEnd) continue;
          this.rotate();
          continue;
        }
        if (this.kernel.procs.takeYield()) {
          this.rotate();
          continue;
        }
        // A slice ended: flushing lets QEMU grow the TLB to the working set.
        eng.flushTlb();
      }
      return 'exited';
    } finally {
      this.hostNs += process.hrtime.bigint() - started;
    }
  }

  /** Run `eng` through `go`, so a reschedule knows which engine to stop. */
  private runEngine(eng: Engine, go: () => number): number {
    this.running = eng;
    try {
      return go();
    } finally {
      this.running = undefined;
      this.processes.afterRun();
    }
  }

  /** `outcome`, remembering that the current task was stopped mid-slice (the next run goes on with it). */
  private pause(outcome: RunOutcome): RunOutcome {
    this.continueCur = true;
    return outcome;
  }

  /** The scheduler's own state a checkpoint keeps: the running quantum and whether the current task goes on. */
  get sliceState(): { quantum?: { tid: number; end: string }; continueCurrent: boolean } {
    return { ...(this.quantum ? { quantum: { tid: this.quantum.task.tid, end: this.quantum.end.toString() } } : {}), continueCurrent: this.continueCur };
  }

  /** Put back a checkpoint's slice state (after its tasks exist). */
  setSliceState(s: { quantum?: { tid: number; end: string }; continueCurrent: boolean }): void {
    const task = s.quantum ? this.kernel.procs.findTask(s.quantum.tid) : undefined;
    this.quantum = task && s.quantum ? { task, end: BigInt(s.quantum.end) } : undefined;
    this.continueCur = s.continueCurrent;
  }

  /** Move the current task behind every other (its quantum is over, or it yielded). */
  private rotate(): void {
    this.quantum = undefined;
    const tasks = this.kernel.tasks;
    const i = tasks.indexOf(this.cur);
    if (i >= 0 && tasks.length > 1) tasks.push(...tasks.splice(i, 1));
  }

  /**
   * Make a runnable task current: serve again the syscalls of blocked tasks whose wait is over,
   * and when every task waits, let modelled time pass to the nearest deadline. True when a
   * completed syscall is one `stopAfter` stops after. DeadlockError when nothing can ever run.
   */
  private schedule(stopAfter: SyscallStop | undefined): boolean {
    // The task that ran last can go on from where its core's time now stands.
    if (this.cur.run === 'runnable') this.cur.readyAt = this.clock.monotonicNs();
    for (;;) {
      const tasks = this.kernel.tasks;
      if (!tasks.length) return false;
      this.kernel.fireTimers();
      const now = this.clock.monotonicNs();
      // Ending one wait can end another (a killed child wakes its parent's wait4): look again.
      let progressed = false;
      for (const t of [...tasks]) {
        // A stopped process's waits stay as they are until SIGCONT.
        if (t.run !== 'blocked' || t.group.stopped) continue;
        if (t.wait?.restored) {
          // Served again where its condition would have been tested: it completes, or blocks
          // anew with its real condition and goes through the signal test below.
          // Not switched to first: a test of the condition loads no task (nor clears a monitor).
          const nr = t.call?.nr ?? -1;
          if (this.kernel.serveCall(t)) {
            this.switchTo(t);
            progressed = true;
            if (this.completed(t, nr, stopAfter)) return true;
            continue;
          }
        }
        const w = t.wait;
        // A wait that can complete does, as in Linux, even with a signal pending (its handler
        // runs after); only one that would go on waiting is interrupted.
        const over = w !== undefined && (w.ready() || (w.deadlineNs !== undefined && w.deadlineNs <= now));
        if (!over && this.kernel.interruptsWait(t)) {
          // A signal ends the wait: the syscall returns -EINTR (or restarts after the handler).
          this.switchTo(t);
          this.kernel.interruptWait(t);
          t.readyAt = this.clock.monotonicNs();
          progressed = true;
          continue;
        }
        if (!over) continue;
        progressed = true;
        this.switchTo(t);
        const nr = t.call?.nr ?? -1;
        if (this.kernel.serveCall(t)) {
          if (this.completed(t, nr, stopAfter)) return true;
        } else {
          t.readyAt = this.clock.monotonicNs();
        }
      }
      const runnable = this.kernel.tasks.filter(canRun);
      const choice = nextSlice(
        runnable,
        this.clock.cores.map((_, c) => this.clock.coreNs(c)),
      );
      if (choice) {
        const t = runnable[choice.task];
        this.clock.switchTo(choice.core);
        this.clock.idleUntil(choice.core, choice.start);
        t.lastCore = choice.core;
        this.switchTo(t);
        return false;
      }
      if (!this.kernel.tasks.length) return false;
      if (progressed) continue;
      // Nothing can run: the next deadline or interval timer is when something can.
      let earliest = this.kernel.nextTimerDeadline();
      for (const t of this.kernel.tasks) {
        const d = t.group.stopped ? undefined : t.wait?.deadlineNs;
        if (d !== undefined && (earliest === undefined || d < earliest)) earliest = d;
      }
      if (earliest === undefined) {
        throw new DeadlockError(
          this.kernel.tasks.map((t) => (t.group.stopped ? `task ${t.tid} is stopped until SIGCONT` : `task ${t.tid} waits for ${t.wait?.what ?? 'nothing'}`)),
        );
      }
      this.clock.sleep(earliest - now);
    }
  }

  /**
   * `t`'s waiting syscall `nr` completed inside schedule(): it can run from now on; true when
   * `stopAfter` stops the run after that syscall.
   */
  private completed(t: Task, nr: number, stopAfter: SyscallStop | undefined): boolean {
    t.readyAt = this.clock.monotonicNs();
    return stopAfter !== undefined && !this.kernel.exitState && stopAfter(nr);
  }

  /** Load `t`'s registers on its process's engine (parking the task loaded there) and make it current. */
  private switchTo(t: Task): void {
    const slot = slotOf(t.group);
    if (slot.engine === NO_ENGINE) slot.engine = this.newEngine(t.group.space);
    if (slot.loaded !== t) {
      const prev = slot.loaded;
      if (prev && prev.run !== 'exited') {
        prev.parked = prev.cpu.save();
        // Linux clears the exclusive monitor on a context switch: a STREX after it fails.
        delete prev.parked.exclusive;
      }
      const regs = t.parked;
      if (!regs) throw new CloneCloudError(`internal: task ${t.tid} has no saved registers to resume from`);
      // Loaded first: the task's CPU then writes the engine, not its parked copy.
      slot.loaded = t;
      t.parked = undefined;
      t.cpu.restore(regs);
    }
    this.cur = t;
  }

  /**
   * After the engine returned: raise parked errors, note where to resume, report faults. True when
   * it stopped right after a YIELD/WFE hint, where the run just goes on.
   */
  private settle(err: number): boolean {
    this.raisePending();
    // A task that exec'd or ended is no longer on the engine: its resume point is set elsewhere.
    if (slotOf(this.cur.group).loaded === this.cur && this.cur.run !== 'exited') this.pc = this.eng.resumePc();
    // A YIELD/WFE exit looks like an invalid instruction; resume after the hint. The same PC
    // twice in a row is a real undefined instruction that happens to follow such bytes.
    const cpuException = this.lastIntno !== undefined && this.lastIntno !== EXCP_SWI;
    const hint = err === UcErr.INSN_INVALID && !cpuException && this.pc !== this.hintResumedAt && followsYieldHint(this.cur.space, this.pc);
    this.hintResumedAt = hint ? this.pc : undefined;
    if (hint) return true;
    if (err !== 0 || cpuException) {
      const info = this.faultInfo(err);
      // A handler for the fault's signal runs (and the run goes on); without one the run ends here.
      this.faultDelivered = this.kernel.deliverFault(this.cur, info);
      if (this.faultDelivered) return true;
      // While other processes live, only the faulting one dies of the signal, as under Linux.
      const g = this.cur.group;
      if (this.kernel.procs.groups().some((o) => o !== g && !o.exitState)) {
        const sig = info.signal ?? 11;
        this.host.warn(`process ${g.pid} (${this.cur.comm}) killed by signal ${sig}: ${new GuestFault(info).message.split('\n')[0]}`);
        g.exit(128 + sig, sig);
        this.faultDelivered = true;
        return true;
      }
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
    for (let i = 0n; i < until - this.instructions; i++) exit += thumb ? thumbInstructionSize(this.cur.space.bytes, exit) : 4;
    this.eng.counters.setBudget(this.engineTarget(until));
    this.eng.counters.clearRefusal();
    this.lastIntno = undefined;
    this.faultDelivered = false;
    const eng = this.eng;
    this.settle(this.runEngine(eng, () => eng.runTo(this.pc, exit)));
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
    if (!this.eng.breakpoints.includes(at)) return false;
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
    const next = at + ((this.pc & 1) !== 0 ? thumbInstructionSize(this.cur.space.bytes, at) : 4);
    const before = this.instructions;
    this.eng.counters.setBudget(this.engineTarget(before + 1n));
    this.eng.counters.clearRefusal();
    this.lastIntno = undefined;
    this.stoppedAtSyscall = false;
    this.faultDelivered = false;
    const eng = this.eng;
    this.settle(this.runEngine(eng, () => eng.runTo(this.pc, next)));
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
    this.quantum = undefined;
    this.continueCur = false;
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
    for (const ledger of this.ledgers) orInto(ledger, this.space.dirty);
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
      pages: () => listPages(ledger, dirty),
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
    for (const e of this.engines) e.close();
  }

  private onInterrupt(intno: number): void {
    this.lastIntno = intno;
    if (intno !== EXCP_SWI) {
      this.stopCpu();
      return;
    }
    if (this.beforeSyscall?.(this.eng.r(7))) {
      this.pendingSyscall = true;
      this.stopCpu();
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
    this.eng.counters.instructions = this.eng.counters.instructions - 1n;
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
    const t = this.cur;
    try {
      const timer = this.kernel.timerDeadlineOf(t);
      const nr = this.kernel.handleSyscall(t);
      // Signals are delivered with the CPU stopped (see run()); a timer set anew ends the slice
      // so the next one ends when it is due.
      if (this.kernel.signalWorkPending(t) || this.kernel.timerDeadlineOf(t) !== timer) this.stopCpu();
      // A syscall that blocked completes later (schedule() asks stopAfter then).
      if (t.call === undefined && this.stopAfter && !this.kernel.exitState && this.stopAfter(nr)) {
        this.stoppedAtSyscall = true;
        this.stopCpu();
      }
    } catch (e) {
      // An exception must not unwind through Unicorn's C frames: park it and stop.
      this.pendingError = e;
      this.stopCpu();
    }
  }

  /** Stop the engine that is running (after exec that may no longer be the task's). */
  private stopCpu(): void {
    (this.running ?? this.eng).stop();
  }

  /** A syscall whose arguments the kernel layer could not serve ends the guest like a fault. */
  private syscallFault(e: unknown): GuestFaultInfo {
    const thumb = (this.eng.readReg(Reg.CPSR) & CPSR_T) !== 0;
    const pc = (this.eng.readReg(Reg.PC) - (thumb ? 2 : 4)) >>> 0;
    const nr = this.eng.r(7);
    return {
      kind: 'bad syscall',
      pc,
      mode: thumb ? 'thumb' : 'arm',
      instruction: instructionText(this.cur.space, pc, thumb),
      detail: `${syscallName(nr)} (${nr}) could not be served: ${e instanceof Error ? e.message : String(e)}`,
      lastSyscalls: this.kernel.trace.recent(),
    };
  }

  private faultInfo(err: number): GuestFaultInfo {
    const thumb = (this.eng.readReg(Reg.CPSR) & CPSR_T) !== 0;
    const pc = this.eng.readReg(Reg.PC);
    const refusal = this.eng.counters.lastRefusal();
    if (refusal.type !== 0) {
      const probed = this.eng.probeFaultAddress(thumb ? pc | 1 : pc, refusal.address);
      // Keep the probe's answer only when it is on the page the TLB refused.
      if (probed && probed.address - refusal.address >= 0 && probed.address - refusal.address < PAGE_SIZE) {
        refusal.address = probed.address;
      }
    }
    return describeFault(this.cur.space, {
      ucErr: err,
      ucErrText: err ? this.eng.errorText(err) : '',
      intno: this.lastIntno,
      pc,
      thumb,
      refusal,
      lastSyscalls: this.kernel.trace.recent(),
    });
  }
}
