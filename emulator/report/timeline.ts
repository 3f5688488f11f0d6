/**
 * The run's timeline as the report draws it, derived from what the run reports: the phone's
 * compute and waits, the link's transfers (syncs and migrations), the clone's offloaded calls, and
 * the phone's cumulative energy over modelled time. Pure: data in, data out.
 */
import { RunSummary } from '../model/run-summary';
import { OffloadTotals } from '../runtime/offloader';
import { ReplicationTotals, SyncReport } from '../runtime/replicator';

/** The three lanes, top to bottom. */
export const LANES = ['phone', 'link', 'clone'] as const;

/** A lane of the timeline. */
export type Lane = (typeof LANES)[number];

/** What a stretch of a lane is, in the chart's legend order. */
export const KINDS = ['compute', 'waiting', 'memory sync', 'file sync', 'migration up', 'migration down', 'offloaded call'] as const;

/** The kind of a stretch. */
export type Kind = (typeof KINDS)[number];

/** One stretch of a lane, in modelled seconds. */
export interface LaneSegment {
  lane: Lane;
  kind: Kind;
  from: number;
  to: number;
}

/** The phone's cumulative energy at one modelled second; `order` keeps a jump's two points in sequence. */
export interface EnergyPoint {
  seconds: number;
  cpuJoules: number;
  radioJoules: number;
  totalJoules: number;
  order: number;
}

/** What a report is made from: the run's summary, the profile's power figures and the syncs as they were reported. */
export interface RunReportInput {
  summary: RunSummary & { memoryHash?: string; clone?: ReplicationTotals; offload?: OffloadTotals };
  profile: { id: string; name: string; cpuActiveW: number; cpuIdleW: number };
  /** Every acknowledged sync, in order (the migrations' own syncs included). */
  syncs: SyncReport[];
  /** The phone waited for each sync (--sync-wait): its CPU sat idle over each transfer. */
  syncWait: boolean;
}

/** How the energy curve was split, for the page to state. */
export interface EnergyBreakdown {
  cpuJoules: number;
  radioJoules: number;
  /** Seconds the phone computed and waited, and the CPU power over each. */
  computeSeconds: number;
  waitSeconds: number;
  computeWatts: number;
  idleWatts: number;
  /** Radio energy not tied to one acknowledged transfer (the last tail, failed attempts), put at the run's end. */
  unattributedRadioJoules: number;
}

/** The derived timeline. */
export interface Timeline {
  endSeconds: number;
  lanes: Lane[];
  segments: LaneSegment[];
  energy: EnergyPoint[];
  breakdown: EnergyBreakdown;
}

/** An interval over which `joules` were spent evenly (a zero-length one is a step). */
interface Spend {
  from: number;
  to: number;
  joules: number;
}

/** Joules of `s` spent by second `t`. */
function spentBy(s: Spend, t: number): number {
  if (t >= s.to) return s.joules;
  if (t <= s.from) return 0;
  return (s.joules * (t - s.from)) / (s.to - s.from);
}

/** Merge overlapping intervals (sorted by start). */
function union(intervals: { from: number; to: number }[]): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  for (const i of [...intervals].sort((a, b) => a.from - b.from)) {
    const last = out[out.length - 1];
    if (last && i.from <= last.to) last.to = Math.max(last.to, i.to);
    else out.push({ ...i });
  }
  return out;
}

/** The timeline of a run. */
export function deriveTimeline(input: RunReportInput): Timeline {
  const { summary, profile } = input;
  const end = summary.modelledSeconds;
  const offload = summary.offload;
  const calls = (offload?.log ?? []).filter((c) => c.outcome === 'offloaded');
  const callWindows = calls.map((c) => ({ from: c.atSeconds, to: c.atSeconds + (c.waitSeconds ?? 0), joules: c.radioJoules ?? 0 }));
  // A migration's own sync is inside its call's window: the call's figures already count it.
  const inCall = (t: number) => callWindows.some((w) => t >= w.from && t <= w.to);
  const syncs = input.syncs.filter((s) => !inCall(s.atSeconds));
  const transfers = syncs.map((s) => ({ from: s.atSeconds, to: s.atSeconds + s.transferSeconds, joules: s.radioJoules, level: s.level }));

  const waits = union([...callWindows, ...(input.syncWait ? transfers : [])]);
  const segments: LaneSegment[] = [];
  let at = 0;
  for (const w of waits) {
    if (w.from > at) segments.push({ lane: 'phone', kind: 'compute', from: at, to: w.from });
    segments.push({ lane: 'phone', kind: 'waiting', from: w.from, to: w.to });
    at = Math.max(at, w.to);
  }
  if (end > at || !segments.length) segments.push({ lane: 'phone', kind: 'compute', from: at, to: Math.max(at, end) });
  for (const t of transfers) segments.push({ lane: 'link', kind: t.level === 'files' ? 'file sync' : 'memory sync', from: t.from, to: t.to });
  for (const t of offload?.timeline ?? []) {
    if (t.lane === 'link') segments.push({ lane: 'link', kind: t.what.startsWith('sync up') ? 'migration up' : 'migration down', from: t.from, to: t.to });
    else if (t.lane === 'clone') segments.push({ lane: 'clone', kind: 'offloaded call', from: t.from, to: t.to });
  }

  // CPU: idle power over the waits, the rest of the CPU energy spread evenly over the compute.
  const radioJoules = summary.clone?.radioJoules ?? 0;
  const cpuJoules = summary.energyJoules - radioJoules;
  const waitSeconds = waits.reduce((n, w) => n + (w.to - w.from), 0);
  const computeSeconds = Math.max(0, end - waitSeconds);
  const computeWatts = computeSeconds > 0 ? Math.max(0, cpuJoules - waitSeconds * profile.cpuIdleW) / computeSeconds : 0;
  const cpu: Spend[] = segments
    .filter((s) => s.lane === 'phone')
    .map((s) => ({ from: s.from, to: s.to, joules: (s.to - s.from) * (s.kind === 'waiting' ? profile.cpuIdleW : computeWatts) }));
  // Radio: each transfer's energy (the tail before it included) over the transfer itself.
  const radio: Spend[] = [...transfers, ...callWindows];
  const attributed = radio.reduce((n, s) => n + s.joules, 0);
  const unattributed = Math.max(0, radioJoules - attributed);

  const times = [...new Set([0, end, ...segments.flatMap((s) => [s.from, s.to]), ...radio.flatMap((s) => [s.from, s.to])])]
    .filter((t) => t >= 0)
    .sort((a, b) => a - b);
  let order = 0;
  const point = (t: number, extra: number): EnergyPoint => {
    const c = cpu.reduce((n, s) => n + spentBy(s, t), 0);
    const r = radio.reduce((n, s) => n + spentBy(s, t), 0) + extra;
    return { seconds: t, cpuJoules: c, radioJoules: r, totalJoules: c + r, order: order++ };
  };
  const energy = times.map((t) => point(t, 0));
  // A transfer still on the air when the run ended finishes after it: the curve goes that far.
  if (unattributed > 0) energy.push(point(times[times.length - 1], unattributed));

  const lanes: Lane[] = summary.clone || offload ? [...LANES] : ['phone'];
  return {
    endSeconds: end,
    lanes,
    segments,
    energy,
    breakdown: {
      cpuJoules,
      radioJoules,
      computeSeconds,
      waitSeconds,
      computeWatts,
      idleWatts: profile.cpuIdleW,
      unattributedRadioJoules: unattributed,
    },
  };
}
