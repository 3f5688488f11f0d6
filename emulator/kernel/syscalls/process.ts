/** Process start-up and lifetime syscalls: TLS, tid address, robust lists, signals, exit. */
import { EAGAIN, EINVAL, ENOSYS, ESRCH } from '../../abi/errno';
import { FUTEX_CMD_MASK, FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_WAKE, FUTEX_WAKE_BITSET } from '../../abi/futex';
import { SIGKILL } from '../../abi/signal';
import { Task } from '../task';
import { partial, SUPPORTED, syscallTable, unsupported } from '../syscall-table';
import { postSignal } from '../signal-actions';
import { SI_TKILL } from '../signal-delivery';

/** A signal sent to ourselves: ignored, left pending while blocked, or acted on (see signal-actions). */
function killSelf(t: Task, pid: number, sig: number): number {
  if (sig < 0 || sig > 64) return -EINVAL;
  // pid -1 means every process but the caller (and init): there is no other process to signal.
  if (pid !== t.group.pid && pid !== 0) return -ESRCH;
  if (sig !== 0) postSignal(t, sig);
  return 0;
}

/** A signal sent to a thread: the only thread there is is the caller. */
function killThread(t: Task, tid: number, sig: number): number {
  if (sig < 0 || sig > 64) return -EINVAL;
  if (tid !== t.tid) return -ESRCH;
  if (sig !== 0) postSignal(t, sig, SI_TKILL);
  return 0;
}

/** futex for a single-threaded process: a wait whose value matches could never be woken. */
function futex(t: Task, a: number[]): number {
  const [uaddr, op, val] = a;
  switch (op & FUTEX_CMD_MASK) {
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
      return 0;
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
      if (t.space.readU32(uaddr) !== val) return -EAGAIN;
      // Nobody else can wake us: this is a deadlock in the guest; end it the way a watchdog would.
      t.exit(128 + SIGKILL, SIGKILL);
      return 0;
    default:
      return -ENOSYS;
  }
}

const FUTEX_NOTE = 'one thread: FUTEX_WAKE wakes nobody; a FUTEX_WAIT that would block ends the process (nobody could wake it); other operations are ENOSYS';

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
      t.exit(a[0] & 0xff);
      return 0;
    },
    exit_group(t, a) {
      t.exit(a[0] & 0xff);
      return 0;
    },
    kill: (t, a) => killSelf(t, a[0] | 0, a[1] | 0),
    tgkill: (t, a) => killThread(t, a[1] | 0, a[2] | 0),
    tkill: (t, a) => killThread(t, a[0] | 0, a[1] | 0),
    futex,
    futex_time64: futex,
    sched_yield: () => 0,
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
    set_robust_list: partial('accepted and kept nowhere: with one thread there is no robust futex to release'),
    rseq: unsupported('ENOSYS: restartable sequences are not offered (glibc falls back)'),
    exit: SUPPORTED,
    exit_group: SUPPORTED,
    kill: partial('only the calling process can be signalled'),
    tgkill: partial('only the calling thread can be signalled'),
    tkill: partial('only the calling thread can be signalled'),
    futex: partial(FUTEX_NOTE),
    futex_time64: partial(FUTEX_NOTE),
    sched_yield: SUPPORTED,
    getrandom: SUPPORTED,
  },
);
