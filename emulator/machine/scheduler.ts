import { Task } from '../kernel/task';

/**
 * Which task runs next, on which modelled core, from when: the scheduler's policy, kept apart
 * from the engines so it can be tested on its own. Decisions depend only on modelled times and
 * the run queue's order, never on the host, so the same program interleaves the same way on
 * every run.
 */

/** A runnable task as the policy weighs it. */
export interface Candidate {
  /** Modelled time (ns) from which it can run: when its last slice ended, or when it woke. */
  readyAt: bigint;
  /** The core it ran on last, if any. */
  lastCore: number | undefined;
  /** The cores it may run on (bit c for core c; sched_setaffinity), all when undefined. */
  affinity?: number;
}

/** The next slice: which candidate, on which core, and when it starts. */
export interface SliceChoice {
  task: number;
  core: number;
  start: bigint;
}

/**
 * The slice that can start soonest: each task goes to the allowed core free first (its last core
 * when that one is free by then too, so a lone task never wanders) and starts when both it and the
 * core are ready; among equal starts the queue's order decides.
 */
export function nextSlice(tasks: readonly Candidate[], coreNs: readonly bigint[]): SliceChoice | undefined {
  let best: SliceChoice | undefined;
  tasks.forEach((t, i) => {
    const allowed = (c: number) => t.affinity === undefined || c >= 32 || (t.affinity & (1 << c)) !== 0;
    let core = -1;
    for (let c = 0; c < coreNs.length; c++) if (allowed(c) && (core < 0 || coreNs[c] < coreNs[core])) core = c;
    // A mask naming none of this device's cores: any core.
    if (core < 0) for (let c = 0; c < coreNs.length; c++) if (core < 0 || coreNs[c] < coreNs[core]) core = c;
    const start = t.readyAt > coreNs[core] ? t.readyAt : coreNs[core];
    const last = t.lastCore;
    if (last !== undefined && last < coreNs.length && allowed(last) && coreNs[last] <= start) core = last;
    if (!best || start < best.start) best = { task: i, core, start };
  });
  return best;
}

/** A task the scheduler may give a core: runnable, in a process that is not stopped. */
export function canRun(t: Task): boolean {
  return t.run === 'runnable' && !t.group.stopped;
}

/** The smallest of the defined bounds, or undefined when none is. */
export function earliest(...bounds: (bigint | undefined)[]): bigint | undefined {
  let out: bigint | undefined;
  for (const b of bounds) if (b !== undefined && (out === undefined || b < out)) out = b;
  return out;
}
