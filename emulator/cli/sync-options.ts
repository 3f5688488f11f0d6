/** The clone-sync options of `boot`, turned into a sync policy. */
import { UsageError } from '../errors';
import { DEFAULT_LINK, findLink } from '../model/links';
import { PhoneTimeline } from '../runtime/phone-timeline';
import { LevelIntervals, onDemandPolicy, opportunisticPolicy, periodicPolicy, SyncInterval, SyncPolicy } from '../runtime/sync-policy';
import { parseCount } from './counts';

/** The sync options as given. */
export interface SyncOptions {
  link?: string;
  syncEvery?: string;
  syncFilesEvery?: string;
  syncWait?: boolean;
  syncPolicy?: string;
  phoneTimeline?: string;
  staleness?: string;
}

/** Default period of the periodic and opportunistic policies. */
const DEFAULT_EVERY = '2s';
/** Default staleness bound of the opportunistic policy. */
const DEFAULT_STALENESS = '60s';

/** Parse "2s", "500ms" (modelled time) or "50M" (instructions). */
export function parseInterval(text: string, what: string): SyncInterval {
  const t = /^(\d+(?:\.\d+)?)(s|ms)$/.exec(text.trim());
  if (t) {
    const seconds = Number(t[1]) / (t[2] === 'ms' ? 1000 : 1);
    if (!(seconds > 0)) throw new UsageError(`${what}: the period must be above 0`);
    return { seconds };
  }
  if (/^\d+[kKmMgG]?$/.test(text.trim())) {
    const instructions = parseCount(text, what);
    if (instructions === 0n) throw new UsageError(`${what}: the period must be above 0`);
    return { instructions };
  }
  throw new UsageError(`${what}: expected modelled time like 2s or 500ms, or instructions like 50M, got "${text}"`);
}

/** Parse a duration of modelled time ("60s", "500ms"). */
function parseSeconds(text: string, what: string): number {
  const i = parseInterval(text, what);
  if (i.seconds === undefined) throw new UsageError(`${what}: expected modelled time like 60s, got "${text}"`);
  return i.seconds;
}

/** The policy the options ask for (checks every link id they name). */
export function syncPolicyFrom(o: SyncOptions): SyncPolicy {
  const link = findLink(o.link ?? DEFAULT_LINK).id;
  const name = o.syncPolicy ?? 'periodic';
  const intervals: LevelIntervals = { memory: parseInterval(o.syncEvery ?? DEFAULT_EVERY, '--sync-every') };
  if (o.syncFilesEvery !== undefined) intervals.files = parseInterval(o.syncFilesEvery, '--sync-files-every');
  if (name !== 'opportunistic' && o.phoneTimeline) throw new UsageError('--phone-timeline goes with --sync-policy opportunistic');
  switch (name) {
    case 'periodic':
      return periodicPolicy(link, intervals);
    case 'on-demand':
      if (o.syncFilesEvery !== undefined)
        throw new UsageError('--sync-files-every goes with the periodic and opportunistic policies; on-demand syncs only when asked');
      return onDemandPolicy(link);
    case 'opportunistic': {
      if (!o.phoneTimeline) throw new UsageError('--sync-policy opportunistic needs --phone-timeline <file> (when the phone has which link, and is charging)');
      const known = (id: string) => {
        try {
          findLink(id);
          return true;
        } catch {
          return false;
        }
      };
      return opportunisticPolicy({
        timeline: PhoneTimeline.load(o.phoneTimeline, known),
        intervals,
        stalenessBound: parseSeconds(o.staleness ?? DEFAULT_STALENESS, '--staleness'),
        isCellular: (id) => findLink(id).kind === 'cellular',
      });
    }
    default:
      throw new UsageError(`--sync-policy: unknown policy "${name}"; use periodic, on-demand or opportunistic`);
  }
}
