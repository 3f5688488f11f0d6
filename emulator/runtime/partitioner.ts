/**
 * The partitioner: from a profiling run on the phone's profile and one on the clone's, and a
 * link, which functions to offload. Each recorded call is priced both ways (model/offload-cost.ts)
 * with the state it would ship: up, the pages the phone dirtied since the previous migration
 * point (all resident pages before the first); down, the pages the call dirtied. A function is
 * a candidate when it was called, never touched anything only the phone has, and is not so
 * fine-grained that the profile dropped it; it is chosen when offloading all its calls beats
 * running them locally on the objective, best savings first, skipping one whose calls run
 * inside an already chosen function's (or contain them).
 */
import { callCost, Cost, cpuSeconds, pageBytes } from '../model/offload-cost';
import { LinkProfile } from '../model/links';
import { DeviceProfile } from '../model/profiles';
import { FunctionSymbol } from '../elf/symbols';
import { FunctionProfile, RunProfile } from './profiler';

/** What to minimise. */
export type Objective = 'time' | 'energy';

/** The plan for one function. */
export interface PlanEntry {
  name: string;
  address: number;
  calls: number;
  /** Means per call from the profiles. */
  phoneInstructions: number;
  cloneInstructions: number;
  upBytes: number;
  downBytes: number;
  /** Pages the call read (the clone holds the whole mirror, so they cost no transfer; shown for what the call touches). */
  pagesRead: number;
  syscalls: number;
  /** All its calls run locally, and all offloaded (sums). */
  local: Cost;
  offloaded: Cost;
  decision: 'offload' | 'local';
  why: string;
}

/** The partitioner's answer. */
export interface Plan {
  objective: Objective;
  link: string;
  phone: string;
  clone: string;
  entries: PlanEntry[];
  /** Functions to offload. */
  chosen: string[];
  /** The whole run: on the phone alone, and with the chosen functions offloaded (predicted). */
  predicted: { local: Cost; partitioned: Cost };
}

const objectiveOf = (c: Cost, o: Objective) => (o === 'time' ? c.seconds : c.joules);
const add = (a: Cost, b: Cost): Cost => ({ seconds: a.seconds + b.seconds, joules: a.joules + b.joules });
const ZERO: Cost = { seconds: 0, joules: 0 };

/** Plan offloading for `phoneRun` (and `cloneRun`, the same program on the clone's profile) over `link`. */
export function partition(
  phoneRun: RunProfile,
  cloneRun: RunProfile,
  phone: DeviceProfile,
  clone: DeviceProfile,
  link: LinkProfile,
  objective: Objective,
): Plan {
  const onClone = new Map(cloneRun.functions.map((f) => [f.address, f]));
  const entries = phoneRun.functions
    .filter((f) => f.calls > 0)
    .map((f) => entryOf(f, onClone.get(f.address), phone, clone, link, objective))
    .sort(
      (a, b) => objectiveOf(b.local, objective) - objectiveOf(b.offloaded, objective) - (objectiveOf(a.local, objective) - objectiveOf(a.offloaded, objective)),
    );
  const nested = new Map(phoneRun.functions.map((f) => [f.name, f.nestedIn]));
  const chosen: string[] = [];
  for (const e of entries) {
    if (e.decision !== 'offload') continue;
    const overlap = chosen.find((c) => nested.get(e.name)?.has(c) || nested.get(c)?.has(e.name));
    if (overlap) {
      e.decision = 'local';
      e.why = `its calls overlap those of ${overlap}, offloaded already`;
      continue;
    }
    chosen.push(e.name);
  }
  const localRun: Cost = { seconds: cpuSeconds(phone, phoneRun.instructions), joules: cpuSeconds(phone, phoneRun.instructions) * phone.cpuActiveW };
  let partitioned = localRun;
  for (const e of entries) {
    if (e.decision !== 'offload') continue;
    partitioned = add(add(partitioned, { seconds: -e.local.seconds, joules: -e.local.joules }), e.offloaded);
  }
  return { objective, link: link.id, phone: phone.id, clone: clone.id, entries, chosen, predicted: { local: localRun, partitioned } };
}

function entryOf(
  f: FunctionProfile,
  c: FunctionProfile | undefined,
  phone: DeviceProfile,
  clone: DeviceProfile,
  link: LinkProfile,
  objective: Objective,
): PlanEntry {
  let local = ZERO;
  let offloaded = ZERO;
  f.recorded.forEach((r, i) => {
    const cost = callCost(
      {
        phoneInstructions: r.instructions,
        cloneInstructions: c?.recorded[i]?.instructions ?? r.instructions,
        upBytes: pageBytes(r.dirtiedBefore),
        downBytes: pageBytes(r.dirtied),
      },
      phone,
      clone,
      link,
    );
    local = add(local, cost.local);
    offloaded = add(offloaded, cost.offloaded);
  });
  const n = Math.max(f.recorded.length, 1);
  const mean = (g: (i: number) => number) => f.recorded.reduce((s, _, i) => s + g(i), 0) / n;
  const entry: PlanEntry = {
    name: f.name,
    address: f.address,
    calls: f.calls,
    phoneInstructions: mean((i) => f.recorded[i].instructions),
    cloneInstructions: mean((i) => c?.recorded[i]?.instructions ?? f.recorded[i].instructions),
    upBytes: mean((i) => pageBytes(f.recorded[i].dirtiedBefore)),
    downBytes: mean((i) => pageBytes(f.recorded[i].dirtied)),
    pagesRead: mean((i) => f.recorded[i].read),
    syscalls: mean((i) => f.recorded[i].syscalls),
    local,
    offloaded,
    decision: 'local',
    why: '',
  };
  if (f.pinned) entry.why = `pinned to the phone: ${f.pinned}`;
  else if (f.tooFrequent) entry.why = `called ${f.calls}+ times: too fine-grained to migrate`;
  else if (f.recorded.length < f.calls) entry.why = 'some calls never returned';
  else if (objectiveOf(offloaded, objective) < objectiveOf(local, objective)) {
    entry.decision = 'offload';
    entry.why = objective === 'time' ? `saves ${(local.seconds - offloaded.seconds).toFixed(3)} s` : `saves ${(local.joules - offloaded.joules).toFixed(3)} J`;
  } else
    entry.why =
      objective === 'time'
        ? `offloading costs ${(offloaded.seconds - local.seconds).toFixed(3)} s more`
        : `offloading costs ${(offloaded.joules - local.joules).toFixed(3)} J more`;
  return entry;
}

/** crt and libc functions that bound a static glibc program's own code in its text. */
const BEFORE_OWN_CODE = new Set(['_start', 'call_weak_fn', 'deregister_tm_clones', 'register_tm_clones', '__do_global_dtors_aux', 'frame_dummy']);
const AFTER_OWN_CODE = new Set(['call_fini', '__libc_start_call_main', '__libc_start_main']);

/**
 * The functions worth profiling in a static program: `main` and those the linker placed between
 * the C runtime's start-up code and the C library (the program's own objects come first on the
 * link line). Without those landmarks, every function.
 */
export function ownFunctions(all: readonly FunctionSymbol[]): FunctionSymbol[] {
  const after = Math.max(...all.filter((f) => BEFORE_OWN_CODE.has(f.name)).map((f) => f.address));
  const before = Math.min(...all.filter((f) => AFTER_OWN_CODE.has(f.name)).map((f) => f.address));
  if (!Number.isFinite(after) || !Number.isFinite(before) || before <= after) return [...all];
  return all.filter((f) => f.name === 'main' || (f.address > after && f.address < before));
}
