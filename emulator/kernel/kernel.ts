/**
 * The Linux ARM EABI kernel layer: one thread group with its task, the services they share, and
 * the syscall dispatcher. Handlers live in per-topic modules under syscalls/ and receive the
 * calling task; this file only routes and accounts.
 */
import { EFAULT, ENOSYS, ErrnoError } from '../abi/errno';
import { SIGILL } from '../abi/signal';
import { GuestFaultInfo } from '../errors';
import { WouldBlock } from './blocking';
import { ProcessHost, ProgramReader, ProcessTable } from './process-table';
import { AddressSpace, GuestMemoryError } from '../memory/address-space';
import { CoreClocks } from '../model/core-clocks';
import { DeviceProfile } from '../model/profiles';
import { Vfs } from '../vfs/vfs';
import { KernelServices } from './context';
import { FdTable } from './fd-table';
import { GuestRandom } from './rng';
import { NR, SYSCALL_NAMES, syscallName } from '../abi/syscall-names';
import { SyscallTrace } from './syscall-trace';
import {
  actOnFatalSignals,
  deliverFault,
  deliverPendingSignals,
  fireTimers,
  nextTimerDeadline,
  setStopHook,
  signalInterrupts,
  signalWorkPending,
  syscallInterrupted,
} from './signal-delivery';
import { cancelFutexWait } from './syscalls/futex';
import { pipeFsOf } from './pipe-fs';
import { Support, SupportLevel, SyscallEntry, SyscallTable } from './syscall-table';
import { commOf, Task } from './task';
import { ExitState, ThreadGroup, ThreadGroupInit } from './thread-group';
import { attrSyscalls } from './syscalls/attrs';
import { fsSyscalls } from './syscalls/fs';
import { identitySyscalls } from './syscalls/identity';
import { ioSyscalls } from './syscalls/io';
import { memorySyscalls, syncSharedFiles } from './syscalls/memory';
import { pollSyscalls } from './syscalls/poll';
import { prctlSyscalls } from './syscalls/prctl';
import { processSyscalls } from './syscalls/process';
import { lifecycleSyscalls } from './syscalls/lifecycle';
import { signalSyscalls } from './syscalls/signals';
import { statfsSyscalls } from './syscalls/statfs';
import { timeSyscalls } from './syscalls/time';

/** Every implemented syscall, by number. */
const HANDLERS: ReadonlyMap<number, SyscallEntry> = buildTable([
  memorySyscalls,
  ioSyscalls,
  fsSyscalls,
  attrSyscalls,
  identitySyscalls,
  timeSyscalls,
  processSyscalls,
  lifecycleSyscalls,
  prctlSyscalls,
  pollSyscalls,
  signalSyscalls,
  statfsSyscalls,
]);

function buildTable(tables: SyscallTable[]): Map<number, SyscallEntry> {
  const out = new Map<number, SyscallEntry>();
  for (const table of tables) {
    for (const [name, entry] of Object.entries(table)) {
      const nr = NR[name];
      if (nr === undefined) throw new Error(`syscall table names unknown syscall ${name}`);
      out.set(nr, entry);
    }
  }
  return out;
}

/** Names of the implemented syscalls (for documentation and tests). */
export function implementedSyscalls(): string[] {
  return [...HANDLERS.keys()].map(syscallName).sort();
}

/** The support level of syscall `nr`; one without a handler is unsupported (ENOSYS). */
export function syscallSupport(nr: number): Support {
  return HANDLERS.get(nr)?.support ?? { level: 'unsupported', note: 'no handler: ENOSYS' };
}

/** One line of the kernel's coverage: a syscall the ABI knows, and how far it is served. */
export interface SyscallCoverage {
  nr: number;
  name: string;
  level: SupportLevel;
  /** What is missing (partial) or what the caller gets (unsupported). */
  note?: string;
}

/** Every syscall the ARM EABI table names, by number, with its support level. */
export function syscallCoverage(): SyscallCoverage[] {
  return Object.keys(SYSCALL_NAMES)
    .map(Number)
    .sort((a, b) => a - b)
    .map((nr) => {
      const s = syscallSupport(nr);
      return { nr, name: syscallName(nr), level: s.level, ...(s.level === 'supported' ? {} : { note: s.note }) };
    });
}

export type { ExitState } from './thread-group';

/** Construction parameters of a Kernel. */
export interface KernelOptions {
  /** The first process's memory. */
  space: AddressSpace;
  /** Makes the processes' memory and CPUs. */
  host: ProcessHost;
  clock: CoreClocks;
  profile: DeviceProfile;
  vfs: Vfs;
  fds: FdTable;
  seed: number;
  group: ThreadGroupInit;
  /** Guest path of the program: the task's name comes from it. */
  exePath: string;
  /** Told once per unimplemented syscall. */
  warn: (message: string) => void;
  /** Reads a program file for execve. */
  readProgram: ProgramReader;
}

/**
 * Wraps the serving of one syscall: gets its number and arguments and a function that serves it
 * (with the arguments it is given), returns the value for r0. The differential tester uses it to
 * make placement and nondeterministic results follow the reference emulator.
 */
export type SyscallInterposer = (nr: number, args: number[], serve: (args: number[]) => number) => number;

/** The machine's kernel: its processes and threads, the services they use, and syscall dispatch. */
export class Kernel implements KernelServices {
  readonly clock: CoreClocks;
  readonly profile: DeviceProfile;
  readonly vfs: Vfs;
  readonly rng: GuestRandom;
  /** The first process (the program the machine was booted with). */
  readonly group: ThreadGroup;
  /** The first process's first thread. */
  readonly task: Task;
  readonly procs: ProcessTable;
  readonly trace = new SyscallTrace();
  /** When set, every syscall is served through it. */
  interposer: SyscallInterposer | undefined;
  private readonly unknownSeen = new Set<number>();

  constructor(private readonly opts: KernelOptions) {
    this.clock = opts.clock;
    this.profile = opts.profile;
    this.vfs = opts.vfs;
    this.rng = new GuestRandom(opts.seed);
    this.procs = new ProcessTable(opts.host, opts.readProgram, (g, tid, comm) => this.newTask(g, tid, comm), opts.group.pid);
    this.group = new ThreadGroup(opts.group, opts.fds, opts.space, (g) => this.procs.groupEnded(g));
    // The first thread's id is the process id, as in Linux.
    this.task = this.newTask(this.group, opts.group.pid, commOf(opts.exePath));
    this.procs.adoptFirst(this.task);
    // A stop signal's default action stops the task's process until SIGCONT.
    setStopHook((t, sig) => t.procs.stopGroup(t, sig));
  }

  private newTask(g: ThreadGroup, tid: number, comm: string): Task {
    return new Task(g, (t) => this.opts.host.cpuFor(t), this, this.procs, tid, comm);
  }

  /** Every live task, in creation order. */
  get tasks(): Task[] {
    return this.procs.tasks;
  }

  /** The first process's descriptor table. */
  get fds(): FdTable {
    return this.group.fds;
  }

  /** How the first process ended, once every process has ended; null while any runs. */
  get exitState(): ExitState | null {
    return this.procs.finished ? this.group.exitState : null;
  }

  /**
   * Serve the syscall task `t` is stopped at (SVC #0 with the number in r7); returns its number.
   * When it must wait, the task is left blocked in it (see serveCall).
   */
  handleSyscall(t: Task = this.task): number {
    const cpu = t.cpu;
    const nr = cpu.r(7);
    t.call = { nr, args: [cpu.r(0), cpu.r(1), cpu.r(2), cpu.r(3), cpu.r(4), cpu.r(5)] };
    this.serveCall(t);
    return nr;
  }

  /**
   * Serve `t`'s pending syscall (first try or a retry after its wait); true when it completed
   * (r0 holds its result), false when the task waits (blocked, with its wait condition).
   */
  serveCall(t: Task): boolean {
    const call = t.call;
    if (!call) return true;
    const { nr, args } = call;
    try {
      const result = this.interposer ? this.interposer(nr, args, (a) => this.dispatch(nr, a, t)) : this.dispatch(nr, args, t);
      this.complete(t, call, result);
      return true;
    } catch (e) {
      if (!(e instanceof WouldBlock)) throw e;
      t.run = 'blocked';
      t.wait = e.wait;
      this.opts.host.reschedule();
      return false;
    }
  }

  /** `t`'s syscall is over with `result`: r0 gets it, then timers and fatal signals are acted on. */
  private complete(t: Task, call: { nr: number; args: number[] }, result: number): void {
    t.call = undefined;
    t.wait = undefined;
    if (t.run === 'blocked') t.run = 'runnable';
    // execve replaced the registers of a task that is no longer loaded; exit leaves none.
    if (t.run !== 'exited') t.cpu.setR(0, result);
    this.trace.record(call.nr, call.args, result);
    if (t.run === 'exited') return;
    fireTimers(t);
    actOnFatalSignals(t);
  }

  /** True when a signal ends blocked task `t`'s wait (its syscall returns -EINTR or restarts). */
  interruptsWait(t: Task): boolean {
    return t.run === 'blocked' && signalInterrupts(t);
  }

  /** End blocked task `t`'s syscall because a signal arrived (the task must be loaded). */
  interruptWait(t: Task): void {
    const call = t.call!;
    t.wait?.interrupted?.();
    cancelFutexWait(t);
    pipeFsOf(this.vfs).cancelOpen(t);
    t.progress = 0;
    t.deadline = undefined;
    this.complete(t, call, syscallInterrupted(t, call.nr, call.args));
  }

  /** The earliest interval-timer deadline of any process (a wake-up for an idle machine). */
  nextTimerDeadline(): bigint | undefined {
    let earliest: bigint | undefined;
    for (const t of this.tasks) {
      const d = nextTimerDeadline(t);
      if (d !== undefined && (earliest === undefined || d < earliest)) earliest = d;
    }
    return earliest;
  }

  /** The next interval-timer deadline of `t`'s process, if one is armed. */
  timerDeadlineOf(t: Task): bigint | undefined {
    return nextTimerDeadline(t);
  }

  /** Fire every process's expired interval timers. */
  fireTimers(): void {
    for (const t of [...this.tasks]) if (t.run !== 'exited') fireTimers(t);
  }

  /** Whether `t` has signals to deliver before it runs on (the machine stops the CPU for them). */
  signalWorkPending(t: Task): boolean {
    return signalWorkPending(t);
  }

  /** Deliver `t`'s pending signals (a handler's frame, a default action); its CPU must be stopped and loaded. */
  deliverSignals(t: Task): void {
    deliverPendingSignals(t);
  }

  /** Hand a CPU fault to `t`'s handler for its signal; false when there is none (the run ends with the fault). */
  deliverFault(t: Task, info: GuestFaultInfo): boolean {
    if (info.signal === undefined || info.kind === 'bad syscall') return false;
    const address = info.signal === SIGILL ? info.pc : info.address;
    return deliverFault(t, { signal: info.signal, address, write: info.detail.startsWith('write') });
  }

  /** Run syscall `nr` with `args` for `t`; returns what goes into r0 (WouldBlock when it must wait). */
  dispatch(nr: number, args: number[], t: Task = this.task): number {
    const entry = HANDLERS.get(nr);
    if (!entry) {
      if (!this.unknownSeen.has(nr)) {
        this.unknownSeen.add(nr);
        this.opts.warn(`unimplemented syscall ${syscallName(nr)} (${nr}): returning ENOSYS`);
      }
      return -ENOSYS;
    }
    try {
      // Most processes hold no shared file mapping: their syscalls skip the closure.
      return t.space.hasSharedFiles ? syncSharedFiles(t.space, () => entry.handler(t, args)) : entry.handler(t, args);
    } catch (e) {
      if (e instanceof ErrnoError) return -e.errno;
      if (e instanceof GuestMemoryError) return -EFAULT;
      throw e;
    }
  }

  /** Syscalls the guest made that are not implemented. */
  unknownSyscalls(): string[] {
    return [...this.unknownSeen].map(syscallName);
  }
}
