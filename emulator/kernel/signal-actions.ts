/**
 * What happens to a signal the process sends itself (kill, tgkill, a write to a broken pipe):
 * Linux's generation rules for one thread. Ignored signals are discarded, blocked ones stay
 * pending until unblocked, and the rest take their default action. Handlers are not run here:
 * a signal with a handler ends the process as its default action would (see the README).
 */
import type { KernelContext } from './context';
import type { SignalState } from './syscalls/signals';

const SIG_DFL = 0;
const SIG_IGN = 1;
export const SIGKILL = 9;
export const SIGPIPE = 13;
export const SIGSTOP = 19;
/** Signals whose default action is to do nothing: SIGCHLD, SIGCONT (nothing to continue), SIGURG, SIGWINCH. */
const DEFAULT_IGNORED = new Set([17, 18, 23, 28]);

/** The bit of `sig` in a 64-bit signal set. */
export function sigBit(sig: number): bigint {
  return 1n << BigInt(sig - 1);
}

/** A [low, high] word pair as a 64-bit set. */
export function setOf(words: readonly [number, number]): bigint {
  return (BigInt(words[1] >>> 0) << 32n) | BigInt(words[0] >>> 0);
}

/** A 64-bit set as a [low, high] word pair. */
export function wordsOf(set: bigint): [number, number] {
  const v = set & 0xffffffffffffffffn;
  return [Number(v & 0xffffffffn), Number(v >> 32n)];
}

/** The pending set (absent in states saved before it was tracked). */
function pendingOf(s: SignalState): bigint {
  return s.pending ? setOf(s.pending) : 0n;
}

/** The handler word of `sig`'s disposition. */
function handlerOf(s: SignalState, sig: number): number {
  return s.actions[sig]?.[0] ?? SIG_DFL;
}

/** Whether delivering `sig` now would do nothing: explicitly ignored, or ignored by default. */
export function isIgnored(s: SignalState, sig: number): boolean {
  if (sig === SIGKILL || sig === SIGSTOP) return false;
  const h = handlerOf(s, sig);
  return h === SIG_IGN || (h === SIG_DFL && DEFAULT_IGNORED.has(sig));
}

/** Act on `sig` as if delivered now: discard it or end the process. */
function act(k: KernelContext, sig: number): void {
  if (isIgnored(k.proc.signals, sig)) return;
  // Default actions that terminate (with or without a core) and handlers alike end the run here.
  k.exit(128 + sig, sig);
}

/**
 * Generate `sig` for the process. Like Linux, a blocked signal is never considered ignored (its
 * disposition may change before it is unblocked), so it is kept pending; otherwise it is acted on.
 */
export function postSignal(k: KernelContext, sig: number): void {
  const s = k.proc.signals;
  if (sig !== SIGKILL && sig !== SIGSTOP && (setOf(s.blocked) & sigBit(sig)) !== 0n) {
    s.pending = wordsOf(pendingOf(s) | sigBit(sig));
    return;
  }
  act(k, sig);
}

/** Act on every pending signal the mask no longer blocks, lowest number first. */
export function deliverUnblocked(k: KernelContext): void {
  const s = k.proc.signals;
  const ready = pendingOf(s) & ~setOf(s.blocked);
  if (ready === 0n) return;
  s.pending = wordsOf(pendingOf(s) & ~ready);
  for (let sig = 1; sig <= 64; sig++) {
    if (ready & sigBit(sig)) act(k, sig);
  }
}

/** Setting a disposition that ignores `sig` discards a pending instance, blocked or not (POSIX). */
export function discardIfIgnored(s: SignalState, sig: number): void {
  if (isIgnored(s, sig)) s.pending = wordsOf(pendingOf(s) & ~sigBit(sig));
}

/** The pending set as the guest sees it. */
export function pendingSet(s: SignalState): bigint {
  return pendingOf(s);
}
