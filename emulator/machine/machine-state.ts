/**
 * The root of a machine's persisted state: every stateful part's own state, gathered through the
 * parts' save()/restore() (Persist), apart from memory contents and file blocks. Plain JSON-able
 * data, so a checkpoint manifest can carry it. Restoring works on an empty machine (built without
 * an ELF) and on one that has been running: each part's restore replaces its state entirely.
 *
 * Part of the snapshot format: changing this type, or the state type of any part it holds, needs
 * a bump of the snapshot version (state-version.ts).
 */
import { ConsoleState } from '../kernel/console';
import { FdSlotsState, FdTableState } from '../kernel/fd-table';
import { FutexWaiter } from '../kernel/futex-table';
import { futexWaitOf, setFutexWait } from '../kernel/syscalls/futex';
import { TraceState } from '../kernel/syscall-trace';
import { Task, TaskState } from '../kernel/task';
import { ThreadGroup, ThreadGroupState } from '../kernel/thread-group';
import { reopenMappedFiles } from '../kernel/mapped-files';
import { AddressSpace, Region } from '../memory/address-space';
import { MultiClockState } from '../model/core-clocks';
import { PersistError } from '../persist';
import { Machine } from './machine';

/** What the scheduler keeps of a task besides its registers: saved for every task when several run. */
export interface TaskSchedState {
  tid: number;
  run: 'runnable' | 'blocked';
  /** The syscall a blocked task is in (served again on restore: its wait is recomputed). */
  call?: { nr: number; args: number[] };
  progress?: number;
  /** A blocked call's deadline (ns, decimal). */
  deadline?: string;
  readyAt: string;
  lastCore?: number;
  /** The futex wait it is in: its word, bitset and whether a wake-up already reached it. */
  futex?: { space: number; addr: number; bitset: number; woken: boolean };
}

/** A process other than the first. */
export interface ProcessRecord {
  group: ThreadGroupState;
  /** Index into ProcessesState.spaces + 1 (0 is the first process's memory). */
  space: number;
  /** Index into ProcessesState.fdTables + 1 (0 is the first process's table). */
  fds: number;
  /** The program it runs, when it is not the booted one: /proc/self/exe reads it from the file system. */
  exe?: string;
  tasks: TaskState[];
}

/**
 * Everything beyond one process with one thread (since 2.3; absent then): the other processes
 * with their memory maps and descriptor tables, the scheduler's queue and each task's wait.
 */
export interface ProcessesState {
  nextId: number;
  /** The task that ran last. */
  current: number;
  /** Live tasks by id, in run-queue order. */
  order: number[];
  sched: TaskSchedState[];
  /** Memory maps other than the first process's (their pages are in the checkpoint beside the page table). */
  spaces: { regions: Region[] }[];
  /** Descriptor tables other than the first process's (descriptions are shared with it, in `fds`). */
  fdTables: FdSlotsState[];
  others: ProcessRecord[];
  /** Futex queues in wake order: space index, word, waiting task ids. */
  futexQueues: { space: number; addr: number; tids: number[] }[];
  /** The running time slice, and whether the task that ran last goes on with it (it was stopped mid-slice). */
  slice: { quantum?: { tid: number; end: string }; continueCurrent: boolean };
}

/** The whole non-memory state of a machine. */
export interface MachineState {
  /** Instructions retired so far (decimal). */
  instructions: string;
  clock: MultiClockState;
  /** The guest's random generator. */
  rng: number[];
  trace: TraceState;
  /** The first process's address-space map. */
  regions: Region[];
  consoles: ConsoleState[];
  fds: FdTableState;
  group: ThreadGroupState;
  /** The first process's threads (its first one alone once it has ended). */
  tasks: TaskState[];
  /** The next process id (since 2.3; absent when no process was ever made, then the first's + 1). */
  nextPid?: number;
  procs?: ProcessesState;
}

/** The first process's threads a state covers: the live ones, or its first one once it has ended. */
function firstTasks(m: Machine): Task[] {
  const live = m.kernel.procs.tasksOf(m.kernel.group);
  return live.length ? live : [m.kernel.task];
}

/** True when the machine holds more than one live task of the first process, or anything else. */
function needsProcesses(m: Machine): boolean {
  const k = m.kernel;
  const groups = k.procs.groups();
  return groups.some((g) => g !== k.group) || k.tasks.length > 1 || k.tasks.some((t) => t.run === 'blocked' || t.group.stopped !== 0);
}

/** The address spaces of a machine in the order a state lists them: the first process's, then by lowest pid. */
export function spacesOf(m: Machine): AddressSpace[] {
  const out: AddressSpace[] = [m.space];
  for (const g of m.kernel.procs.groups()) if (!g.reaped && g.space.alive && !out.includes(g.space)) out.push(g.space);
  return out;
}

/** Save the state of a stopped machine. */
export function saveMachineState(m: Machine): MachineState {
  const k = m.kernel;
  const others = k.procs.groups().filter((g) => g !== k.group);
  const tables = [k.group.fds];
  for (const g of others) if (!tables.includes(g.fds)) tables.push(g.fds);
  const fds = k.fds.saveWith(tables.slice(1));
  const state: MachineState = {
    instructions: m.instructions.toString(),
    clock: m.clock.save(),
    rng: k.rng.save(),
    trace: k.trace.save(),
    regions: m.space.save(),
    consoles: m.consoles().map((c) => c.save()),
    fds: fds.state,
    group: k.group.save(),
    // After the end no task is live; the first one's last state is what restores.
    tasks: firstTasks(m).map((t) => t.save()),
  };
  if (k.procs.nextPid !== k.group.pid + 1) state.nextPid = k.procs.nextPid;
  if (!needsProcesses(m)) return state;
  const spaces = spacesOf(m);
  const spaceIndex = (sp: AddressSpace) => {
    const i = spaces.indexOf(sp);
    if (i < 0) throw new PersistError('internal: a task runs on memory no process owns');
    return i;
  };
  state.procs = {
    nextId: k.procs.nextPid,
    current: m.currentTask.tid,
    order: k.tasks.map((t) => t.tid),
    sched: k.tasks.map((t) => schedOf(t, spaceIndex)),
    spaces: spaces.slice(1).map((sp) => ({ regions: sp.save() })),
    fdTables: fds.others,
    others: others.map((g) => ({
      group: g.save(),
      space: spaceIndex(g.space),
      fds: tables.indexOf(g.fds),
      ...(g.exe && g.exe.path !== m.spec.program.path ? { exe: g.exe.path } : {}),
      tasks: k.procs.tasksOf(g).map((t) => t.save()),
    })),
    futexQueues: k.procs.futexes.queues().map((q) => ({ space: spaceIndex(q.space), addr: q.addr, tids: q.waiters.map((w) => w.tid) })),
    slice: m.sliceState,
  };
  return state;
}

/** A task's scheduling state. */
function schedOf(t: Task, spaceIndex: (sp: AddressSpace) => number): TaskSchedState {
  if (t.run === 'exited') throw new PersistError(`internal: task ${t.tid} has ended but is still queued`);
  const w = futexWaitOf(t);
  return {
    tid: t.tid,
    run: t.run,
    ...(t.call ? { call: { nr: t.call.nr, args: [...t.call.args] } } : {}),
    ...(t.progress ? { progress: t.progress } : {}),
    ...(t.deadline !== undefined ? { deadline: t.deadline.toString() } : {}),
    readyAt: t.readyAt.toString(),
    ...(t.lastCore !== undefined ? { lastCore: t.lastCore } : {}),
    ...(w ? { futex: { space: spaceIndex(w.space), addr: w.addr, bitset: w.bitset, woken: w.woken } } : {}),
  };
}

/**
 * Put `s` into `m`, replacing whatever it held: an empty machine whose VFS layer was already
 * restored, or a running one. Regions new to the map are mapped zero-filled; the caller writes
 * page contents afterwards (spacesOf(m) lists the memories in the state's order).
 */
export function restoreMachineState(m: Machine, s: MachineState): void {
  const k = m.kernel;
  // Whatever ran here goes: the state says which processes exist.
  m.adoptFirstTask();
  m.space.restore(s.regions, reopenMappedFiles(m.vfs));
  // The first process's extra threads are new tasks; its first task is the machine's own.
  const first = [k.task, ...s.tasks.slice(1).map((ts) => k.procs.makeTask(k.group, ts.tid, ts.comm))];
  first.forEach((t, i) => t.restore(s.tasks[i]));
  // The clock prices from the instruction count: restore the count first.
  m.engine.counters.instructions = BigInt(s.instructions);
  m.clock.restore(s.clock);
  k.group.restore(s.group);
  k.rng.restore(s.rng);
  k.trace.restore(s.trace);
  const consoles = new Map(m.consoles().map((c) => [c.path, c]));
  for (const c of s.consoles) {
    const console = consoles.get(c.path);
    if (!console) throw new PersistError(`unknown console ${c.path} in the saved state`);
    console.restore(c);
  }
  const p = s.procs;
  if (!p) {
    k.fds.restore(s.fds);
    m.adoptFirstTask();
    // One task: it goes on from its core's present, on that core.
    k.task.readyAt = m.clock.monotonicNs();
    k.task.lastCore = m.clock.activeCore;
    k.procs.adoptRestored(k.tasks.length ? [k.group] : [], k.tasks, s.nextPid ?? k.group.pid + 1);
    m.rearmDirtyTracking();
    return;
  }
  restoreProcesses(m, s, p, first);
  m.rearmDirtyTracking();
}

/** Rebuild the processes, threads and scheduler state of a many-task state. */
function restoreProcesses(m: Machine, s: MachineState, p: ProcessesState, first: Task[]): void {
  const k = m.kernel;
  const spaces: AddressSpace[] = [m.space];
  for (const rec of p.spaces) {
    const sp = new AddressSpace();
    sp.restore(rec.regions, reopenMappedFiles(m.vfs));
    spaces.push(sp);
  }
  const spaceAt = (i: number): AddressSpace => {
    const sp = spaces[i];
    if (!sp) throw new PersistError(`the saved state names memory ${i}, which it does not hold`);
    return sp;
  };
  const tables = [k.group.fds, ...p.fdTables.map(() => k.group.fds.emptyLike())];
  k.fds.restoreWith(
    s.fds,
    p.fdTables.map((fds, i) => ({ table: tables[i + 1], fds })),
  );
  const groups: ThreadGroup[] = [];
  if (!k.group.exitState) groups.push(k.group);
  const tasks = new Map<number, Task>();
  if (!k.group.exitState) for (const t of first) tasks.set(t.tid, t);
  for (const rec of p.others) {
    const table = tables[rec.fds];
    if (!table) throw new PersistError(`the saved state names descriptor table ${rec.fds}, which it does not hold`);
    const g = k.procs.makeGroup(
      { pid: rec.group.pid, ppid: rec.group.ppid, uid: rec.group.uid, gid: rec.group.gid, cwd: rec.group.cwd, mmapBase: rec.group.mmapBase },
      table,
      spaceAt(rec.space),
    );
    g.restore(rec.group);
    g.exe = rec.exe === undefined ? k.group.exe : { path: rec.exe, bytes: undefined };
    m.attachRestoredProcess(g);
    groups.push(g);
    for (const ts of rec.tasks) {
      const t = k.procs.makeTask(g, ts.tid, ts.comm);
      t.restore(ts);
      tasks.set(t.tid, t);
    }
  }
  const futexOf = new Map<number, FutexWaiter>();
  for (const st of p.sched) {
    const t = tasks.get(st.tid);
    if (!t) throw new PersistError(`the saved scheduler names task ${st.tid}, which the state does not hold`);
    t.run = st.run;
    t.call = st.call ? { nr: st.call.nr, args: [...st.call.args] } : undefined;
    t.progress = st.progress ?? 0;
    t.deadline = st.deadline === undefined ? undefined : BigInt(st.deadline);
    t.readyAt = BigInt(st.readyAt);
    t.lastCore = st.lastCore;
    // The wait is recomputed by serving the syscall again; it blocks anew when still unmet.
    t.wait = st.run === 'blocked' ? { ready: () => true, restored: true, what: 'a restored wait' } : undefined;
    if (st.futex) {
      const w: FutexWaiter = { tid: t.tid, bitset: st.futex.bitset, space: spaceAt(st.futex.space), addr: st.futex.addr, woken: st.futex.woken };
      setFutexWait(t, w);
      futexOf.set(t.tid, w);
    }
  }
  k.procs.futexes.clear();
  for (const q of p.futexQueues) {
    for (const tid of q.tids) {
      const w = futexOf.get(tid);
      if (!w || w.woken || w.addr !== q.addr || w.space !== spaceAt(q.space))
        throw new PersistError(`the saved futex queue at 0x${q.addr.toString(16)} names task ${tid}, which does not wait there`);
      k.procs.futexes.requeueSaved(w);
    }
  }
  const order = p.order.map((tid) => {
    const t = tasks.get(tid);
    if (!t) throw new PersistError(`the saved run queue names task ${tid}, which the state does not hold`);
    return t;
  });
  k.procs.adoptRestored(groups, order, p.nextId);
  const current = tasks.get(p.current) ?? order[0] ?? k.task;
  m.resumeRestored(current);
  m.setSliceState(p.slice ?? { continueCurrent: false });
}
