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
import { FdTableState } from '../kernel/fd-table';
import { TraceState } from '../kernel/syscall-trace';
import { Task, TaskState } from '../kernel/task';
import { ThreadGroupState } from '../kernel/thread-group';
import { Region } from '../memory/address-space';
import { MultiClockState } from '../model/core-clocks';
import { PersistError } from '../persist';
import { Machine } from './machine';

/** The whole non-memory state of a machine. */
export interface MachineState {
  /** Instructions retired so far (decimal). */
  instructions: string;
  clock: MultiClockState;
  /** The guest's random generator. */
  rng: number[];
  trace: TraceState;
  /** The address-space map. */
  regions: Region[];
  consoles: ConsoleState[];
  fds: FdTableState;
  group: ThreadGroupState;
  /** Every task of the group, the running one first (one today). */
  tasks: TaskState[];
}

/** The tasks a state covers: the live ones, or the first one once the program has ended. */
function liveOrFirst(m: Machine): Task[] {
  return m.kernel.tasks.length ? m.kernel.tasks : [m.kernel.task];
}

/** Save the state of a stopped machine. */
export function saveMachineState(m: Machine): MachineState {
  const k = m.kernel;
  const groups = k.procs.groups();
  if (
    groups.length > 1 ||
    (groups.length === 1 && groups[0] !== k.group) ||
    k.tasks.length > 1 ||
    k.tasks.some((t) => t.run !== 'runnable' && t.run !== 'exited')
  ) {
    throw new PersistError(
      `the guest runs ${groups.length} processes and ${k.tasks.length} threads: checkpoints cover a single-threaded process only (with no child left), so no checkpoint can be taken now`,
    );
  }
  return {
    instructions: m.instructions.toString(),
    clock: m.clock.save(),
    rng: k.rng.save(),
    trace: k.trace.save(),
    regions: m.space.save(),
    consoles: m.consoles().map((c) => c.save()),
    fds: k.fds.save(),
    group: k.group.save(),
    // After the end no task is live; the first one's last state is what restores.
    tasks: liveOrFirst(m).map((t) => t.save()),
  };
}

/**
 * Put `s` into `m`, replacing whatever it held: an empty machine whose VFS layer was already
 * restored, or a running one. Regions new to the map are mapped zero-filled; the caller writes
 * page contents afterwards.
 */
export function restoreMachineState(m: Machine, s: MachineState): void {
  const k = m.kernel;
  // Other processes' state is not in a checkpoint: only the first process is restored.
  m.adoptFirstTask();
  const tasks = liveOrFirst(m);
  if (s.tasks.length !== tasks.length) {
    throw new PersistError(`the state holds ${s.tasks.length} tasks; this machine runs ${tasks.length}`);
  }
  m.space.restore(s.regions);
  tasks.forEach((t, i) => t.restore(s.tasks[i]));
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
  k.fds.restore(s.fds);
  m.adoptFirstTask();
  m.rearmDirtyTracking();
}
