/**
 * When the phone syncs its clone, and what: the paper's three policies (periodic, on demand,
 * opportunistic) over its two levels of state (persistent: the files; in-memory: memory, registers
 * and kernel state). Pure decisions over modelled time and instruction counts; the Replicator acts
 * on them.
 *
 * A memory sync always carries the files too: the kernel state it ships names files (open
 * descriptors, the working directory) whose contents must be the same moment's, or a mirror
 * restored on the clone would not be the phone. Files alone can go more often, so that a later
 * memory sync has less to carry.
 */
import { UsageError } from '../errors';
import { PhoneTimeline } from './phone-timeline';

/** The two levels of phone state. */
export type SyncLevel = 'files' | 'memory';

/** How far apart syncs of one level are: in modelled seconds, in instructions, or whichever comes first. */
export interface SyncInterval {
  seconds?: number;
  instructions?: bigint;
}

/** A point where the phone may sync. */
export interface SyncPoint {
  /** Modelled seconds since boot. */
  seconds: number;
  instructions: bigint;
  /** A sync was asked for (SIGUSR1, or code that needs the clone current). */
  requested: boolean;
}

/** When a level was last synced (absent: never). */
export interface LastSync {
  seconds: number;
  instructions: bigint;
}

/** What to do at a sync point. */
export interface SyncDecision {
  /** Levels to sync now (empty: none); 'memory' always comes with 'files'. */
  levels: SyncLevel[];
  /** The link to sync over (null: no connectivity). */
  link: string | null;
  /** Why, in a few words, for the log. */
  reason: string;
}

/** Decides at each sync point. */
export interface SyncPolicy {
  readonly name: 'periodic' | 'on-demand' | 'opportunistic';
  decide(point: SyncPoint, last: Partial<Record<SyncLevel, LastSync>>): SyncDecision;
}

/** Per-level intervals; files default to the memory interval. */
export interface LevelIntervals {
  memory: SyncInterval;
  files?: SyncInterval;
}

/** Whether `interval` has passed since `last` at `point` (a level never synced is due). */
export function isDue(interval: SyncInterval, point: SyncPoint, last: LastSync | undefined): boolean {
  if (!last) return true;
  const bySeconds = interval.seconds !== undefined && point.seconds - last.seconds >= interval.seconds;
  const byInstructions = interval.instructions !== undefined && point.instructions - last.instructions >= interval.instructions;
  return bySeconds || byInstructions;
}

function checkInterval(i: SyncInterval, what: string): void {
  if (i.seconds === undefined && i.instructions === undefined) throw new UsageError(`${what}: give a period in seconds or instructions`);
  if (i.seconds !== undefined && !(i.seconds > 0 && Number.isFinite(i.seconds))) throw new UsageError(`${what}: the period must be above 0 seconds`);
  if (i.instructions !== undefined && i.instructions <= 0n) throw new UsageError(`${what}: the period must be above 0 instructions`);
}

/** The levels due under `intervals`, memory pulling files along. */
function dueLevels(intervals: LevelIntervals, point: SyncPoint, last: Partial<Record<SyncLevel, LastSync>>): SyncLevel[] {
  if (isDue(intervals.memory, point, last.memory)) return ['files', 'memory'];
  return isDue(intervals.files ?? intervals.memory, point, last.files) ? ['files'] : [];
}

const BOTH: SyncLevel[] = ['files', 'memory'];

/** Sync each level every interval over one link; a request syncs both at once. */
export function periodicPolicy(link: string, intervals: LevelIntervals): SyncPolicy {
  checkInterval(intervals.memory, 'memory sync period');
  if (intervals.files) checkInterval(intervals.files, 'file sync period');
  return {
    name: 'periodic',
    decide(point, last) {
      if (point.requested) return { levels: BOTH, link, reason: 'requested' };
      const levels = dueLevels(intervals, point, last);
      return { levels, link, reason: levels.length ? `period reached (${levels.join(' + ')})` : 'not due' };
    },
  };
}

/** Sync only when asked. */
export function onDemandPolicy(link: string): SyncPolicy {
  return {
    name: 'on-demand',
    decide: (point) => (point.requested ? { levels: BOTH, link, reason: 'requested' } : { levels: [], link, reason: 'not requested' }),
  };
}

/** Settings of the opportunistic policy. */
export interface OpportunisticOptions {
  timeline: PhoneTimeline;
  /** The least spacing between syncs of a level while syncing is cheap. */
  intervals: LevelIntervals;
  /** On a costly link, sync anyway once the mirror's memory is this many modelled seconds old. */
  stalenessBound: number;
  /** Whether a link costs the phone (a cellular radio) rather than being cheap (Wi-Fi, wired). */
  isCellular: (link: string) => boolean;
}

/**
 * Sync when it is cheap (a non-cellular link, or the phone is charging), at most once per
 * interval; on a cellular link defer until the mirror is older than the staleness bound; with no
 * link, wait. A request syncs over whatever link there is.
 */
export function opportunisticPolicy(o: OpportunisticOptions): SyncPolicy {
  checkInterval(o.intervals.memory, 'memory sync period');
  if (o.intervals.files) checkInterval(o.intervals.files, 'file sync period');
  if (!(o.stalenessBound > 0)) throw new UsageError('the staleness bound must be above 0 seconds');
  return {
    name: 'opportunistic',
    decide(point, last) {
      const { link, charging } = o.timeline.at(point.seconds);
      if (link === null) return { levels: [], link, reason: 'no connectivity' };
      if (point.requested) return { levels: BOTH, link, reason: 'requested' };
      const cellular = o.isCellular(link);
      if (charging || !cellular) {
        const levels = dueLevels(o.intervals, point, last);
        const why = charging ? 'charging' : `on ${link}`;
        return { levels, link, reason: levels.length ? `${why} (${levels.join(' + ')})` : `${why}, not due` };
      }
      const age = last.memory ? point.seconds - last.memory.seconds : point.seconds;
      if (age > o.stalenessBound) return { levels: BOTH, link, reason: `staleness bound passed on ${link} (${age.toFixed(1)} s old)` };
      return { levels: [], link, reason: `deferred on ${link}` };
    },
  };
}
