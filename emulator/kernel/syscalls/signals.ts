/**
 * Signal bookkeeping: dispositions, the blocked mask and the alternate stack are kept and reported
 * back exactly as Linux does. Signals are never delivered asynchronously (see README "Limits").
 */
import { EINVAL, ENOMEM } from '../../abi/errno';
import { StructWriter } from '../guest-structs';
import { KernelContext, SyscallTable } from '../context';
import { deliverUnblocked, discardIfIgnored, pendingSet, setOf, wordsOf } from '../signal-actions';

const SIGKILL = 9;
const SIGSTOP = 19;
const NSIG = 64;
const SIGSET_SIZE = 8;
const SIG_BLOCK = 0;
const SIG_UNBLOCK = 1;
const SIG_SETMASK = 2;
const SS_ONSTACK = 1;
const SS_DISABLE = 2;
const SS_AUTODISARM = 1 << 31;
const MINSIGSTKSZ = 2048;
/** SIGKILL and SIGSTOP can never be blocked. */
const UNBLOCKABLE = (1n << BigInt(SIGKILL - 1)) | (1n << BigInt(SIGSTOP - 1));

/** Per-process signal state, plain data so checkpoints can capture it. */
export interface SignalState {
  /** struct sigaction words (handler, flags, restorer, mask low, mask high) by signal number. */
  actions: Record<number, number[]>;
  /** Blocked mask as [low word, high word]. */
  blocked: [number, number];
  /** Signals generated while blocked, as [low word, high word]; absent in older checkpoints. */
  pending?: [number, number];
  /** sigaltstack: sp, flags, size. */
  altstack: [number, number, number];
}

/** The state of a process that has touched nothing. */
export function initialSignalState(): SignalState {
  return { actions: {}, blocked: [0, 0], pending: [0, 0], altstack: [0, SS_DISABLE, 0] };
}

function setMask(s: SignalState, m: bigint): void {
  s.blocked = wordsOf(m & ~UNBLOCKABLE);
}

function readSigset(k: KernelContext, addr: number): bigint {
  return BigInt(k.space.readU32(addr)) | (BigInt(k.space.readU32(addr + 4)) << 32n);
}

function rtSigaction(k: KernelContext, a: number[]): number {
  const [sig, act, oact, size] = a;
  if (size !== SIGSET_SIZE || sig < 1 || sig > NSIG) return -EINVAL;
  if (act && (sig === SIGKILL || sig === SIGSTOP)) return -EINVAL;
  const s = k.proc.signals;
  // Read the new action before writing the old one: act and oact may be the same buffer.
  const next = act ? [0, 4, 8, 12, 16].map((off) => k.space.readU32(act + off)) : undefined;
  if (oact) {
    const old = s.actions[sig] ?? [0, 0, 0, 0, 0];
    const w = new StructWriter(20);
    old.forEach((v, i) => w.u32(i * 4, v));
    k.space.write(oact, w.bytes);
  }
  if (next) {
    s.actions[sig] = next;
    discardIfIgnored(s, sig);
  }
  return 0;
}

function rtSigprocmask(k: KernelContext, a: number[]): number {
  const [how, set, oset, size] = a;
  if (size !== SIGSET_SIZE) return -EINVAL;
  const s = k.proc.signals;
  const old = setOf(s.blocked);
  let next: bigint | undefined;
  if (set) {
    const m = readSigset(k, set);
    if (how === SIG_BLOCK) next = old | m;
    else if (how === SIG_UNBLOCK) next = old & ~m;
    else if (how === SIG_SETMASK) next = m;
    else return -EINVAL;
  }
  if (oset) k.space.write(oset, new StructWriter(8).u64(0, old).bytes);
  if (next !== undefined) {
    setMask(s, next);
    // Unblocking a pending signal delivers it before the syscall returns, as Linux does.
    deliverUnblocked(k);
  }
  return 0;
}

/** rt_sigpending: the pending signals that are blocked (the others were already acted on). */
function rtSigpending(k: KernelContext, a: number[]): number {
  const [set, size] = a;
  if (size > SIGSET_SIZE) return -EINVAL;
  const s = k.proc.signals;
  const bytes = new StructWriter(8).u64(0, pendingSet(s) & setOf(s.blocked)).bytes;
  k.space.write(set, bytes.subarray(0, size));
  return 0;
}

function sigaltstack(k: KernelContext, a: number[]): number {
  const [ss, oss] = a;
  const s = k.proc.signals;
  let next: [number, number, number] | undefined;
  if (ss) {
    const sp = k.space.readU32(ss);
    const flags = k.space.readU32(ss + 4);
    const size = k.space.readU32(ss + 8);
    const mode = flags & ~SS_AUTODISARM;
    if (mode !== 0 && mode !== SS_DISABLE && mode !== SS_ONSTACK) return -EINVAL;
    if (mode === SS_DISABLE) next = [0, SS_DISABLE, 0];
    else if (size < MINSIGSTKSZ) return -ENOMEM;
    else next = [sp, flags & SS_AUTODISARM, size];
  }
  if (oss) {
    const [sp, flags, size] = s.altstack;
    k.space.write(oss, new StructWriter(12).u32(0, sp).u32(4, flags).u32(8, size).bytes);
  }
  if (next) s.altstack = next;
  return 0;
}

/** The signal syscalls. */
export const signalSyscalls: SyscallTable = {
  rt_sigaction: rtSigaction,
  rt_sigprocmask: rtSigprocmask,
  rt_sigpending: rtSigpending,
  sigpending: (k, a) => rtSigpending(k, [a[0], 4]),
  sigaltstack,
};

