/**
 * The shape of the syscall table: each entry is a handler that receives the calling task and
 * states how much of Linux's behaviour it covers, so users (`clonecloud syscalls`) and tests can
 * see what the kernel layer serves.
 */
import { Task } from './task';

/** A syscall implementation: takes r0..r5, returns the value for r0 (negative errno on failure). */
export type SyscallHandler = (t: Task, a: number[]) => number;

/** How much of Linux's behaviour a syscall has; partial and unsupported ones say what is missing. */
export type Support = { level: 'supported' } | { level: 'partial'; note: string } | { level: 'unsupported'; note: string };

/** The level names, in the order listings use. */
export type SupportLevel = Support['level'];

/** A handler with its support level. */
export interface SyscallEntry {
  handler: SyscallHandler;
  support: Support;
}

/** A topic module's syscalls, by name. */
export type SyscallTable = Record<string, SyscallEntry>;

/** Linux's behaviour, as far as a single-threaded process on this machine can observe it. */
export const SUPPORTED: Support = { level: 'supported' };

/** Served, but `note` says what Linux does that this does not. */
export function partial(note: string): Support {
  return { level: 'partial', note };
}

/** Answered without doing the work (e.g. ENOSYS); `note` says what the caller gets. */
export function unsupported(note: string): Support {
  return { level: 'unsupported', note };
}

/**
 * A topic module's table from its handlers and one support level per handler; the types make a
 * handler without a level (or a level without a handler) a compile error.
 */
export function syscallTable<H extends Record<string, SyscallHandler>>(handlers: H, support: { [K in keyof H]: Support }): SyscallTable {
  const out: SyscallTable = {};
  for (const name of Object.keys(handlers)) out[name] = { handler: handlers[name], support: support[name] };
  return out;
}
