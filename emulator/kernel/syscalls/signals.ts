/**
 * Signal bookkeeping: dispositions (per process), the blocked mask, pending set and alternate
 * stack (per thread) are kept and reported back exactly as Linux does. Signals are never
 * delivered asynchronously and handlers never run (see README "Limits").
 */
import { EINVAL, ENOMEM } from '../../abi/errno';
import { MINSIGSTKSZ, NSIG, SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK, SIGKILL, SIGSET_SIZE, SIGSTOP, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK } from '../../abi/signal';
import { StructWriter } from '../guest-structs';
import { deliverUnblocked, discardIfIgnored, setOf, sigBit, wordsOf } from '../signal-actions';
import { partial, SUPPORTED, syscallTable } from '../syscall-table';
import { Task } from '../task';

/** SIGKILL and SIGSTOP can never be blocked. */
const UNBLOCKABLE = sigBit(SIGKILL) | sigBit(SIGSTOP);

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
  if (next !== undefined) {
    t.blocked = wordsOf(next & ~UNBLOCKABLE);
    // Unblocking a pending signal delivers it before the syscall returns, as Linux does.
    deliverUnblocked(t);
  }
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
    if (mode === SS_DISABLE) next = [0, SS_DISABLE, 0];
    else if (size < MINSIGSTKSZ) return -ENOMEM;
    else next = [sp, flags & SS_AUTODISARM, size];
  }
  if (oss) {
    const [sp, flags, size] = t.altstack;
    t.space.write(oss, new StructWriter(12).u32(0, sp).u32(4, flags).u32(8, size).bytes);
  }
  if (next) t.altstack = next;
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
  },
  {
    rt_sigaction: partial('dispositions are kept and reported; handlers never run: a caught signal ends the process as its default action would'),
    rt_sigprocmask: SUPPORTED,
    rt_sigpending: SUPPORTED,
    sigpending: SUPPORTED,
    sigaltstack: partial('the stack is kept and reported; no handler ever runs on it'),
  },
);
