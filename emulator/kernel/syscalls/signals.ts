/**
 * Signal syscalls: dispositions (per process), the blocked mask, pending set and alternate stack
 * (per thread) as Linux keeps them; sigreturn from handlers (signal-delivery.ts delivers them);
 * waiting for signals (pause, sigsuspend, sigtimedwait); and the interval timers.
 */
import { EAGAIN, EINVAL, ENOMEM, EPERM } from '../../abi/errno';
import { MINSIGSTKSZ, NSIG, SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK, SIGKILL, SIGSET_SIZE, SIGSTOP, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK } from '../../abi/signal';
import { WouldBlock } from '../blocking';
import { StructWriter } from '../guest-structs';
import { ITIMER_PROF, ITIMER_REAL } from '../interval-timers';
import { dequeueSignal, discardIfIgnored, setOf, signalReturn, UNBLOCKABLE, wordsOf } from '../signal-delivery';
import { altStackFlags, encodeSigInfo } from '../signal-frame';
import { partial, SUPPORTED, syscallTable } from '../syscall-table';
import { Task } from '../task';
import { readTimespec32, readTimespec64 } from './time';

function readSigset(t: Task, addr: number): bigint {
  return BigInt(t.space.readU32(addr)) | (BigInt(t.space.readU32(addr + 4)) << 32n);
}

function rtSigaction(t: Task, a: number[]): number {
  const [sig, act, oact, size] = a;
  if (size !== SIGSET_SIZE || sig < 1 || sig > NSIG) return -EINVAL;
  if (act && (sig === SIGKILL || sig === SIGSTOP)) return -EINVAL;
  const actions = t.group.actions;
  // Read the new action before writing the old one: act and oact may be the same buffer.
  const next = act ? [0, 4, 8, 12, 16].map((off) => t.space.readU32(act + off)) : undefined;
  if (oact) {
    const old = actions[sig] ?? [0, 0, 0, 0, 0];
    const w = new StructWriter(20);
    old.forEach((v, i) => w.u32(i * 4, v));
    t.space.write(oact, w.bytes);
  }
  if (next) {
    actions[sig] = next;
    discardIfIgnored(t, sig);
  }
  return 0;
}

function rtSigprocmask(t: Task, a: number[]): number {
  const [how, set, oset, size] = a;
  if (size !== SIGSET_SIZE) return -EINVAL;
  const old = setOf(t.blocked);
  let next: bigint | undefined;
  if (set) {
    const m = readSigset(t, set);
    if (how === SIG_BLOCK) next = old | m;
    else if (how === SIG_UNBLOCK) next = old & ~m;
    else if (how === SIG_SETMASK) next = m;
    else return -EINVAL;
  }
  if (oset) t.space.write(oset, new StructWriter(8).u64(0, old).bytes);
  // Unblocking a pending signal delivers it when the syscall returns, as Linux does.
  if (next !== undefined) t.blocked = wordsOf(next & ~UNBLOCKABLE);
  return 0;
}

/** rt_sigpending: the pending signals that are blocked (the others were already acted on). */
function rtSigpending(t: Task, a: number[]): number {
  const [set, size] = a;
  if (size > SIGSET_SIZE) return -EINVAL;
  const bytes = new StructWriter(8).u64(0, setOf(t.pending) & setOf(t.blocked)).bytes;
  t.space.write(set, bytes.subarray(0, size));
  return 0;
}

function sigaltstack(t: Task, a: number[]): number {
  const [ss, oss] = a;
  let next: [number, number, number] | undefined;
  if (ss) {
    const sp = t.space.readU32(ss);
    const flags = t.space.readU32(ss + 4);
    const size = t.space.readU32(ss + 8);
    const mode = flags & ~SS_AUTODISARM;
    if (mode !== 0 && mode !== SS_DISABLE && mode !== SS_ONSTACK) return -EINVAL;
    // The stack a handler runs on cannot be changed under it.
    if (altStackFlags(t.altstack, t.cpu.r(13)) === SS_ONSTACK) return -EPERM;
    if (mode === SS_DISABLE) next = [0, SS_DISABLE, 0];
    else if (size < MINSIGSTKSZ) return -ENOMEM;
    else next = [sp, flags >>> 0, size];
  }
  if (oss) {
    const [sp, flags, size] = t.altstack;
    const state = altStackFlags(t.altstack, t.cpu.r(13)) | (flags & SS_AUTODISARM);
    t.space.write(oss, new StructWriter(12).u32(0, sp).u32(4, state).u32(8, size).bytes);
  }
  if (next) t.altstack = next;
  return 0;
}

/** Block in a syscall until a signal interrupts it (the dispatcher returns -EINTR then). */
function waitForSignal(what: string): never {
  throw new WouldBlock({ ready: () => false, what });
}

/** rt_sigsuspend/sigsuspend: wait with `mask` in place; the handler's return puts the old mask back. */
function suspend(t: Task, mask: bigint): number {
  if (!t.savedMask) {
    t.savedMask = [...t.blocked];
    t.blocked = wordsOf(mask & ~UNBLOCKABLE);
  }
  return waitForSignal('sigsuspend');
}

/** rt_sigtimedwait: take a pending signal of `set`, or wait for one until the timeout. */
function sigtimedwait(wide: boolean) {
  return (t: Task, a: number[]): number => {
    const [setAddr, infoAddr, timeout, size] = a;
    if (size !== SIGSET_SIZE) return -EINVAL;
    const set = readSigset(t, setAddr) & ~UNBLOCKABLE;
    const ready = setOf(t.pending) & set;
    if (ready !== 0n) {
      t.progress = 0;
      let sig = 1;
      while ((ready & (1n << BigInt(sig - 1))) === 0n) sig++;
      const info = dequeueSignal(t, sig);
      if (infoAddr) t.space.write(infoAddr, encodeSigInfo(info));
      return sig;
    }
    const now = t.clock.monotonicNs();
    let deadline: bigint | undefined;
    if (timeout) {
      const ns = (wide ? readTimespec64 : readTimespec32)(t, timeout);
      if (ns === undefined) return -EINVAL;
      // The first attempt fixes the deadline; retries keep it (task.progress, in ns).
      if (t.progress === 0) t.progress = Number(now + ns) + 1;
      deadline = BigInt(t.progress - 1);
      if (now >= deadline) {
        t.progress = 0;
        return -EAGAIN;
      }
    }
    throw new WouldBlock({ ready: () => (setOf(t.pending) & set) !== 0n, deadlineNs: deadline, what: 'rt_sigtimedwait' });
  };
}

/** struct itimerval (two 32-bit timevals: interval, then value) at `addr`, in ns; undefined when invalid. */
function readItimerval(t: Task, addr: number): { interval: bigint; value: bigint } | undefined {
  const w = [0, 4, 8, 12].map((o) => t.space.readU32(addr + o) | 0);
  if (w[1] < 0 || w[1] >= 1e6 || w[3] < 0 || w[3] >= 1e6 || w[0] < 0 || w[2] < 0) return undefined;
  const ns = (sec: number, usec: number) => BigInt(sec) * 1_000_000_000n + BigInt(usec) * 1000n;
  return { interval: ns(w[0], w[1]), value: ns(w[2], w[3]) };
}

function writeItimerval(t: Task, addr: number, v: { interval: bigint; remaining: bigint }): void {
  const tv = (ns: bigint) => [Number(ns / 1_000_000_000n), Number((ns % 1_000_000_000n) / 1000n)];
  const [is, iu] = tv(v.interval);
  const [vs, vu] = tv(v.remaining);
  t.space.write(addr, new StructWriter(16).u32(0, is).u32(4, iu).u32(8, vs).u32(12, vu).bytes);
}

/** The clock timer `which` counts: modelled time since boot, or busy time. */
function timerNow(t: Task, which: number): bigint {
  return which === ITIMER_REAL ? t.clock.monotonicNs() : t.clock.busyNs();
}

function setitimer(t: Task, a: number[]): number {
  const [which, newAddr, oldAddr] = a;
  if (which < ITIMER_REAL || which > ITIMER_PROF) return -EINVAL;
  const next = newAddr ? readItimerval(t, newAddr) : { interval: 0n, value: 0n };
  if (!next) return -EINVAL;
  const old = t.group.itimers.set(which, timerNow(t, which), next.value, next.interval);
  if (oldAddr) writeItimerval(t, oldAddr, old);
  return 0;
}

function getitimer(t: Task, a: number[]): number {
  const [which, addr] = a;
  if (which < ITIMER_REAL || which > ITIMER_PROF) return -EINVAL;
  writeItimerval(t, addr, t.group.itimers.get(which, timerNow(t, which)));
  return 0;
}

/** The signal syscalls. */
export const signalSyscalls = syscallTable(
  {
    rt_sigaction: rtSigaction,
    rt_sigprocmask: rtSigprocmask,
    rt_sigpending: rtSigpending,
    sigpending: (t, a) => rtSigpending(t, [a[0], 4]),
    sigaltstack,
    rt_sigreturn: (t) => signalReturn(t, true),
    sigreturn: (t) => signalReturn(t, false),
    rt_sigsuspend(t, a) {
      if (a[1] !== SIGSET_SIZE) return -EINVAL;
      return suspend(t, readSigset(t, a[0]));
    },
    sigsuspend: (t, a) => suspend(t, BigInt(a[2] >>> 0)),
    pause: () => waitForSignal('pause'),
    rt_sigtimedwait: sigtimedwait(false),
    rt_sigtimedwait_time64: sigtimedwait(true),
    setitimer,
    getitimer,
  },
  {
    rt_sigaction: SUPPORTED,
    rt_sigprocmask: SUPPORTED,
    rt_sigpending: SUPPORTED,
    sigpending: SUPPORTED,
    sigaltstack: SUPPORTED,
    rt_sigreturn: SUPPORTED,
    sigreturn: SUPPORTED,
    rt_sigsuspend: SUPPORTED,
    sigsuspend: SUPPORTED,
    pause: SUPPORTED,
    rt_sigtimedwait: SUPPORTED,
    rt_sigtimedwait_time64: SUPPORTED,
    setitimer: partial(
      'ITIMER_REAL runs on the modelled clock and fires at syscalls, sleeps and run slices (up to a slice late in a loop without syscalls); ITIMER_VIRTUAL and ITIMER_PROF count the CPU busy time',
    ),
    getitimer: SUPPORTED,
  },
);
