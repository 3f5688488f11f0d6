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
}

/** The next slice: which candidate, on which core, and when it starts. */
export interface SliceChoice {
  task: number;
  core: number;
  start: bigint;
}

/**
 * The core free first takes the first task in queue order that is ready by then, or else the
 * task ready soonest; the slice starts when both are. A task stays on its last core when that
 * core is free by the start too, so a lone task never wanders between cores.
 */
export function nextSlice(tasks: readonly Candidate[], coreNs: readonly bigint[]): SliceChoice | undefined {
  if (!tasks.length) return undefined;
  let core = 0;
  for (let c = 1; c < coreNs.length; c++) if (coreNs[c] < coreNs[core]) core = c;
  const free = coreNs[core];
  let task = tasks.findIndex((t) => t.readyAt <= free);
  if (task < 0) {
    task = 0;
    for (let i = 1; i < tasks.length; i++) if (tasks[i].readyAt < tasks[task].readyAt) task = i;
  }
  const t = tasks[task];
  const start = t.readyAt > free ? t.readyAt : free;
  if (t.lastCore !== undefined && t.lastCore < coreNs.length && coreNs[t.lastCore] <= start) core = t.lastCore;
  return { task, core, start };
}
