/**
 * The Linux ARM EABI kernel layer: one thread group with its task, the services they share, and
 * the syscall dispatcher. Handlers live in per-topic modules under syscalls/ and receive the
 * calling task; this file only routes and accounts.
 */
import { EFAULT, ENOSYS, ErrnoError } from '../abi/errno';
import { SIGILL } from '../abi/signal';
import { GuestFaultInfo } from '../errors';
import { DeadlockError, WouldBlock } from './blocking';
import { AddressSpace, GuestMemoryError } from '../memory/address-space';
import { ModelClock } from '../model/model-clock';
import { DeviceProfile } from '../model/profiles';
import { Vfs } from '../vfs/vfs';
import { KernelServices, TaskCpu } from './context';
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
  signalInterrupts,
  signalWorkPending,
  syscallInterrupted,
} from './signal-delivery';
import { Support, SupportLevel, SyscallEntry, SyscallTable } from './syscall-table';
import { commOf, Task } from './task';
import { ExitState, ThreadGroup, ThreadGroupInit } from './thread-group';
import { attrSyscalls } from './syscalls/attrs';
import { fsSyscalls } from './syscalls/fs';
import { identitySyscalls } from './syscalls/identity';
import { ioSyscalls } from './syscalls/io';
import { memorySyscalls } from './syscalls/memory';
import { pollSyscalls } from './syscalls/poll';
import { prctlSyscalls } from './syscalls/prctl';
import { processSyscalls } from './syscalls/process';
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
  space: AddressSpace;
  /** The CPU the (one) task runs on. */
  cpu: TaskCpu;
  clock: ModelClock;
  profile: DeviceProfile;
  vfs: Vfs;
  fds: FdTable;
  seed: number;
  group: ThreadGroupInit;
  /** Guest path of the program: the task's name comes from it. */
  exePath: string;
  /** Told once per unimplemented syscall. */
  warn: (message: string) => void;
  /** Asked to stop the CPU when the process exits. */
  onExit: () => void;
}

/**
 * Wraps the serving of one syscall: gets its number and arguments and a function that serves it
 * (with the arguments it is given), returns the value for r0. The differential tester uses it to
 * make placement and nondeterministic results follow the reference emulator.
 */
export type SyscallInterposer = (nr: number, args: number[], serve: (args: number[]) => number) => number;

/** One process's kernel: its thread group, its task, and the services they use. */
export class Kernel implements KernelServices {
  readonly space: AddressSpace;
  readonly clock: ModelClock;
  readonly profile: DeviceProfile;
  readonly vfs: Vfs;
  readonly rng: GuestRandom;
  readonly group: ThreadGroup;
  /** The task that runs (the only one, until threads come). */
  readonly task: Task;
  readonly trace = new SyscallTrace();
  /** When set, every syscall is served through it. */
  interposer: SyscallInterposer | undefined;
  private readonly unknownSeen = new Set<number>();

  constructor(private readonly opts: KernelOptions) {
    this.space = opts.space;
    this.clock = opts.clock;
    this.profile = opts.profile;
    this.vfs = opts.vfs;
    this.rng = new GuestRandom(opts.seed);
    this.group = new ThreadGroup(opts.group, opts.fds, opts.onExit);
    // The first thread's id is the process id, as in Linux.
    this.task = new Task(this.group, opts.cpu, this, opts.group.pid, commOf(opts.exePath));
  }

  /** Every task of the group. */
  get tasks(): Task[] {
    return [this.task];
  }

  /** The group's descriptor table. */
  get fds(): FdTable {
    return this.group.fds;
  }

  /** How the process ended, or null while it runs. */
  get exitState(): ExitState | null {
    return this.group.exitState;
  }

  /** Serve the syscall the CPU is stopped at (SVC #0 with the number in r7); returns its number. */
  handleSyscall(): number {
    const cpu = this.task.cpu;
    const nr = cpu.r(7);
    const args = [cpu.r(0), cpu.r(1), cpu.r(2), cpu.r(3), cpu.r(4), cpu.r(5)];
    const result = this.interposer ? this.interposer(nr, args, (a) => this.dispatch(nr, a)) : this.dispatch(nr, args);
    cpu.setR(0, result);
    this.trace.record(nr, args, result);
    fireTimers(this.task);
    actOnFatalSignals(this.task);
    return nr;
  }

  /** Whether the task has signals to deliver before it runs on (the machine stops the CPU for them). */
  signalWorkPending(): boolean {
    return signalWorkPending(this.task);
  }

  /** Deliver the task's pending signals (a handler's frame, a default action); the CPU must be stopped. */
  deliverSignals(): void {
    deliverPendingSignals(this.task);
  }

  /** Hand a CPU fault to the task's handler for its signal; false when there is none (the run ends with the fault). */
  deliverFault(info: GuestFaultInfo): boolean {
    if (info.signal === undefined || info.kind === 'bad syscall') return false;
    const address = info.signal === SIGILL ? info.pc : info.address;
    return deliverFault(this.task, { signal: info.signal, address, write: info.detail.startsWith('write') });
  }

  /** Run syscall `nr` with `args`; returns what goes into r0. */
  dispatch(nr: number, args: number[]): number {
    const entry = HANDLERS.get(nr);
    if (!entry) {
      if (!this.unknownSeen.has(nr)) {
        this.unknownSeen.add(nr);
        this.opts.warn(`unimplemented syscall ${syscallName(nr)} (${nr}): returning ENOSYS`);
      }
      return -ENOSYS;
    }
    for (;;) {
      try {
        return entry.handler(this.task, args);
      } catch (e) {
        if (!(e instanceof WouldBlock)) return this.failure(e);
        // One task: nothing else can run while it waits, so only time (a timeout, a timer's signal) can make it ready.
        const { wait } = e;
        if (wait.ready()) continue;
        if (signalInterrupts(this.task)) return syscallInterrupted(this.task, nr, args);
        const timer = nextTimerDeadline(this.task);
        const until = wait.deadlineNs === undefined || (timer !== undefined && timer < wait.deadlineNs) ? timer : wait.deadlineNs;
        if (until === undefined) throw new DeadlockError([wait.what]);
        this.clock.sleep(until - this.clock.monotonicNs());
        fireTimers(this.task);
      }
    }
  }

  /** What r0 gets for a handler's error; errors that are not the guest's propagate. */
  private failure(e: unknown): number {
    if (e instanceof ErrnoError) return -e.errno;
    if (e instanceof GuestMemoryError) return -EFAULT;
    throw e;
  }

  /** Syscalls the guest made that are not implemented. */
  unknownSyscalls(): string[] {
    return [...this.unknownSeen].map(syscallName);
  }
}
