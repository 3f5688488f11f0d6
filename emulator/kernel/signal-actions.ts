/**
 * What happens to a signal the process sends itself (kill, tgkill, a write to a broken pipe):
 * Linux's generation rules for one thread. Ignored signals are discarded, blocked ones stay
 * pending until unblocked, and the rest take their default action. Handlers are not run here:
 * a signal with a handler ends the process as its default action would (see the README).
 */
import { NSIG, SIG_DFL, SIG_IGN, SIGCHLD, SIGCONT, SIGKILL, SIGSTOP, SIGURG, SIGWINCH } from '../abi/signal';
import type { Task } from './task';
import type { ThreadGroup } from './thread-group';

/** Signals whose default action is to do nothing (SIGCONT: there is nothing to continue). */
const DEFAULT_IGNORED = new Set([SIGCHLD, SIGCONT, SIGURG, SIGWINCH]);

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

/** The handler word of `sig`'s disposition. */
function handlerOf(g: ThreadGroup, sig: number): number {
  return g.actions[sig]?.[0] ?? SIG_DFL;
}

/** Whether delivering `sig` now would do nothing: explicitly ignored, or ignored by default. */
export function isIgnored(g: ThreadGroup, sig: number): boolean {
  if (sig === SIGKILL || sig === SIGSTOP) return false;
  const h = handlerOf(g, sig);
  return h === SIG_IGN || (h === SIG_DFL && DEFAULT_IGNORED.has(sig));
}

/** Act on `sig` as if delivered now: discard it or end the process. */
function act(t: Task, sig: number): void {
  if (isIgnored(t.group, sig)) return;
  // Default actions that terminate (with or without a core) and handlers alike end the run here.
  t.exit(128 + sig, sig);
}

/**
 * Generate `sig` for task `t`. Like Linux, a blocked signal is never considered ignored (its
 * disposition may change before it is unblocked), so it is kept pending; otherwise it is acted on.
 */
export function postSignal(t: Task, sig: number): void {
  if (sig !== SIGKILL && sig !== SIGSTOP && (setOf(t.blocked) & sigBit(sig)) !== 0n) {
    t.pending = wordsOf(setOf(t.pending) | sigBit(sig));
    return;
  }
  act(t, sig);
}

/** Act on every pending signal of `t` the mask no longer blocks, lowest number first. */
export function deliverUnblocked(t: Task): void {
  const ready = setOf(t.pending) & ~setOf(t.blocked);
  if (ready === 0n) return;
  t.pending = wordsOf(setOf(t.pending) & ~ready);
  for (let sig = 1; sig <= NSIG; sig++) {
    if (ready & sigBit(sig)) act(t, sig);
  }
}

/** Setting a disposition that ignores `sig` discards a pending instance, blocked or not (POSIX). */
export function discardIfIgnored(t: Task, sig: number): void {
  if (isIgnored(t.group, sig)) t.pending = wordsOf(setOf(t.pending) & ~sigBit(sig));
}
