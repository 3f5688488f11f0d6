/**
 * A thread group: what Linux keeps per process and all its threads share — ids, credentials,
 * working directory, umask, the heap break and mmap bounds, signal dispositions, the descriptor
 * table and how the process ended.
 */
import { AddressSpace } from '../memory/address-space';
import { Persist } from '../persist';
import { FdTable } from './fd-table';
import { IntervalTimers, IntervalTimersState } from './interval-timers';

/** How the process ended. */
export interface ExitState {
  status: number;
  signal?: number;
}

/**
 * A thread group's state as plain data (the descriptor table persists on its own). Part of the
 * snapshot format: changing it needs a bump of the snapshot version (snapshot/version.ts).
 */
export interface ThreadGroupState {
  pid: number;
  ppid: number;
  uid: number;
  gid: number;
  cwd: string;
  umask: number;
  /** Page-aligned start of the heap (end of the program image). */
  brkStart: number;
  /** Current program break. */
  brk: number;
  /** Lowest address for mmap placement. */
  mmapBase: number;
  /** Highest address (exclusive) for mmap placement: below the stack. */
  mmapTop: number;
  /** struct sigaction words (handler, flags, restorer, mask low, mask high) by signal number. */
  actions: Record<number, number[]>;
  /** prctl PR_SET_DUMPABLE (a property of the process's memory in Linux). */
  dumpable: number;
  exit: ExitState | null;
  /** setitimer/alarm deadlines (absent in checkpoints from before they existed: all off). */
  itimers?: IntervalTimersState;
  /** Since 2.3, each only when it differs from a lone process's: process group, session, exit signal, job-control state, a vfork parent waiting. */
  pgid?: number;
  sid?: number;
  exitSignal?: number;
  stopped?: number;
  waitReport?: 'stopped' | 'continued';
  vforkParentTid?: number;
}

/** What a new thread group starts with besides its defaults. */
export interface ThreadGroupInit {
  pid: number;
  ppid: number;
  uid: number;
  gid: number;
  cwd: string;
  mmapBase: number;
  pgid?: number;
  sid?: number;
  exitSignal?: number;
}

/** One process: the state its threads share. */
export class ThreadGroup implements Persist<ThreadGroupState> {
  pid: number;
  ppid: number;
  uid: number;
  gid: number;
  cwd: string;
  umask = 0o022;
  brkStart = 0;
  brk = 0;
  mmapBase: number;
  mmapTop: number;
  actions: Record<number, number[]> = {};
  dumpable = 1;
  exitState: ExitState | null = null;
  /** Process group and session ids (setpgid, setsid). */
  pgid: number;
  sid: number;
  /** The signal the parent gets when this process ends (SIGCHLD, or clone's low byte). */
  exitSignal: number;
  /** Ended and waited for (or never to be waited for): nothing of it remains. */
  reaped = false;
  /** The stop signal that stopped the process (until SIGCONT), or 0 while it runs. */
  stopped = 0;
  /** A stop or continue its parent's wait has not reported yet (WUNTRACED, WCONTINUED). */
  waitReport: 'stopped' | 'continued' | undefined;
  /** The thread of the parent that waits until this child execs or ends (CLONE_VFORK), or 0. */
  vforkParentTid = 0;
  /**
   * The program the process runs (what /proc/self/exe opens, whatever the file system holds);
   * without bytes (restored from a checkpoint) it is read from the file system by its path.
   */
  exe: { path: string; bytes: Uint8Array | undefined } | undefined;
  /** What the machine keeps for this process (its engine); opaque to the kernel. */
  host: unknown;
  /** ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF. */
  readonly itimers = new IntervalTimers();

  /** `onExit` is told once, when the process ends. */
  constructor(
    init: ThreadGroupInit,
    public fds: FdTable,
    public space: AddressSpace,
    private readonly onExit: (g: ThreadGroup) => void,
  ) {
    this.pid = init.pid;
    this.ppid = init.ppid;
    this.uid = init.uid;
    this.gid = init.gid;
    this.cwd = init.cwd;
    this.mmapBase = init.mmapBase;
    this.mmapTop = init.mmapBase;
    this.pgid = init.pgid ?? init.pid;
    this.sid = init.sid ?? init.pid;
    this.exitSignal = init.exitSignal ?? 17;
  }

  /** End the process with an exit status (exit/exit_group) or a signal number; later calls change nothing. */
  exit(status: number, signal?: number): void {
    if (this.exitState) return;
    this.exitState = signal === undefined ? { status } : { status, signal };
    this.onExit(this);
  }

  /** The group's state (without the descriptor table). */
  save(): ThreadGroupState {
    return {
      pid: this.pid,
      ppid: this.ppid,
      uid: this.uid,
      gid: this.gid,
      cwd: this.cwd,
      umask: this.umask,
      brkStart: this.brkStart,
      brk: this.brk,
      mmapBase: this.mmapBase,
      mmapTop: this.mmapTop,
      actions: JSON.parse(JSON.stringify(this.actions)) as Record<number, number[]>,
      dumpable: this.dumpable,
      exit: this.exitState ? { ...this.exitState } : null,
      itimers: this.itimers.save(),
      ...(this.pgid !== this.pid ? { pgid: this.pgid } : {}),
      ...(this.sid !== this.pid ? { sid: this.sid } : {}),
      ...(this.exitSignal !== 17 ? { exitSignal: this.exitSignal } : {}),
      ...(this.stopped ? { stopped: this.stopped } : {}),
      ...(this.waitReport ? { waitReport: this.waitReport } : {}),
      ...(this.vforkParentTid ? { vforkParentTid: this.vforkParentTid } : {}),
    };
  }

  /** Replace every field with `s`'s. */
  restore(s: ThreadGroupState): void {
    this.pid = s.pid;
    this.ppid = s.ppid;
    this.uid = s.uid;
    this.gid = s.gid;
    this.cwd = s.cwd;
    this.umask = s.umask;
    this.brkStart = s.brkStart;
    this.brk = s.brk;
    this.mmapBase = s.mmapBase;
    this.mmapTop = s.mmapTop;
    this.actions = JSON.parse(JSON.stringify(s.actions)) as Record<number, number[]>;
    this.dumpable = s.dumpable;
    this.exitState = s.exit ? { ...s.exit } : null;
    this.itimers.restore(s.itimers ?? new IntervalTimers().save());
    this.pgid = s.pgid ?? s.pid;
    this.sid = s.sid ?? s.pid;
    this.exitSignal = s.exitSignal ?? 17;
    this.stopped = s.stopped ?? 0;
    this.waitReport = s.waitReport;
    this.vforkParentTid = s.vforkParentTid ?? 0;
  }
}
