/**
 * The machine's processes and threads: creation (clone, fork, vfork), program replacement
 * (execve), thread and process exit, zombies and their reaping, orphans handed to init. The
 * machine behind ProcessHost gives each process its memory and CPU; this module keeps Linux's
 * bookkeeping around them.
 */
import { EAGAIN, EINVAL, ENOEXEC, ENOENT, ENOMEM, ErrnoError } from '../abi/errno';
import { isSharedMapping } from './syscalls/memory';
import { SIG_DFL, SIG_IGN, SIGCHLD } from '../abi/signal';
import { AddressSpace } from '../memory/address-space';
import { MappedSource } from '../elf/loader';
import { CpuContextState } from '../unicorn/cpu-context';
import { WouldBlock } from './blocking';
import { TaskCpu } from './context';
import { FutexTable } from './futex-table';
import { postSignal } from './signal-actions';
import { CloneRequest, commOf, ProcessOps, Task } from './task';
import { ThreadGroup, ThreadGroupInit } from './thread-group';
import { FdTable } from './fd-table';

/** clone(2) flags. */
export const CLONE_VM = 0x100;
export const CLONE_FS = 0x200;
export const CLONE_FILES = 0x400;
export const CLONE_SIGHAND = 0x800;
export const CLONE_PIDFD = 0x1000;
export const CLONE_PTRACE = 0x2000;
export const CLONE_VFORK = 0x4000;
export const CLONE_PARENT = 0x8000;
export const CLONE_THREAD = 0x10000;
export const CLONE_NEWNS = 0x20000;
export const CLONE_SYSVSEM = 0x40000;
export const CLONE_SETTLS = 0x80000;
export const CLONE_PARENT_SETTID = 0x100000;
export const CLONE_CHILD_CLEARTID = 0x200000;
export const CLONE_DETACHED = 0x400000;
export const CLONE_UNTRACED = 0x800000;
export const CLONE_CHILD_SETTID = 0x1000000;
/** Namespace and cgroup flags: a container runtime's business, refused. */
const CLONE_NAMESPACES =
  0x7e020000 & ~CLONE_SYSVSEM & ~CLONE_SETTLS & ~CLONE_PARENT_SETTID & ~CLONE_CHILD_CLEARTID & ~CLONE_DETACHED & ~CLONE_UNTRACED & ~CLONE_CHILD_SETTID;

/** The pid of the virtual init that adopts orphans and reaps them at once. */
export const INIT_PID = 1;
/** Linux's PID_MAX_DEFAULT. */
const PID_MAX = 32768;
/** The most processes and threads alive at once (a fork bomb ends with EAGAIN). */
export const MAX_TASKS = 4096;

/** What the kernel needs from the machine to make and run processes. */
export interface ProcessHost {
  /** Give `child` memory and a CPU engine: a copy of `parent`'s (fork) or the very same (CLONE_VM). */
  attachProcess(child: ThreadGroup, parent: ThreadGroup, shareVm: boolean): void;
  /** A CPU for task `t` on its process's engine. */
  cpuFor(t: Task): TaskCpu;
  /** The calling task's live registers, inside a syscall (the PC is past the SVC). */
  liveContext(t: Task): CpuContextState;
  /**
   * Check `program` (ErrnoError when it cannot run) and have it replace `t`'s process's image
   * before the task runs again: on fresh memory when the process shares its memory with another,
   * with the task's registers set to the program's start.
   */
  loadProgram(t: Task, program: ProgramImage, argv: Uint8Array[], envp: Uint8Array[]): void;
  /** `g` has been reaped (or replaced its shared memory): free what it alone used. */
  releaseProcess(g: ThreadGroup, space: AddressSpace): void;
  /** The running task stopped being runnable or yields: stop the CPU once this syscall is done. */
  reschedule(): void;
}

/** A program file execve reads: its bytes, the path as given, and where it is for good (absolute, links resolved). */
export interface ProgramFile {
  bytes: Uint8Array;
  path: string;
  canonical: string;
  /** Open the file again for mappings that refer to it (exec maps the program from its file). */
  open?: () => MappedSource | undefined;
}

/** The program execve loads: its bytes, the path it was run by, and how to open its file for mapping. */
export type ProgramImage = Pick<ProgramFile, 'bytes' | 'path' | 'open'>;

/** Reads a program file for execve, or throws ErrnoError (ENOENT, EACCES...). */
export type ProgramReader = (t: Task, path: string) => ProgramFile;

/** The process table: every process and thread of the machine. */
export class ProcessTable implements ProcessOps {
  readonly futexes = new FutexTable();
  private readonly groupsByPid = new Map<number, ThreadGroup>();
  /** Live tasks in creation order: the scheduler's round-robin order. */
  readonly tasks: Task[] = [];
  private nextId: number;
  private yieldRequested = false;

  constructor(
    readonly host: ProcessHost,
    private readonly readProgram: ProgramReader,
    private readonly kernelOf: (g: ThreadGroup, tid: number, comm: string) => Task,
    firstPid: number,
  ) {
    this.nextId = firstPid;
  }

  /** Register the first process and its thread. */
  adoptFirst(t: Task): void {
    this.groupsByPid.set(t.group.pid, t.group);
    this.tasks.push(t);
    this.nextId = t.tid + 1;
  }

  /**
   * Make the table hold the first process alone, with its one task live, or nothing left when
   * the process has ended (a checkpoint of a single-task process was restored).
   */
  resetTo(first: Task): void {
    const g = first.group;
    this.tasks.splice(0, this.tasks.length);
    this.groupsByPid.clear();
    first.wait = undefined;
    first.call = undefined;
    first.parked = undefined;
    g.reaped = g.exitState !== null;
    first.run = g.exitState ? 'exited' : 'runnable';
    if (!g.exitState) {
      this.tasks.push(first);
      this.groupsByPid.set(g.pid, g);
    }
  }

  /** A new process record (for restoring a checkpoint): ends through this table like any other. */
  makeGroup(init: ThreadGroupInit, fds: FdTable, space: AddressSpace): ThreadGroup {
    return new ThreadGroup(init, fds, space, (g) => this.groupEnded(g));
  }

  /** A new thread of `g` (for restoring a checkpoint). */
  makeTask(g: ThreadGroup, tid: number, comm: string): Task {
    return this.kernelOf(g, tid, comm);
  }

  /**
   * Take over a restored set of processes: `groups` (live and zombie, not reaped), `tasks` (live,
   * in run-queue order) and the next id to hand out.
   */
  adoptRestored(groups: readonly ThreadGroup[], tasks: readonly Task[], nextId: number): void {
    this.groupsByPid.clear();
    for (const g of groups) this.groupsByPid.set(g.pid, g);
    this.tasks.splice(0, this.tasks.length, ...tasks);
    this.nextId = nextId;
  }

  /** The next id clone will try. */
  get nextPid(): number {
    return this.nextId;
  }

  findTask(tid: number): Task | undefined {
    return this.tasks.find((t) => t.tid === tid);
  }

  findGroup(pid: number): ThreadGroup | undefined {
    return this.groupsByPid.get(pid);
  }

  groups(): ThreadGroup[] {
    return [...this.groupsByPid.values()].sort((a, b) => a.pid - b.pid);
  }

  tasksOf(g: ThreadGroup): Task[] {
    return this.tasks.filter((t) => t.group === g);
  }

  /** True once, after sched_yield asked for the CPU to go to another task. */
  takeYield(): boolean {
    const y = this.yieldRequested;
    this.yieldRequested = false;
    return y;
  }

  yieldSlice(): void {
    this.yieldRequested = true;
    this.host.reschedule();
  }

  clone(parent: Task, req: CloneRequest): number {
    const { flags } = req;
    if (parent.progress) return this.finishVfork(parent);
    if (flags & CLONE_NAMESPACES) return -EINVAL;
    if (flags & CLONE_THREAD && (flags & (CLONE_SIGHAND | CLONE_VM)) !== (CLONE_SIGHAND | CLONE_VM)) return -EINVAL;
    if (flags & CLONE_SIGHAND && !(flags & CLONE_VM)) return -EINVAL;
    // A copy cannot share MAP_SHARED anonymous memory with its parent: failing is better than a
    // child whose writes its parent silently never sees.
    if (!(flags & CLONE_VM) && parent.space.regions().some(isSharedMapping)) return -ENOMEM;
    const tid = this.tasks.length >= MAX_TASKS ? 0 : this.allocateId();
    if (!tid) return -EAGAIN;
    const regs = this.host.liveContext(parent);
    regs.r[0] = 0;
    if (req.stack) regs.r[13] = req.stack >>> 0;
    if (flags & CLONE_SETTLS) regs.tls = req.tls >>> 0;
    // The exclusive monitor belongs to the thread that did the LDREX.
    delete regs.exclusive;
    let child: Task;
    if (flags & CLONE_THREAD) {
      child = this.kernelOf(parent.group, tid, parent.comm);
    } else {
      const pg = parent.group;
      const g = new ThreadGroup(
        {
          pid: tid,
          ppid: flags & CLONE_PARENT ? pg.ppid : pg.pid,
          uid: pg.uid,
          gid: pg.gid,
          cwd: pg.cwd,
          mmapBase: pg.mmapBase,
          pgid: pg.pgid,
          sid: pg.sid,
          exitSignal: flags & 0xff,
        },
        flags & CLONE_FILES ? pg.fds : pg.fds.fork(),
        pg.space,
        (ended) => this.groupEnded(ended),
      );
      Object.assign(g, { exe: pg.exe, umask: pg.umask, brkStart: pg.brkStart, brk: pg.brk, mmapTop: pg.mmapTop, dumpable: pg.dumpable });
      g.actions = JSON.parse(JSON.stringify(pg.actions)) as Record<number, number[]>;
      this.host.attachProcess(g, pg, (flags & CLONE_VM) !== 0);
      this.groupsByPid.set(g.pid, g);
      child = this.kernelOf(g, tid, parent.comm);
    }
    child.blocked = [...parent.blocked];
    child.altstack = flags & CLONE_VM && !(flags & CLONE_VFORK) ? child.altstack : [...parent.altstack];
    child.parked = regs;
    child.pc = regs.pc;
    // It exists from its parent's present on (and starts on the parent's core when that is free).
    child.readyAt = parent.clock.monotonicNs();
    child.lastCore = parent.lastCore;
    child.affinity = parent.affinity;
    if (flags & CLONE_CHILD_CLEARTID) child.clearChildTid = req.childTid >>> 0;
    this.tasks.push(child);
    if (flags & CLONE_PARENT_SETTID) parent.space.writeU32(req.parentTid, tid);
    if (flags & CLONE_CHILD_SETTID) child.space.writeU32(req.childTid, tid);
    if (flags & CLONE_VFORK && !(flags & CLONE_THREAD)) {
      child.group.vforkParentTid = parent.tid;
      parent.progress = tid;
      return this.finishVfork(parent);
    }
    return tid;
  }

  /** A vfork parent goes on once its child has exec'd or ended; returns the child's pid. */
  private finishVfork(parent: Task): number {
    const pid = parent.progress;
    const child = this.groupsByPid.get(pid);
    if (child && child.vforkParentTid === parent.tid) {
      throw new WouldBlock({ ready: () => child.vforkParentTid !== parent.tid, what: `vfork child ${pid} to exec or exit` });
    }
    parent.progress = 0;
    return pid;
  }

  execve(t: Task, path: string, argv: Uint8Array[], envp: Uint8Array[]): number {
    let program = this.programAt(t, path);
    let exe = program.exe;
    // "#!interpreter [one argument]" scripts run the interpreter with the script's path.
    const shebang = parseShebang(program.bytes);
    if (shebang) {
      argv = [
        Buffer.from(shebang.interpreter, 'latin1'),
        ...(shebang.arg ? [Buffer.from(shebang.arg, 'latin1')] : []),
        Buffer.from(path, 'latin1'),
        ...argv.slice(1),
      ];
      const interpreter = this.readProgram(t, shebang.interpreter);
      if (parseShebang(interpreter.bytes)) return -ENOEXEC;
      program = { bytes: interpreter.bytes, path: interpreter.path, open: interpreter.open, exe: { path: interpreter.canonical, bytes: interpreter.bytes } };
      exe = program.exe;
    }
    const g = t.group;
    // Every other thread of the process ends; the caller takes over the process.
    for (const other of this.tasksOf(g)) if (other !== t) this.retireTask(other);
    this.host.loadProgram(t, program, argv, envp);
    g.exe = exe;
    t.comm = commOf(program.path);
    t.altstack = [0, 2, 0];
    t.clearChildTid = 0;
    g.fds.closeOnExec();
    // Handlers do not survive the old program; ignored signals stay ignored.
    for (const sig of Object.keys(g.actions).map(Number)) {
      if (g.actions[sig][0] !== SIG_IGN) delete g.actions[sig];
    }
    this.releaseVforkParent(g);
    return 0;
  }

  /** The program file at `path`; /proc/self/exe (and /proc/PID/exe) is the process's own program. */
  private programAt(t: Task, path: string): ProgramImage & { exe: { path: string; bytes: Uint8Array } } {
    const m = /^\/proc\/(self|\d+)\/exe$/.exec(path);
    const g = m ? (m[1] === 'self' ? t.group : this.findGroup(Number(m[1]))) : undefined;
    if (g?.exe) {
      const bytes = g.exe.bytes ?? this.readProgram(t, g.exe.path).bytes;
      return { bytes, path, exe: { path: g.exe.path, bytes } };
    }
    const f = this.readProgram(t, path);
    return { bytes: f.bytes, path, open: f.open, exe: { path: f.canonical, bytes: f.bytes } };
  }

  stopGroup(t: Task, sig: number): void {
    const g = t.group;
    if (g.stopped || g.exitState) return;
    g.stopped = sig;
    g.waitReport = 'stopped';
    this.notifyParent(g);
    this.host.reschedule();
  }

  continueGroup(g: ThreadGroup): void {
    if (!g.stopped) return;
    g.stopped = 0;
    g.waitReport = 'continued';
    this.notifyParent(g);
  }

  /** SIGCHLD to `g`'s parent for a stop or continue, unless it asked not to (SA_NOCLDSTOP). */
  private notifyParent(g: ThreadGroup): void {
    const parent = this.groupsByPid.get(g.ppid);
    if (!parent || parent.exitState) return;
    const SA_NOCLDSTOP = 1;
    const act = parent.actions[SIGCHLD];
    if (act && act[1] & SA_NOCLDSTOP) return;
    const receiver = this.tasksOf(parent)[0];
    if (receiver) postSignal(receiver, SIGCHLD);
  }

  exitThread(t: Task, status: number): void {
    const live = this.tasksOf(t.group);
    if (live.length <= 1) {
      t.group.exit(status & 0xff);
      return;
    }
    this.retireTask(t);
    this.host.reschedule();
  }

  reap(g: ThreadGroup): void {
    if (g.reaped) return;
    g.reaped = true;
    this.groupsByPid.delete(g.pid);
    if (!this.spaceInUse(g.space)) this.host.releaseProcess(g, g.space);
  }

  /** Every live task has ended and no process waits to be reaped by a live parent. */
  get finished(): boolean {
    return this.tasks.length === 0;
  }

  /** A process's last thread ended (exit_group, a fatal signal, or exit of its last thread). */
  groupEnded(g: ThreadGroup): void {
    for (const t of this.tasksOf(g)) this.retireTask(t);
    // Its descriptors close now (readers of its pipes see EOF), unless another live process
    // shares the table, or nothing is left to observe it (the last process keeps its table for
    // a final checkpoint).
    const others = this.groups().filter((o) => o !== g && !o.exitState);
    if (others.length && !others.some((o) => o.fds === g.fds)) for (const { fd } of g.fds.entries()) g.fds.close(fd);
    this.releaseVforkParent(g);
    // Orphans go to init, which reaps them as soon as they end.
    for (const child of this.groups()) {
      if (child.ppid !== g.pid || child === g) continue;
      child.ppid = INIT_PID;
      if (child.exitState) this.reap(child);
    }
    const parent = this.groupsByPid.get(g.ppid);
    if (!parent || parent.exitState || this.parentDiscards(parent, g)) {
      // Nobody will wait for it: gone at once (the first process's end stays readable).
      this.reap(g);
    } else if (g.exitSignal) {
      const receiver = this.tasksOf(parent)[0];
      if (receiver) postSignal(receiver, g.exitSignal);
    }
    this.host.reschedule();
  }

  /** A parent that ignores SIGCHLD (or sets SA_NOCLDWAIT) never sees its children as zombies. */
  private parentDiscards(parent: ThreadGroup, child: ThreadGroup): boolean {
    if (child.exitSignal !== SIGCHLD) return false;
    const act = parent.actions[SIGCHLD];
    const SA_NOCLDWAIT = 2;
    return act !== undefined && (act[0] === SIG_IGN || (act[0] !== SIG_DFL && (act[1] & SA_NOCLDWAIT) !== 0));
  }

  /** Take a thread off the machine: clear_child_tid is honoured and waiters on it woken. */
  private retireTask(t: Task): void {
    if (t.run === 'exited') return;
    t.run = 'exited';
    t.wait = undefined;
    t.call = undefined;
    const i = this.tasks.indexOf(t);
    if (i >= 0) this.tasks.splice(i, 1);
    for (const w of this.futexes.waiters()) if (w.tid === t.tid) this.futexes.remove(w);
    if (t.clearChildTid && this.spaceInUse(t.space)) {
      try {
        t.space.writeU32(t.clearChildTid, 0);
        this.futexes.wake(t.space, t.clearChildTid, 1);
      } catch {
        // An unmapped clear_child_tid word is ignored, as Linux does.
      }
    }
  }

  private releaseVforkParent(g: ThreadGroup): void {
    g.vforkParentTid = 0;
  }

  /** True while a live task runs on `space`. */
  private spaceInUse(space: AddressSpace): boolean {
    return this.tasks.some((t) => t.space === space);
  }

  /** The next free id after the last one given (wrapping to 300 as Linux does), or 0. */
  private allocateId(): number {
    for (let n = 0; n < PID_MAX; n++) {
      const id = this.nextId;
      this.nextId = this.nextId + 1 >= PID_MAX ? 300 : this.nextId + 1;
      if (!this.groupsByPid.has(id) && !this.findTask(id)) return id;
    }
    return 0;
  }
}

/** The interpreter line of a "#!" script, or undefined when `bytes` is not one. */
export function parseShebang(bytes: Uint8Array): { interpreter: string; arg?: string } | undefined {
  if (bytes[0] !== 0x23 || bytes[1] !== 0x21) return undefined;
  let end = bytes.indexOf(0x0a);
  if (end < 0) end = Math.min(bytes.length, 256);
  const line = Buffer.from(bytes.subarray(2, end)).toString('latin1').trim();
  if (!line) throw new ErrnoError(ENOENT);
  const cut = line.search(/[ \t]/);
  if (cut < 0) return { interpreter: line };
  const arg = line.slice(cut).trim();
  return arg ? { interpreter: line.slice(0, cut), arg } : { interpreter: line.slice(0, cut) };
}
