/** Planning which functions to offload: profile a program on the phone's profile and the clone's, and partition. */
import { UsageError } from '../errors';
import { resolveFunction, SymbolTable } from '../elf/symbols';
import { HostWiring, silentWiring } from '../machine/host-wiring';
import { Machine } from '../machine/machine';
import { LinkProfile } from '../model/links';
import { DeviceProfile } from '../model/profiles';
import { Objective, ownFunctions, partition, Plan } from '../runtime/partitioner';
import { profileRun, ProfileTarget } from '../runtime/profiler';
import { table } from './output';

/** A program ready to boot on any profile: `machine(profile, wiring)` builds it (the caller closes it). */
export interface Bootable {
  /** The profile the image or program names (or --profile). */
  profile: DeviceProfile;
  elf: Uint8Array;
  /** Paths the image marks phone-only. */
  phoneOnly: string[];
  machine(profile: DeviceProfile, wiring: Omit<HostWiring, 'elf'>): Machine;
}

/** The default clone: CloneCloud's desktop-class clone machine. */
export const DEFAULT_CLONE = 'dell-t7400';

/** What a plan needs besides the program: the two profiles, the link, the objective, the candidates. */
export interface PlanRequest {
  phone: DeviceProfile;
  clone: DeviceProfile;
  link: LinkProfile;
  objective: Objective;
  /** Function names or addresses; undefined: the program's own functions. */
  candidates?: string[];
  phoneOnly: string[];
}

/** Parse --objective. */
export function parseObjective(text: string | undefined): Objective {
  const o = text ?? 'time';
  if (o !== 'time' && o !== 'energy') throw new UsageError(`--objective ${o}: use time or energy`);
  return o;
}

/** Profile `b` on both profiles and plan (two runs of the program, silent). */
export function planFor(b: Bootable, r: PlanRequest): Plan {
  const symbols = SymbolTable.fromElf(b.elf, 'the program');
  const targets: ProfileTarget[] = (
    r.candidates?.flatMap((c) => c.split(',')).map((c) => resolveFunction(symbols, c.trim())) ?? ownFunctions(symbols.functions())
  ).map((f) => ({ name: f.name, address: f.address }));
  if (targets.length === 0) throw new UsageError('no function to profile: the program has no symbols; name candidates with --candidates 0xADDRESS');
  const run = (profile: DeviceProfile) => {
    const m = b.machine(profile, silentWiring());
    try {
      // Link addresses to run addresses: a PIE runs moved by its load bias.
      const moved = targets.map((t) => ({ ...t, address: (t.address + m.programBias) >>> 0 }));
      return profileRun(m, moved, { phoneOnly: r.phoneOnly });
    } finally {
      m.close();
    }
  };
  return partition(run(r.phone), run(r.clone), r.phone, r.clone, r.link, r.objective);
}

/** The plan as a table and two lines of prediction. */
export function formatPlan(p: Plan, program: string): string {
  const mib = (n: number) => `${(n / 1048576).toFixed(2)} MiB`;
  const m = (n: number) => `${(n / 1e6).toFixed(1)}M`;
  const rows = p.entries.map((e) => [
    e.name,
    String(e.calls),
    m(e.phoneInstructions),
    m(e.cloneInstructions),
    String(Math.round(e.pagesRead)),
    mib(e.upBytes),
    mib(e.downBytes),
    `${e.local.seconds.toFixed(3)} s ${e.local.joules.toFixed(3)} J`,
    `${e.offloaded.seconds.toFixed(3)} s ${e.offloaded.joules.toFixed(3)} J`,
    `${e.decision}: ${e.why}`,
  ]);
  const c = (x: { seconds: number; joules: number }) => `${x.seconds.toFixed(3)} s, ${x.joules.toFixed(3)} J`;
  return (
    `partition of ${program}: ${p.phone} with a ${p.clone} clone over ${p.link}, minimising ${p.objective}\n` +
    table(
      ['function', 'calls', 'instr/call', 'on clone', 'read pages/call', 'up/call', 'down/call', 'local (all calls)', 'offloaded (all calls)', 'decision'],
      rows,
    ) +
    `offload: ${p.chosen.length ? p.chosen.join(', ') : 'nothing (everything stays on the phone)'}\n` +
    `predicted: phone alone ${c(p.predicted.local)}; partitioned ${c(p.predicted.partitioned)}\n`
  );
}
