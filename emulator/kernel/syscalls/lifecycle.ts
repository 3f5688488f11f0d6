/**
 * Process life-cycle syscalls: clone, fork, vfork, execve, wait4, waitid, and process groups and
 * sessions as far as shells need them.
 */
import { E2BIG, ECHILD, EINVAL, ENOENT, EPERM, ESRCH } from '../../abi/errno';
import { SIGCHLD, SIGCONT } from '../../abi/signal';
import { WouldBlock } from '../blocking';
import { CLONE_VFORK, CLONE_VM } from '../process-table';
import { partial, SUPPORTED, syscallTable } from '../syscall-table';
import { Task } from '../task';
import { ThreadGroup } from '../thread-group';

/** wait options. */
const WNOHANG = 1;
const WUNTRACED = 2;
const WEXITED = 4;
const WCONTINUED = 8;
const WNOWAIT = 0x01000000;
const WALL = 0x40000000;
const WCLONE = 0x80000000;
/** waitid id types. */
const P_ALL = 0;
const P_PID = 1;
const P_PGID = 2;
/** si_code values for SIGCHLD. */
const CLD_EXITED = 1;
const CLD_KILLED = 2;
const CLD_STOPPED = 5;
const CLD_CONTINUED = 6;
/** sizeof(struct rusage) on 32-bit ARM. */
const RUSAGE_BYTES = 72;
/** Linux's limits on execve's argument and environment vectors. */
const MAX_ARG_STRINGS = 0x7fffffff;
const ARG_MAX = 32 * 4096 * 4;

/** Which children a wait names: pid > 0 one, 0 the caller's group, -1 any, < -1 group -pid. */
function matches(g: ThreadGroup, caller: ThreadGroup, pid: number): boolean {
  if (pid > 0) return g.pid === pid;
  if (pid === 0) return g.pgid === caller.pgid;
  if (pid === -1) return true;
  return g.pgid === -pid;
}

/** The caller's children a wait for `pid` covers (clone children only with __WALL/__WCLONE). */
function childrenOf(t: Task, pid: number, options: number): ThreadGroup[] {
  const me = t.group;
  return t.procs.groups().filter((g) => {
    if (g.ppid !== me.pid || g === me || !matches(g, me, pid)) return false;
    if (options & WALL) return true;
    const cloneChild = g.exitSignal !== SIGCHLD;
    return options & WCLONE ? cloneChild : !cloneChild;
  });
}

/** What a wait reports of a child: its end, or a stop or continue not reported yet. */
interface ChildEvent {
  child: ThreadGroup;
  kind: 'exit' | 'stopped' | 'continued';
}

/** The first reportable event among `children` for a wait with `options`. */
function eventOf(children: ThreadGroup[], options: number, exits: boolean): ChildEvent | undefined {
  for (const g of children) {
    if (g.exitState) {
      if (exits) return { child: g, kind: 'exit' };
      continue;
    }
    if (g.waitReport === 'stopped' && options & WUNTRACED) return { child: g, kind: 'stopped' };
    if (g.waitReport === 'continued' && options & WCONTINUED) return { child: g, kind: 'continued' };
  }
  return undefined;
}

/** wait4's status word: exit code << 8, the killing signal, 0x7f | stop signal << 8, or 0xffff. */
function waitStatus(e: ChildEvent): number {
  if (e.kind === 'stopped') return 0x7f | (e.child.stopped << 8);
  if (e.kind === 'continued') return 0xffff;
  const x = e.child.exitState!;
  return x.signal !== undefined ? x.signal & 0x7f : (x.status & 0xff) << 8;
}

/** Find a reportable event or block until there is one; -1 when there is no child to wait for. */
function awaitChild(t: Task, pid: number, options: number, exits: boolean, what: string): ChildEvent | 0 | -1 {
  const children = childrenOf(t, pid, options);
  if (!children.length) return -1;
  const event = eventOf(children, options, exits);
  if (event) return event;
  if (options & WNOHANG) return 0;
  throw new WouldBlock({
    ready: () => {
      const now = childrenOf(t, pid, options);
      return now.length === 0 || eventOf(now, options, exits) !== undefined;
    },
    what,
  });
}

/** Report `e` to the waiter: an end reaps the child (unless WNOWAIT), a stop or continue is reported once. */
function consume(t: Task, e: ChildEvent, options: number): void {
  if (options & WNOWAIT) return;
  if (e.kind === 'exit') t.procs.reap(e.child);
  else e.child.waitReport = undefined;
}

function wait4(t: Task, a: number[]): number {
  const [pidArg, statusPtr, options, rusage] = a;
  const pid = pidArg | 0;
  if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | WALL | WCLONE)) return -EINVAL;
  if (pid === -0x80000000) return -ESRCH;
  const e = awaitChild(t, pid, options, true, `a child (${pid}) to end`);
  if (e === -1) return -ECHILD;
  if (e === 0) return 0;
  if (statusPtr) t.space.writeU32(statusPtr, waitStatus(e));
  if (rusage) t.space.write(rusage, new Uint8Array(RUSAGE_BYTES));
  consume(t, e, options & ~WNOWAIT);
  return e.child.pid;
}

function waitid(t: Task, a: number[]): number {
  const [idtype, id, infop, options, rusage] = a;
  if (options & ~(WNOHANG | WUNTRACED | WEXITED | WCONTINUED | WNOWAIT | WALL | WCLONE) || !(options & (WEXITED | WUNTRACED | WCONTINUED))) return -EINVAL;
  let pid: number;
  if (idtype === P_ALL) pid = -1;
  else if (idtype === P_PID) pid = id | 0;
  else if (idtype === P_PGID) pid = id === 0 ? 0 : -(id | 0);
  else return -EINVAL;
  if (idtype === P_PID && pid <= 0) return -EINVAL;
  // WSTOPPED is WUNTRACED's bit.
  const e = awaitChild(t, pid, options, (options & WEXITED) !== 0, `a child (${idtype}:${id}) to change state`);
  if (e === -1) return -ECHILD;
  if (infop) {
    const info = new Uint8Array(128);
    const dv = new DataView(info.buffer);
    if (e !== 0) {
      const x = e.child.exitState;
      const code = e.kind === 'stopped' ? CLD_STOPPED : e.kind === 'continued' ? CLD_CONTINUED : x!.signal !== undefined ? CLD_KILLED : CLD_EXITED;
      const status = e.kind === 'stopped' ? e.child.stopped : e.kind === 'continued' ? SIGCONT : x!.signal !== undefined ? x!.signal : x!.status & 0xff;
      dv.setInt32(0, SIGCHLD, true);
      dv.setInt32(8, code, true);
      dv.setInt32(12, e.child.pid, true);
      dv.setUint32(16, e.child.uid, true);
      dv.setInt32(20, status, true);
    }
    t.space.write(infop, info);
  }
  if (rusage) t.space.write(rusage, new Uint8Array(RUSAGE_BYTES));
  if (e !== 0) consume(t, e, options);
  return 0;
}

/** A NULL-terminated vector of C strings from guest memory, as bytes. */
function readVector(t: Task, addr: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (!addr) return out;
  let total = 0;
  for (let i = 0; i < MAX_ARG_STRINGS; i++) {
    const p = t.space.readU32(addr + i * 4);
    if (!p) return out;
    const s = Buffer.from(t.space.readCString(p, ARG_MAX), 'latin1');
    total += s.length + 1 + 4;
    if (total > ARG_MAX) throw new E2bigError();
    out.push(s);
  }
  return out;
}

class E2bigError extends Error {}

function execve(t: Task, a: number[]): number {
  const [pathPtr, argvPtr, envpPtr] = a;
  const path = t.space.readCString(pathPtr);
  let argv: Uint8Array[];
  let envp: Uint8Array[];
  try {
    argv = readVector(t, argvPtr);
    envp = readVector(t, envpPtr);
  } catch (e) {
    if (e instanceof E2bigError) return -E2BIG;
    throw e;
  }
  if (!path) return -ENOENT;
  return t.procs.execve(t, path, argv, envp);
}

/** The pgid a process group call names: 0 means the caller. */
function groupArg(t: Task, pid: number): ThreadGroup | undefined {
  return pid === 0 ? t.group : t.procs.findGroup(pid);
}

function setpgid(t: Task, a: number[]): number {
  const pid = a[0] | 0;
  const pgid = a[1] | 0;
  if (pgid < 0) return -EINVAL;
  const g = groupArg(t, pid);
  if (!g || (g !== t.group && g.ppid !== t.group.pid)) return -ESRCH;
  // A session leader cannot move, and a process can only join a group of its own session.
  if (g.sid === g.pid || g.sid !== t.group.sid) return -EPERM;
  const target = pgid === 0 ? g.pid : pgid;
  if (target !== g.pid && !t.procs.groups().some((o) => o.pgid === target && o.sid === g.sid)) return -EPERM;
  g.pgid = target;
  return 0;
}

function setsid(t: Task): number {
  const g = t.group;
  if (t.procs.groups().some((o) => o.pgid === g.pid)) {
    if (g.pgid === g.pid) return -EPERM;
  }
  g.sid = g.pid;
  g.pgid = g.pid;
  return g.sid;
}

/** The process life-cycle syscalls. */
export const lifecycleSyscalls = syscallTable(
  {
    clone: (t, a) => t.procs.clone(t, { flags: a[0], stack: a[1], parentTid: a[2], tls: a[3], childTid: a[4] }),
    fork: (t) => t.procs.clone(t, { flags: SIGCHLD, stack: 0, parentTid: 0, tls: 0, childTid: 0 }),
    vfork: (t) => t.procs.clone(t, { flags: CLONE_VM | CLONE_VFORK | SIGCHLD, stack: 0, parentTid: 0, tls: 0, childTid: 0 }),
    execve,
    wait4,
    waitid,
    setpgid,
    getpgid(t, a) {
      const g = groupArg(t, a[0] | 0);
      return g ? g.pgid : -ESRCH;
    },
    getpgrp: (t) => t.group.pgid,
    setsid,
    getsid(t, a) {
      const g = groupArg(t, a[0] | 0);
      return g ? g.sid : -ESRCH;
    },
  },
  {
    clone: partial(
      'no namespaces, pidfds or ptrace; a process with MAP_SHARED anonymous memory cannot make a child without CLONE_VM (ENOMEM: it could not share it)',
    ),
    fork: partial('a process with MAP_SHARED anonymous memory cannot fork (ENOMEM: the child could not share it)'),
    vfork: SUPPORTED,
    execve: partial('ARM ELF programs (static, or dynamically linked with their loader in the guest\'s root) and "#!" scripts'),
    wait4: partial('rusage is zeros'),
    waitid: partial('rusage is zeros'),
    setpgid: SUPPORTED,
    getpgid: SUPPORTED,
    getpgrp: SUPPORTED,
    setsid: SUPPORTED,
    getsid: SUPPORTED,
  },
);
