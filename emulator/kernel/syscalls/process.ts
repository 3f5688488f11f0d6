/** Process start-up and lifetime syscalls: TLS, tid address, robust lists, signals, exit. */
import { EINVAL, ENOSYS, ESRCH } from '../../abi/errno';
import { FUTEX_NOTE, futexCall } from './futex';
import { SIGCONT, SIGKILL } from '../../abi/signal';
import { Task } from '../task';
import { ThreadGroup } from '../thread-group';
import { partial, SUPPORTED, syscallTable, unsupported } from '../syscall-table';
import { postSignal, setOf, sigBit } from '../signal-actions';
import { sendSignal, SI_TKILL, SI_USER } from '../signal-delivery';

/** Send `sig` to process `g`: to its first thread that does not block it, else its first thread. */
function signalGroup(t: Task, g: ThreadGroup, sig: number): void {
  if (sig === 0 || g.exitState) return;
  resumeFor(t, g, sig);
  const tasks = t.procs.tasksOf(g);
  const target = tasks.find((x) => (setOf(x.blocked) & sigBit(sig)) === 0n) ?? tasks[0];
  if (target) sendSignal(target, { signo: sig, code: SI_USER, pid: t.group.pid, uid: t.group.uid });
}

/** SIGCONT (and SIGKILL, which must be able to end it) resume a stopped process when generated. */
function resumeFor(t: Task, g: ThreadGroup, sig: number): void {
  if (sig === SIGCONT || sig === SIGKILL) t.procs.continueGroup(g);
}

/** kill(2): one process, the caller's group, a group, or every process but init and the caller's. */
function kill(t: Task, pid: number, sig: number): number {
  if (sig < 0 || sig > 64) return -EINVAL;
  let targets: ThreadGroup[];
  if (pid > 0) {
    const g = t.procs.findGroup(pid);
    targets = g && !g.exitState ? [g] : [];
  } else if (pid === 0 || pid < -1) {
    const pgid = pid === 0 ? t.group.pgid : -pid;
    targets = t.procs.groups().filter((g) => g.pgid === pgid && !g.exitState);
  } else {
    targets = t.procs.groups().filter((g) => g !== t.group && !g.exitState);
    // -1 reaches every process the caller may signal but itself; with none, ESRCH.
    if (!targets.length) return -ESRCH;
  }
  if (!targets.length) return -ESRCH;
  // The caller last: a fatal signal to itself must not stop it signalling the others.
  for (const g of targets.filter((x) => x !== t.group)) signalGroup(t, g, sig);
  if (targets.includes(t.group) && sig !== 0) {
    resumeFor(t, t.group, sig);
    postSignal(t, sig);
  }
  return 0;
}

/** tgkill/tkill: one thread (of process `tgid` when it is not -1). */
function killThread(t: Task, tgid: number, tid: number, sig: number): number {
  if (sig < 0 || sig > 64 || tid <= 0) return -EINVAL;
  const target = t.procs.findTask(tid);
  if (!target || (tgid !== -1 && target.group.pid !== tgid)) return -ESRCH;
  if (sig !== 0) resumeFor(t, target.group, sig);
  if (sig !== 0) sendSignal(target, { signo: sig, code: SI_TKILL, pid: t.group.pid, uid: t.group.uid });
  return 0;
}

/** The process syscalls. */
export const processSyscalls = syscallTable(
  {
    ARM_set_tls(t, a) {
      t.cpu.setTls(a[0]);
      return 0;
    },
    set_tid_address(t, a) {
      t.clearChildTid = a[0];
      return t.tid;
    },
    set_robust_list: (_t, a) => (a[1] === 12 ? 0 : -EINVAL),
    rseq: () => -ENOSYS,
    exit(t, a) {
      t.procs.exitThread(t, a[0] & 0xff);
      return 0;
    },
    exit_group(t, a) {
      t.exit(a[0] & 0xff);
      return 0;
    },
    kill: (t, a) => kill(t, a[0] | 0, a[1] | 0),
    tgkill: (t, a) => killThread(t, a[0] | 0, a[1] | 0, a[2] | 0),
    tkill: (t, a) => killThread(t, -1, a[0] | 0, a[1] | 0),
    futex: futexCall(false),
    futex_time64: futexCall(true),
    sched_yield(t) {
      t.procs.yieldSlice();
      return 0;
    },
    getrandom(t, a) {
      const [buf, len, flags] = a;
      // GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE; the modelled pool is always ready.
      if (flags & ~7 || (flags & 6) === 6) return -EINVAL;
      if (len > 33554431) return -EINVAL;
      const out = new Uint8Array(len);
      t.rng.fill(out);
      t.space.write(buf, out);
      return len;
    },
  },
  {
    ARM_set_tls: SUPPORTED,
    set_tid_address: SUPPORTED,
    set_robust_list: partial('accepted and kept nowhere: a thread that dies holding a robust mutex does not release it'),
    rseq: unsupported('ENOSYS: restartable sequences are not offered (glibc falls back)'),
    exit: SUPPORTED,
    exit_group: SUPPORTED,
    kill: partial('no permission checks (every process has the same user)'),
    tgkill: SUPPORTED,
    tkill: SUPPORTED,
    futex: partial(FUTEX_NOTE),
    futex_time64: partial(FUTEX_NOTE),
    sched_yield: SUPPORTED,
    getrandom: SUPPORTED,
  },
);
