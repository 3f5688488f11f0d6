/**
 * Signal generation and delivery, as Linux does it for one thread: a generated signal is dropped
 * when ignored (and not blocked), else it waits in the task's pending set with its siginfo; when
 * the task is about to run user code again (after a syscall, at a slice boundary) every pending
 * signal it does not block is delivered, lowest number first: ignored, a default action
 * (terminate, core, stop, ignore), or a handler entered through a signal frame. CPU faults go to
 * a handler at once, or end the run when there is none. Interval timers raise their signals here.
 *
 * The scheduler calls, per task: `deliverPendingSignals` before running it, `signalInterrupts` to
 * wake a task parked in a syscall, and `syscallInterrupted` for the r0 of a syscall a signal cut
 * short (the delivery then restarts it or leaves -EINTR, per SA_RESTART and the syscall).
 */
import { EINTR } from '../abi/errno';
import { NR } from '../abi/syscall-names';
import {
  MINSIGSTKSZ,
  NSIG,
  SIG_DFL,
  SIG_IGN,
  SIGALRM,
  SIGBUS,
  SIGCHLD,
  SIGCONT,
  SIGFPE,
  SIGILL,
  SIGKILL,
  SIGSEGV,
  SIGSTOP,
  SIGTRAP,
  SIGURG,
  SIGWINCH,
  SS_AUTODISARM,
  SS_DISABLE,
  SS_ONSTACK,
} from '../abi/signal';
import { PAGE_SIZE, PROT_EXEC, PROT_READ } from '../memory/address-space';
import { IntervalTimers, ITIMER_PROF, ITIMER_REAL, ITIMER_VIRTUAL } from './interval-timers';
import {
  AltStack,
  BadFrame,
  buildSignalFrame,
  restoreSignalFrame,
  SA_NODEFER,
  SA_RESETHAND,
  SA_RESTART,
  SA_RESTORER,
  SigAction,
  SigInfo,
  onAltStack,
  sigpageCode,
} from './signal-frame';
import type { Task } from './task';

/** si_code values. */
export const SI_USER = 0;
export const SI_KERNEL = 0x80;
export const SI_QUEUE = -1;
export const SI_TKILL = -6;
export const SEGV_MAPERR = 1;
export const SEGV_ACCERR = 2;
export const BUS_ADRALN = 1;
export const ILL_ILLOPC = 1;
export const TRAP_BRKPT = 1;

const SIGQUIT = 3;
const SIGABRT = 6;
const SIGTSTP = 20;
const SIGTTIN = 21;
const SIGTTOU = 22;
const SIGXCPU = 24;
const SIGXFSZ = 25;
const SIGVTALRM = 26;
const SIGPROF = 27;
const SIGSYS = 31;
/** The first real-time signal: these queue, the others keep one instance. */
const SIGRTMIN = 32;

/** Where the return trampolines live when a handler has no SA_RESTORER (Linux's "[sigpage]"). */
export const SIGPAGE = 0xfffe0000;

/** Default action of each signal (the rest terminate). */
const DEFAULT_IGNORE = new Set([SIGCHLD, SIGCONT, SIGURG, SIGWINCH]);
const DEFAULT_CORE = new Set([SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ, SIGSYS]);
const DEFAULT_STOP = new Set([SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU]);

/** What a signal's default action is. */
export type DefaultAction = 'terminate' | 'core' | 'stop' | 'ignore';

/** The default action of `sig`. */
export function defaultAction(sig: number): DefaultAction {
  if (DEFAULT_IGNORE.has(sig)) return 'ignore';
  if (DEFAULT_CORE.has(sig)) return 'core';
  if (DEFAULT_STOP.has(sig)) return 'stop';
  return 'terminate';
}

/**
 * What a stop signal's default action does. Stopping needs someone to send SIGCONT, which the
 * scheduler of many processes provides: it replaces this hook. With one process nobody could,
 * so the process ends as if killed by the signal (what happened before handlers ran).
 */
export let stopTask: (t: Task, sig: number) => void = (t, sig) => t.exit(128 + sig, sig);

/** Replace the stop hook (the scheduler parks the task until SIGCONT). */
export function setStopHook(hook: (t: Task, sig: number) => void): void {
  stopTask = hook;
}

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

/** SIGKILL and SIGSTOP can never be blocked or caught. */
export const UNBLOCKABLE = sigBit(SIGKILL) | sigBit(SIGSTOP);

/** `sig`'s sigaction. */
export function actionOf(t: Task, sig: number): SigAction {
  const w = t.group.actions[sig] ?? [SIG_DFL, 0, 0, 0, 0];
  return { handler: w[0] >>> 0, flags: w[1] >>> 0, restorer: w[2] >>> 0, mask: setOf([w[3], w[4]]) };
}

/** Whether delivering `sig` now would do nothing: explicitly ignored, or ignored by default. */
export function isIgnored(t: Task, sig: number): boolean {
  if (sig === SIGKILL || sig === SIGSTOP) return false;
  const h = actionOf(t, sig).handler;
  return h === SIG_IGN || (h === SIG_DFL && defaultAction(sig) === 'ignore');
}

/**
 * Generate a signal for task `t`. Like Linux, a blocked signal is never considered ignored (its
 * disposition may change before it is unblocked), so it is kept pending; an ignored one is
 * dropped. A standard signal already pending is not queued twice; real-time ones queue.
 */
export function sendSignal(t: Task, info: SigInfo): void {
  const sig = info.signo;
  const bit = sigBit(sig);
  const blocked = sig !== SIGKILL && sig !== SIGSTOP && (setOf(t.blocked) & bit) !== 0n;
  if (!blocked && isIgnored(t, sig)) return;
  const pending = setOf(t.pending);
  if (pending & bit && sig < SIGRTMIN) return;
  t.pending = wordsOf(pending | bit);
  t.pendingInfo.push({ ...info });
}

/** A signal the process sends itself with kill (SI_USER), or tkill/tgkill (SI_TKILL). */
export function sendFromSelf(t: Task, sig: number, code = SI_USER): void {
  sendSignal(t, { signo: sig, code, pid: t.group.pid, uid: t.group.uid });
}

/** Take `sig`'s oldest siginfo off the pending queue (clearing its bit when none is left). */
export function dequeueSignal(t: Task, sig: number): SigInfo {
  const i = t.pendingInfo.findIndex((x) => x.signo === sig);
  const info = i >= 0 ? t.pendingInfo.splice(i, 1)[0] : { signo: sig, code: SI_KERNEL };
  if (!t.pendingInfo.some((x) => x.signo === sig)) t.pending = wordsOf(setOf(t.pending) & ~sigBit(sig));
  return info;
}

/** Drop every pending instance of `sig` (a disposition set to ignore it discards them, POSIX). */
export function discardPending(t: Task, sig: number): void {
  t.pending = wordsOf(setOf(t.pending) & ~sigBit(sig));
  t.pendingInfo = t.pendingInfo.filter((x) => x.signo !== sig);
}

/** Setting a disposition that ignores `sig` discards a pending instance, blocked or not. */
export function discardIfIgnored(t: Task, sig: number): void {
  if (isIgnored(t, sig)) discardPending(t, sig);
}

/** Pending signals the task does not block. */
function unblockedPending(t: Task): bigint {
  return setOf(t.pending) & ~(setOf(t.blocked) & ~UNBLOCKABLE);
}

/**
 * Whether a pending signal would make the task do something (run a handler, die, stop): what
 * wakes a task parked in a syscall. Ignored ones are not counted (delivery just drops them).
 */
export function signalInterrupts(t: Task): boolean {
  const ready = unblockedPending(t);
  if (ready === 0n) return false;
  for (let sig = 1; sig <= NSIG; sig++) if (ready & sigBit(sig) && !isIgnored(t, sig)) return true;
  return false;
}

/** Whether the task has signal work to do before it runs user code again (the machine stops the CPU for it). */
export function signalWorkPending(t: Task): boolean {
  return unblockedPending(t) !== 0n;
}

/** Syscalls Linux restarts after a handler with SA_RESTART (they return -ERESTARTSYS when interrupted). */
const RESTART_WITH_SA_RESTART = new Set(
  [
    'read',
    'readv',
    'pread64',
    'preadv',
    'preadv2',
    'write',
    'writev',
    'pwrite64',
    'pwritev',
    'pwritev2',
    'wait4',
    'waitid',
    'open',
    'openat',
    'openat2',
    'ioctl',
    'flock',
    'fcntl64',
    'fcntl',
    'accept',
    'accept4',
    'connect',
    'recv',
    'recvfrom',
    'recvmsg',
    'recvmmsg',
    'send',
    'sendto',
    'sendmsg',
    'sendmmsg',
    'sendfile',
    'sendfile64',
    'splice',
    'tee',
    'msgrcv',
    'msgsnd',
    'mq_timedsend',
    'mq_timedreceive',
  ]
    .map((n) => NR[n])
    .filter((n): n is number => n !== undefined),
);
const FUTEX_NRS = new Set([NR.futex, NR.futex_time64].filter((n): n is number => n !== undefined));

/**
 * Whether syscall `nr` with `args`, interrupted by a signal whose handler has `saFlags`, starts
 * again when the handler returns (else it fails with EINTR). Linux restarts the -ERESTARTSYS
 * calls (reads, writes, waits, futex waits without a timeout...) under SA_RESTART only; sleeps,
 * pause, sigsuspend, poll/select and timed waits always fail with EINTR when a handler runs.
 */
export function restartsAfterHandler(nr: number, args: readonly number[], saFlags: number): boolean {
  if ((saFlags & SA_RESTART) === 0) return false;
  if (FUTEX_NRS.has(nr)) return (args[3] ?? 0) === 0;
  return RESTART_WITH_SA_RESTART.has(nr);
}

/**
 * A syscall parked in a wait was interrupted by a signal: remember it for the delivery (which
 * restarts it or leaves EINTR) and return the r0 it ends with for now (-EINTR).
 */
export function syscallInterrupted(t: Task, nr: number, args: readonly number[]): number {
  t.sigRestart = { nr, args: [...args] };
  t.progress = 0;
  return -EINTR;
}

/** Map the trampoline page once, when a handler without SA_RESTORER first needs it. */
function ensureSigpage(t: Task): void {
  if (t.space.isMapped(SIGPAGE, PAGE_SIZE)) return;
  t.space.map(SIGPAGE, PAGE_SIZE, PROT_READ | PROT_EXEC, 'vectors', '[sigpage]');
  t.space.poke(SIGPAGE, sigpageCode());
}

/** Raise the signals of the interval timers that have expired. */
export function fireTimers(t: Task): void {
  const timers: IntervalTimers = t.group.itimers;
  if (timers.expire(ITIMER_REAL, t.clock.monotonicNs())) sendSignal(t, { signo: SIGALRM, code: SI_KERNEL });
  const busy = t.clock.busyNs();
  if (timers.expire(ITIMER_VIRTUAL, busy)) sendSignal(t, { signo: SIGVTALRM, code: SI_KERNEL });
  if (timers.expire(ITIMER_PROF, busy)) sendSignal(t, { signo: SIGPROF, code: SI_KERNEL });
}

/** The modelled monotonic time at which ITIMER_REAL fires next, if armed (a sleeping task wakes then). */
export function nextTimerDeadline(t: Task): bigint | undefined {
  return t.group.itimers.deadline(ITIMER_REAL);
}

/** Set up `sig`'s handler frame on the task's CPU; false (and SIGSEGV for the task) when the frame cannot be written. */
function runHandler(t: Task, info: SigInfo, action: SigAction): boolean {
  const sig = info.signo;
  let state = t.cpu.save();
  const restart = t.sigRestart;
  t.sigRestart = null;
  if (restart) {
    if (restartsAfterHandler(restart.nr, restart.args, action.flags)) state = rewindSyscall(state, restart.args[0]);
    else state = { ...state, r: state.r.map((v, i) => (i === 0 ? -EINTR >>> 0 : v)) };
  }
  const savedMask = t.savedMask ? setOf(t.savedMask) : setOf(t.blocked);
  t.savedMask = null;
  if ((action.flags & SA_RESTORER) === 0) ensureSigpage(t);
  try {
    const built = buildSignalFrame(t.space, state, { sig, info, action, savedMask, altstack: t.altstack, sigpage: SIGPAGE });
    t.cpu.restore(built.state);
    t.altstack = built.altstack;
  } catch (e) {
    if (!(e instanceof BadFrame)) throw e;
    forceSegv(t, sig);
    return false;
  }
  let blocked = setOf(t.blocked) | action.mask;
  if ((action.flags & SA_NODEFER) === 0) blocked |= sigBit(sig);
  t.blocked = wordsOf(blocked & ~UNBLOCKABLE);
  if (action.flags & SA_RESETHAND) t.group.actions[sig] = [SIG_DFL, 0, 0, 0, 0];
  return true;
}

/** The syscall at the CPU starts again: PC back to its SVC, r0 as it was. */
function rewindSyscall(state: ReturnType<Task['cpu']['save']>, r0: number) {
  const thumb = (state.pc & 1) !== 0;
  return { ...state, pc: (state.pc - (thumb ? 2 : 4)) >>> 0, r: state.r.map((v, i) => (i === 0 ? r0 >>> 0 : v)) };
}

/** A frame could not be set up: like Linux, the task gets SIGSEGV, which kills it if it was handling SIGSEGV. */
function forceSegv(t: Task, sig: number): void {
  if (sig === SIGSEGV) t.group.actions[SIGSEGV] = [SIG_DFL, 0, 0, 0, 0];
  t.exit(128 + SIGSEGV, SIGSEGV);
}

/** Carry out `sig`'s default action. */
function actDefault(t: Task, sig: number): void {
  const action = sig === SIGKILL ? 'terminate' : defaultAction(sig);
  if (action === 'ignore') return;
  if (action === 'stop') stopTask(t, sig);
  else t.exit(128 + sig, sig);
}

/**
 * Deliver every pending signal the task does not block, lowest number first, before it runs user
 * code again: fire expired interval timers, then ignore, act by default, or set up a handler's
 * frame on the task's CPU (frames stack when several are due: the last set up runs first).
 * A syscall the signal interrupted is restarted or left with EINTR. Call only while the task's
 * CPU is stopped (its saved context is what changes).
 */
export function deliverPendingSignals(t: Task): void {
  fireTimers(t);
  while (!t.group.exitState) {
    const ready = unblockedPending(t);
    if (ready === 0n) break;
    let sig = 1;
    while ((ready & sigBit(sig)) === 0n) sig++;
    const info = dequeueSignal(t, sig);
    const action = actionOf(t, sig);
    if (sig === SIGKILL || action.handler === SIG_DFL) actDefault(t, sig);
    else if (action.handler !== SIG_IGN) {
      if (!runHandler(t, info, action)) break;
    }
  }
  if (t.group.exitState) return;
  // No handler took the interrupted syscall: it starts again, as Linux restarts it transparently.
  if (t.sigRestart) {
    const restart = t.sigRestart;
    t.sigRestart = null;
    t.cpu.restore(rewindSyscall(t.cpu.save(), restart.args[0]));
  }
  if (t.savedMask) {
    t.blocked = t.savedMask;
    t.savedMask = null;
  }
}

/**
 * Right after a syscall: a pending unblocked signal whose default action ends the process ends it
 * now, before anything else is observed (a handler for a lower signal could not run a single
 * instruction first either: Linux delivers all due signals before returning to user mode).
 */
export function actOnFatalSignals(t: Task): void {
  const ready = unblockedPending(t);
  if (ready === 0n) return;
  for (let sig = 1; sig <= NSIG && !t.group.exitState; sig++) {
    if ((ready & sigBit(sig)) === 0n) continue;
    if (sig !== SIGKILL && actionOf(t, sig).handler !== SIG_DFL) continue;
    const action = sig === SIGKILL ? 'terminate' : defaultAction(sig);
    if (action === 'terminate' || action === 'core') {
      dequeueSignal(t, sig);
      actDefault(t, sig);
    }
  }
}

/** The details a CPU fault gives its signal. */
export interface FaultSignal {
  signal: number;
  /** The faulting data address (SIGSEGV, SIGBUS) or instruction (SIGILL). */
  address?: number;
  /** A write (for the sigcontext's error_code). */
  write?: boolean;
}

/**
 * A CPU fault raised `fault.signal`: when the task has a handler for it and does not block it,
 * set up the handler's frame (the faulting instruction runs again when the handler returns) and
 * return true. Otherwise return false: the run ends with the fault, as Linux kills a task whose
 * fault signal is blocked, ignored or left to its default action.
 */
export function deliverFault(t: Task, fault: FaultSignal): boolean {
  const sig = fault.signal;
  const action = actionOf(t, sig);
  if (action.handler === SIG_DFL || action.handler === SIG_IGN) return false;
  if (setOf(t.blocked) & sigBit(sig)) return false;
  const info: SigInfo = { signo: sig, code: SI_KERNEL, addr: fault.address ?? 0 };
  if (sig === SIGSEGV) {
    const mapped = fault.address !== undefined && t.space.isMapped(fault.address, 1);
    info.code = mapped ? SEGV_ACCERR : SEGV_MAPERR;
    // Linux's data abort: trap 14, error_code the FSR (page translation 0x7 or permission 0xf, WnR bit 11).
    info.trapNo = 14;
    info.errorCode = (mapped ? 0xf : 0x7) | (fault.write ? 0x800 : 0);
  } else if (sig === SIGBUS) {
    info.code = BUS_ADRALN;
    info.trapNo = 14;
    info.errorCode = 0x1 | (fault.write ? 0x800 : 0);
  } else if (sig === SIGILL) {
    info.code = ILL_ILLOPC;
    info.trapNo = 6;
    info.errorCode = 0;
  } else if (sig === SIGTRAP) {
    info.code = TRAP_BRKPT;
  } else if (sig === SIGFPE) {
    info.code = 0;
  }
  t.sigRestart = null;
  runHandler(t, info, action);
  return true;
}

/**
 * rt_sigreturn (`rt`) or sigreturn: take the frame at sp back (registers, VFP, mask and, for
 * rt, the alternate stack) and return the restored r0 (the syscall's result goes there). A bad
 * frame gets the task SIGSEGV, as in Linux.
 */
export function signalReturn(t: Task, rt: boolean): number {
  const current = t.cpu.save();
  t.sigRestart = null;
  try {
    const back = restoreSignalFrame(t.space, current, rt);
    t.blocked = wordsOf(back.mask & ~UNBLOCKABLE);
    if (back.ucStack) restoreAltStack(t, back.ucStack, back.state.r[13]);
    t.cpu.restore(back.state);
    // Inside the syscall the CPU resumes from its PC register: point it at the restored PC.
    t.cpu.setR(15, back.state.pc);
    return back.state.r[0];
  } catch (e) {
    if (!(e instanceof BadFrame)) throw e;
    // force_sig: a blocked or ignored SIGSEGV is unblocked and reset, so it cannot be escaped.
    if (setOf(t.blocked) & sigBit(SIGSEGV) || actionOf(t, SIGSEGV).handler === SIG_IGN) {
      t.group.actions[SIGSEGV] = [SIG_DFL, 0, 0, 0, 0];
      t.blocked = wordsOf(setOf(t.blocked) & ~sigBit(SIGSEGV));
    }
    sendSignal(t, { signo: SIGSEGV, code: SI_KERNEL });
    return current.r[0];
  }
}

/** What sigaltstack would set from a frame's uc_stack (errors other than a bad address are ignored, as in Linux). */
function restoreAltStack(t: Task, uc: AltStack, sp: number): void {
  const [ssp, flags, size] = uc;
  const mode = flags & ~SS_AUTODISARM;
  const cur = t.altstack;
  // While running on the current alternate stack it cannot change (EPERM), nor become too small (ENOMEM): ignored.
  if (cur[2] !== 0 && onAltStack(cur, sp)) return;
  if (mode === SS_DISABLE) t.altstack = [0, SS_DISABLE, 0];
  else if ((mode === 0 || mode === SS_ONSTACK) && size >>> 0 >= MINSIGSTKSZ) t.altstack = [ssp >>> 0, flags >>> 0, size >>> 0];
}
