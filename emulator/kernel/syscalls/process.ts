/** Process start-up and lifetime syscalls: TLS, tid address, robust lists, signals, exit. */
import { EAGAIN, EINVAL, ENOSYS, ESRCH } from '../../abi/errno';
import { KernelContext, SyscallTable } from '../context';
import { postSignal } from '../signal-actions';

const FUTEX_CMD_MASK = 0x7f;
const FUTEX_WAIT = 0;
const FUTEX_WAKE = 1;
const FUTEX_WAIT_BITSET = 9;
const FUTEX_WAKE_BITSET = 10;
const SIGKILL = 9;

/** A signal sent to ourselves: ignored, left pending while blocked, or acted on (see signal-actions). */
function killSelf(k: KernelContext, pid: number, sig: number): number {
  if (sig < 0 || sig > 64) return -EINVAL;
  // pid -1 means every process but the caller (and init): there is no other process to signal.
  if (pid !== k.proc.pid && pid !== 0) return -ESRCH;
  if (sig !== 0) postSignal(k, sig);
  return 0;
}

/** futex for a single-threaded process: a wait whose value matches could never be woken. */
function futex(k: KernelContext, a: number[]): number {
  const [uaddr, op, val] = a;
  switch (op & FUTEX_CMD_MASK) {
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
      return 0;
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
      if (k.space.readU32(uaddr) !== val) return -EAGAIN;
      // Nobody else can wake us: this is a deadlock in the guest; end it the way a watchdog would.
      k.exit(128 + SIGKILL, SIGKILL);
      return 0;
    default:
      return -ENOSYS;
  }
}

/** The process syscalls. */
export const processSyscalls: SyscallTable = {
  ARM_set_tls(k, a) {
    k.cpu.setTls(a[0]);
    return 0;
  },
  set_tid_address(k, a) {
    k.proc.clearChildTid = a[0];
    return k.proc.pid;
  },
  set_robust_list: (_k, a) => (a[1] === 12 ? 0 : -EINVAL),
  rseq: () => -ENOSYS,
  exit(k, a) {
    k.exit(a[0] & 0xff);
    return 0;
  },
  exit_group(k, a) {
    k.exit(a[0] & 0xff);
    return 0;
  },
  kill: (k, a) => killSelf(k, a[0] | 0, a[1] | 0),
  tgkill: (k, a) => killSelf(k, a[1] | 0, a[2] | 0),
  tkill: (k, a) => killSelf(k, a[0] | 0, a[1] | 0),
  futex,
  futex_time64: futex,
  sched_yield: () => 0,
  getrandom(k, a) {
    const [buf, len, flags] = a;
    // GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE; the modelled pool is always ready.
    if (flags & ~7 || (flags & 6) === 6) return -EINVAL;
    if (len > 33554431) return -EINVAL;
    const out = new Uint8Array(len);
    k.rng.fill(out);
    k.space.write(buf, out);
    return len;
  },
};
