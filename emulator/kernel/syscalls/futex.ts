/**
 * futex(2): waits and wake-ups on 32-bit words, the primitive under glibc's mutexes, condition
 * variables, barriers and pthread_join. Waiters queue first come, first served (FutexTable), so
 * which thread a wake-up picks is the same on every run.
 */
import { EAGAIN, EINVAL, ENOSYS, ETIMEDOUT } from '../../abi/errno';
import {
  FUTEX_BITSET_MATCH_ANY,
  FUTEX_CLOCK_REALTIME,
  FUTEX_CMD_MASK,
  FUTEX_CMP_REQUEUE,
  FUTEX_REQUEUE,
  FUTEX_WAIT,
  FUTEX_WAIT_BITSET,
  FUTEX_WAKE,
  FUTEX_WAKE_BITSET,
  FUTEX_WAKE_OP,
} from '../../abi/futex';
import { WouldBlock } from '../blocking';
import { FutexWaiter } from '../futex-table';
import { Task } from '../task';
import { readTimespec32, readTimespec64 } from './time';

/** The queued wait of a task blocked in FUTEX_WAIT, found again when its syscall is retried. */
const waiting = new WeakMap<Task, FutexWaiter>();

/** The wait a blocked task is in, if any (checkpoints and reports). */
export function futexWaitOf(t: Task): FutexWaiter | undefined {
  return waiting.get(t);
}

/** A 12-bit signed field of FUTEX_WAKE_OP's encoded operation. */
function signed12(v: number): number {
  return (v << 20) >> 20;
}

/** FUTEX_WAKE_OP: change the second word, wake on the first, and on the second if the old value passes the test. */
function wakeOp(t: Task, uaddr: number, n: number, n2: number, uaddr2: number, encoded: number): number {
  const opKind = (encoded >>> 28) & 7;
  const shift = (encoded >>> 28) & 8;
  const cmp = (encoded >>> 24) & 15;
  let oparg = signed12((encoded >>> 12) & 0xfff);
  const cmparg = signed12(encoded & 0xfff);
  if (shift) {
    if (oparg < 0 || oparg > 31) return -EINVAL;
    oparg = 1 << oparg;
  }
  const old = t.space.readU32(uaddr2) | 0;
  let next: number;
  switch (opKind) {
    case 0:
      next = oparg;
      break;
    case 1:
      next = old + oparg;
      break;
    case 2:
      next = old | oparg;
      break;
    case 3:
      next = old & ~oparg;
      break;
    case 4:
      next = old ^ oparg;
      break;
    default:
      return -ENOSYS;
  }
  t.space.writeU32(uaddr2, next >>> 0);
  let pass: boolean;
  switch (cmp) {
    case 0:
      pass = old === cmparg;
      break;
    case 1:
      pass = old !== cmparg;
      break;
    case 2:
      pass = old < cmparg;
      break;
    case 3:
      pass = old <= cmparg;
      break;
    case 4:
      pass = old > cmparg;
      break;
    case 5:
      pass = old >= cmparg;
      break;
    default:
      return -ENOSYS;
  }
  const f = t.procs.futexes;
  return f.wake(t.space, uaddr, n) + (pass ? f.wake(t.space, uaddr2, n2) : 0);
}

/** FUTEX_WAIT and FUTEX_WAIT_BITSET: queue, block until woken or the timeout, then report which. */
function wait(t: Task, uaddr: number, val: number, timeout: number, bitset: number, absolute: boolean, realtime: boolean, wide: boolean): number {
  const f = t.procs.futexes;
  const queued = waiting.get(t);
  if (queued) {
    if (queued.woken) {
      waiting.delete(t);
      t.deadline = undefined;
      return 0;
    }
    if (t.deadline !== undefined && t.clock.monotonicNs() >= t.deadline) {
      f.remove(queued);
      waiting.delete(t);
      t.deadline = undefined;
      return -ETIMEDOUT;
    }
    throw new WouldBlock({ ready: () => queued.woken, deadlineNs: t.deadline, what: `futex 0x${uaddr.toString(16)}` });
  }
  if (uaddr % 4 !== 0) return -EINVAL;
  if (bitset === 0) return -EINVAL;
  if (t.space.readU32(uaddr) !== val >>> 0) return -EAGAIN;
  if (timeout) {
    const ns = (wide ? readTimespec64 : readTimespec32)(t, timeout);
    if (ns === undefined) return -EINVAL;
    const now = t.clock.monotonicNs();
    // WAIT takes a relative timeout; WAIT_BITSET an absolute one on its clock.
    t.deadline = !absolute ? now + ns : realtime ? now + (ns - t.clock.realtimeNs()) : ns;
    if (t.deadline <= now) {
      t.deadline = undefined;
      return -ETIMEDOUT;
    }
  }
  const w = f.enqueue(t.space, uaddr, t.tid, bitset);
  waiting.set(t, w);
  throw new WouldBlock({ ready: () => w.woken, deadlineNs: t.deadline, what: `futex 0x${uaddr.toString(16)}` });
}

/** futex and futex_time64 (`wide`: 64-bit timespec). */
export function futexCall(wide: boolean) {
  return (t: Task, a: number[]): number => {
    const [uaddr, op, val, timeout, uaddr2, val3] = a;
    const realtime = (op & FUTEX_CLOCK_REALTIME) !== 0;
    const f = t.procs.futexes;
    switch (op & FUTEX_CMD_MASK) {
      case FUTEX_WAIT:
        if (realtime) return -ENOSYS;
        return wait(t, uaddr, val, timeout, FUTEX_BITSET_MATCH_ANY, false, false, wide);
      case FUTEX_WAIT_BITSET:
        return wait(t, uaddr, val, timeout, val3, true, realtime, wide);
      case FUTEX_WAKE:
        return f.wake(t.space, uaddr, val | 0);
      case FUTEX_WAKE_BITSET:
        if (val3 === 0) return -EINVAL;
        return f.wake(t.space, uaddr, val | 0, val3);
      case FUTEX_REQUEUE:
        return f.requeue(t.space, uaddr, val | 0, uaddr2, timeout | 0);
      case FUTEX_CMP_REQUEUE:
        if ((val | 0) < 0 || (timeout | 0) < 0) return -EINVAL;
        if (t.space.readU32(uaddr) !== val3 >>> 0) return -EAGAIN;
        return f.requeue(t.space, uaddr, val | 0, uaddr2, timeout | 0);
      case FUTEX_WAKE_OP:
        return wakeOp(t, uaddr, val | 0, timeout | 0, uaddr2, val3);
      default:
        return -ENOSYS;
    }
  };
}

/** What futex serves and what it does not. */
export const FUTEX_NOTE = 'WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAIT_BITSET, WAKE_BITSET and WAKE_OP; priority-inheritance operations are ENOSYS';

/** Make `w` the futex wait task `t` is blocked in (restoring a checkpoint). */
export function setFutexWait(t: Task, w: FutexWaiter): void {
  waiting.set(t, w);
}

/** Take a task out of the futex wait it is blocked in (a signal interrupted it). */
export function cancelFutexWait(t: Task): void {
  const w = waiting.get(t);
  if (!w) return;
  t.procs.futexes.remove(w);
  waiting.delete(t);
}
