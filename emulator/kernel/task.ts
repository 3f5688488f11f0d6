/**
 * A task: one thread of a thread group, as Linux keeps it per thread — its id, registers, the
 * clear_child_tid address, signal mask, pending signals and alternate stack, and its name (comm),
 * parent-death signal and no_new_privs flag. Syscall handlers receive the calling task and reach
 * the process's shared state through `group`.
 */
import { SS_DISABLE } from '../abi/signal';
import { Persist } from '../persist';
import { CpuContextState } from '../unicorn/cpu-context';
import { WaitCondition } from './blocking';
import { KernelServices, TaskCpu } from './context';
import { FdTable } from './fd-table';
import { FutexTable } from './futex-table';
import { SigInfo } from './signal-frame';
import { ThreadGroup } from './thread-group';

/** What clone(2) was asked for (ARM's argument order: flags, stack, parent tid, TLS, child tid). */
export interface CloneRequest {
  flags: number;
  stack: number;
  parentTid: number;
  tls: number;
  childTid: number;
}

/** The process-wide operations the process syscalls need; the Kernel provides them. */
export interface ProcessOps {
  /** Create a thread or process as clone(2) asks; returns its id (or -errno). */
  clone(parent: Task, req: CloneRequest): number;
  /** Replace the caller's program (execve): returns -errno, or 0 with the new image in place. */
  execve(t: Task, path: string, argv: Uint8Array[], envp: Uint8Array[]): number;
  /** The live task with id `tid`. */
  findTask(tid: number): Task | undefined;
  /** The process (live or zombie, not yet reaped) with id `pid`. */
  findGroup(pid: number): ThreadGroup | undefined;
  /** Every process not yet reaped, by pid ascending. */
  groups(): ThreadGroup[];
  /** The live threads of `g`. */
  tasksOf(g: ThreadGroup): Task[];
  /** Forget an ended child that has been waited for. */
  reap(g: ThreadGroup): void;
  /** End the calling thread only (exit(2)); the process ends with its last thread. */
  exitThread(t: Task, status: number): void;
  /** Stop the caller's process (a stop signal's default action) until SIGCONT. */
  stopGroup(t: Task, sig: number): void;
  /** Resume stopped process `g` (SIGCONT generated for it, or SIGKILL). */
  continueGroup(g: ThreadGroup): void;
  /** Let another runnable task run (sched_yield). */
  yieldSlice(): void;
  /** Futex wait queues. */
  readonly futexes: FutexTable;
}

/** What the scheduler knows of a task: it can run, it waits in a syscall, or it has ended. */
export type TaskRun = 'runnable' | 'blocked' | 'exited';

/** TASK_COMM_LEN - 1: the bytes of a name Linux keeps. */
const COMM_BYTES = 15;

/**
 * A task's state as plain data. Part of the snapshot format: changing it needs a bump of the
 * snapshot version (snapshot/version.ts).
 */
export interface TaskState {
  tid: number;
  clearChildTid: number;
  /** Blocked mask as [low word, high word]. */
  blocked: [number, number];
  /** Signals generated while blocked, as [low word, high word]. */
  pending: [number, number];
  /** sigaltstack: sp, flags, size. */
  altstack: [number, number, number];
  /** The thread name (prctl PR_SET_NAME, /proc/self/comm), at most 15 bytes. */
  comm: string;
  pdeathsig: number;
  noNewPrivs: number;
  /** The cores it may run on (since 2.3; absent: every core). */
  affinity?: number;
  cpu: CpuContextState;
  /** The siginfo of each pending signal, in arrival order (absent before handlers ran: none). */
  pendingInfo?: SigInfo[];
  /** The mask rt_sigsuspend replaced, restored when its handler returns. */
  savedMask?: [number, number] | null;
  /** A syscall a signal interrupted, to restart or fail with EINTR when the signal is delivered. */
  sigRestart?: InterruptedSyscall | null;
}

/** A syscall a signal interrupted: its number and arguments (r0 comes back on a restart). */
export interface InterruptedSyscall {
  nr: number;
  args: number[];
}

/** The name a task gets from exec of `exePath`: its last component, cut to 15 bytes. */
export function commOf(exePath: string): string {
  return cutComm(new TextEncoder().encode(exePath.slice(exePath.lastIndexOf('/') + 1)));
}

/** The first 15 bytes, as Linux keeps them (a cut multi-byte character decodes as U+FFFD). */
export function cutComm(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes.subarray(0, COMM_BYTES));
}

/** One thread. */
export class Task implements Persist<TaskState> {
  clearChildTid = 0;
  blocked: [number, number] = [0, 0];
  pending: [number, number] = [0, 0];
  altstack: [number, number, number] = [0, SS_DISABLE, 0];
  pdeathsig = 0;
  noNewPrivs = 0;
  /**
   * What a syscall that blocked midway had done (bytes written, say), so its retry goes on from
   * there (kernel/blocking.ts); the handler resets it to 0 when it returns.
   */
  progress = 0;
  /** The absolute modelled deadline a blocked call computed on its first try (nanosleep). */
  deadline: bigint | undefined;
  /** Where execution resumes, with bit 0 set in Thumb state. */
  pc = 0;
  /** Modelled time (ns) from which the task can run: its last slice's end, its creation, its wake-up. */
  readyAt = 0n;
  /** The modelled core it ran on last. */
  lastCore: number | undefined;
  /** The cores it may run on (sched_setaffinity; bit c for core c), every core when undefined. */
  affinity: number | undefined;
  run: TaskRun = 'runnable';
  /** What a blocked task waits for. */
  wait: WaitCondition | undefined;
  /** The syscall a blocked task is in: served again when its wait is over. */
  call: { nr: number; args: number[] } | undefined;
  /** The registers while the task is not loaded on its process's engine. */
  parked: CpuContextState | undefined;
  readonly cpu: TaskCpu;
  /** The siginfo of each pending signal (signal-delivery.ts keeps it in step with `pending`). */
  pendingInfo: SigInfo[] = [];
  /** The mask rt_sigsuspend replaced, until its handler's frame takes it. */
  savedMask: [number, number] | null = null;
  /** The syscall a signal interrupted, until the signal is delivered. */
  sigRestart: InterruptedSyscall | null = null;

  constructor(
    public group: ThreadGroup,
    cpuOf: (t: Task) => TaskCpu,
    private readonly kernel: KernelServices,
    readonly procs: ProcessOps,
    public tid: number,
    public comm: string,
  ) {
    this.cpu = cpuOf(this);
  }

  /** Guest memory (shared by the group's tasks). */
  get space(): ThreadGroup['space'] {
    return this.group.space;
  }

  /** The modelled clock. */
  get clock(): KernelServices['clock'] {
    return this.kernel.clock;
  }

  /** The guest's randomness. */
  get rng(): KernelServices['rng'] {
    return this.kernel.rng;
  }

  /** The file system. */
  get vfs(): KernelServices['vfs'] {
    return this.kernel.vfs;
  }

  /** The device the machine models. */
  get profile(): KernelServices['profile'] {
    return this.kernel.profile;
  }

  /** The group's descriptor table. */
  get fds(): FdTable {
    return this.group.fds;
  }

  /** End the process (every thread of the group). */
  exit(status: number, signal?: number): void {
    this.group.exit(status, signal);
  }

  /** The task's state, registers included. */
  save(): TaskState {
    return {
      tid: this.tid,
      clearChildTid: this.clearChildTid,
      blocked: [...this.blocked],
      pending: [...this.pending],
      altstack: [...this.altstack],
      comm: this.comm,
      pdeathsig: this.pdeathsig,
      noNewPrivs: this.noNewPrivs,
      cpu: this.cpu.save(),
      pendingInfo: this.pendingInfo.map((i) => ({ ...i })),
      savedMask: this.savedMask ? [...this.savedMask] : null,
      sigRestart: this.sigRestart ? { nr: this.sigRestart.nr, args: [...this.sigRestart.args] } : null,
      ...(this.affinity !== undefined ? { affinity: this.affinity } : {}),
    };
  }

  /** Replace every field and register with `s`'s. */
  restore(s: TaskState): void {
    this.tid = s.tid;
    this.clearChildTid = s.clearChildTid;
    this.blocked = [...s.blocked];
    this.pending = [...s.pending];
    this.altstack = [...s.altstack];
    this.comm = s.comm;
    this.pdeathsig = s.pdeathsig;
    this.noNewPrivs = s.noNewPrivs;
    this.affinity = s.affinity;
    this.cpu.restore(s.cpu);
    this.pendingInfo = (s.pendingInfo ?? []).map((i) => ({ ...i }));
    this.savedMask = s.savedMask ? [...s.savedMask] : null;
    this.sigRestart = s.sigRestart ? { nr: s.sigRestart.nr, args: [...s.sigRestart.args] } : null;
  }
}
