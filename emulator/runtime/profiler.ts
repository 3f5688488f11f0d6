/**
 * The partitioner's profiling run: a machine run to its end with breakpoints at the entries of
 * candidate functions and at the return address of every call in progress, recording per call
 * its instructions, the pages it read and the pages it dirtied, the pages the phone dirtied since the previous offload
 * point (what a sync before the call would send), its syscalls, and whether it touched anything
 * only the phone has (then it can never be offloaded). A function called very often is a poor
 * migration point (each call would pay a round trip): past `maxCalls` its breakpoint is removed
 * and it is marked so.
 */
import { mustRunOnPhone } from '../clone/phone-only';
import { syscallView } from '../clone/syscall-view';
import { GuestFault } from '../errors';
import { Machine } from '../machine/machine';
import { PageBitmap } from '../memory/page-bitmap';

/** A function to profile. */
export interface ProfileTarget {
  name: string;
  /** Entry address without the Thumb bit. */
  address: number;
}

/** One completed call. */
export interface CallRecord {
  instructions: number;
  /** Pages written during the call. */
  dirtied: number;
  /** Pages loaded from during the call (a page written before it was first read counts as written only). */
  read: number;
  /** Pages a sync before this call would send were the function offloaded: all resident pages before its first call, then those written since its previous call returned. */
  dirtiedBefore: number;
  syscalls: number;
}

/** What the profile says of one function. */
export interface FunctionProfile {
  name: string;
  address: number;
  /** Calls seen (a recursive call inside another of the same function is part of the outer one). */
  calls: number;
  /** Calls recorded in full (all of them unless the function was dropped as too frequent). */
  recorded: CallRecord[];
  /** A syscall the phone must serve happened inside a call: why (undefined: never). */
  pinned?: string;
  /** Dropped after this many calls: too fine-grained to be a migration point. */
  tooFrequent: boolean;
  /** Calls made while a call of another profiled function was in progress (offloading that one covers them). */
  nestedIn: Set<string>;
}

/** A profiling run's result. */
export interface RunProfile {
  functions: FunctionProfile[];
  instructions: number;
  /** Non-zero pages at the end of the run. */
  residentPages: number;
}

/** How to profile. */
export interface ProfilerOptions {
  phoneOnly: readonly string[];
  /** Calls of one function recorded before its breakpoint goes (default 200). */
  maxCalls?: number;
}

interface Frame {
  fn: FunctionProfile;
  returnAt: number;
  sp: number;
  instructions: bigint;
  syscalls: number;
  dirtiedBefore: number;
  dirty: PageBitmap;
  read: PageBitmap;
}

const SP = 13;
const LR = 14;

/** Run `machine` to its end, profiling calls to `targets`. */
export function profileRun(machine: Machine, targets: readonly ProfileTarget[], o: ProfilerOptions): RunProfile {
  const maxCalls = o.maxCalls ?? 200;
  const byAddress = new Map<number, FunctionProfile>();
  for (const t of targets) byAddress.set(t.address, { name: t.name, address: t.address, calls: 0, recorded: [], tooFrequent: false, nestedIn: new Set() });
  const stack: Frame[] = [];
  const pageCount = machine.space.dirty.pageCount;
  // Per function, pages written since its last call returned (what a sync at its next entry sends).
  const sinceReturn = new Map<FunctionProfile, PageBitmap>();
  // Pages loaded from since the last fold (the TLB is flushed at each fold, so each page read fills once).
  const reads = new PageBitmap(pageCount);
  const fold = () => {
    const pages = machine.space.dirty.pages();
    for (const p of pages) for (const f of stack) f.dirty.set(p);
    for (const b of sinceReturn.values()) for (const p of pages) b.set(p);
    for (const p of reads.pages()) for (const f of stack) f.read.set(p);
    reads.reset();
    machine.rearmDirtyTracking();
  };
  machine.beforeSyscall = (nr) => {
    if (stack.length === 0) return false;
    const why = mustRunOnPhone(syscallView(machine, nr), o.phoneOnly);
    if (why) for (const f of stack) f.fn.pinned ??= why;
    return false;
  };
  const breakpoints = () =>
    machine.setBreakpoints([...[...byAddress.values()].filter((f) => !f.tooFrequent).map((f) => f.address), ...stack.map((f) => f.returnAt)]);
  breakpoints();
  machine.engine.trackReads(reads);
  try {
    for (;;) {
      const outcome = machine.run();
      if (outcome === 'exited') break;
      if (outcome !== 'breakpoint') continue;
      const at = machine.breakpointHit!;
      const sp = machine.engine.r(SP) >>> 0;
      let changed = false;
      // Calls abandoned by a longjmp are below the stack pointer now: drop them unrecorded.
      while (stack.length && stack[stack.length - 1].sp < sp) {
        stack.pop();
        changed = true;
      }
      const top = stack[stack.length - 1];
      if (top && top.returnAt === at && top.sp === sp) {
        fold();
        stack.pop();
        top.fn.recorded.push({
          instructions: Number(machine.instructions - top.instructions),
          dirtied: top.dirty.count(),
          read: top.read.count(),
          dirtiedBefore: top.dirtiedBefore,
          syscalls: machine.kernel.trace.total - top.syscalls,
        });
        sinceReturn.set(top.fn, new PageBitmap(pageCount));
        changed = true;
      }
      const fn = byAddress.get(at);
      // A recursive call is part of the outermost call of its function: nothing to track.
      if (fn && !fn.tooFrequent && !stack.some((f) => f.fn === fn)) {
        fn.calls++;
        for (const f of stack) fn.nestedIn.add(f.fn.name);
        fold();
        stack.push({
          fn,
          returnAt: (machine.engine.r(LR) & ~1) >>> 0,
          sp,
          instructions: machine.instructions,
          syscalls: machine.kernel.trace.total,
          dirtiedBefore: sinceReturn.get(fn)?.count() ?? machine.space.touched.count(),
          dirty: new PageBitmap(pageCount),
          read: new PageBitmap(pageCount),
        });
        if (fn.calls >= maxCalls) fn.tooFrequent = true;
        changed = true;
      }
      if (changed) breakpoints();
    }
  } catch (e) {
    if (!(e instanceof GuestFault)) throw e;
  } finally {
    machine.beforeSyscall = undefined;
    machine.setBreakpoints([]);
    machine.engine.trackReads(undefined);
  }
  return { functions: [...byAddress.values()], instructions: Number(machine.instructions), residentPages: machine.space.touched.count() };
}
