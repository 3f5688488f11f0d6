/** `boot --clone`: the options that keep a clone's mirror of the phone current, turned into a Replicator. */
import * as os from 'os';
import { UsageError } from '../errors';
import { checkPhoneId } from '../clone/mirror';
import { connectClone, parseAddress } from '../link/clone-client';
import { readTokenFile } from '../link/token-file';
import { Machine } from '../machine/machine';
import { findLink } from '../model/links';
import { Replicator, ReplicationTotals, SyncReport } from '../runtime/replicator';
import { parseInterval, SyncOptions, syncPolicyFrom } from './sync-options';

/** The clone options of `boot`. */
export interface CloneOptions extends SyncOptions {
  clone?: string;
  tokenFile?: string;
  phoneId?: string;
}

/** A phone id from the host's name and the image's: the same phone gets the same mirror run after run. */
export function defaultPhoneId(image: string): string {
  const id = `${os.hostname()}-${image}`.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return (id || 'phone').slice(0, 64);
}

/** The line printed for each acknowledged sync. */
export function syncLine(r: SyncReport): string {
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const files = r.level === 'files';
  return (
    `clonecloud: ${files ? 'file sync' : 'sync'} ${r.id} at ${r.instructions.toLocaleString('en-US')} instructions (${r.atSeconds.toFixed(3)} s) over ${r.link}: ` +
    `${r.pagesSent} of ${r.pagesCaptured} changed ${files ? 'file blocks' : 'pages'} sent, ${kib(r.bytesUp)} up, ${kib(r.bytesDown)} down, ` +
    `${r.transferSeconds.toFixed(3)} s and ${r.radioJoules.toFixed(3)} J on the link; guest stopped ${r.stoppedMs.toFixed(1)} ms; ` +
    `${files ? 'files' : 'mirror'} ${r.memoryHash} (${r.reason})\n`
  );
}

/** The summary's line about the clone. */
export function cloneSummaryLine(t: ReplicationTotals): string {
  const last = t.lastSync ? `last ${t.lastSync.id} at ${t.lastSync.atSeconds.toFixed(3)} s` : 'none acknowledged';
  return (
    `clone syncs     ${t.syncs} (${t.failed} failed; ${last}); ${(t.bytesUp / 1048576).toFixed(2)} MiB up, ` +
    `${(t.bytesDown / 1048576).toFixed(2)} MiB down; radio ${t.radioJoules.toFixed(4)} J; mean staleness ${t.meanStalenessSeconds.toFixed(3)} s\n` +
    (t.fileSyncs ? `clone files     ${t.fileSyncs} file-only syncs; files mean staleness ${t.meanFilesStalenessSeconds.toFixed(3)} s\n` : '')
  );
}

/** Instructions between the points where a run with a clone may sync (fewer when syncs are counted in fewer). */
const SYNC_POINT_EVERY = 20_000_000n;

/** How many instructions apart the run should stop to offer the Replicator a sync point. */
export function syncPointEvery(o: CloneOptions): bigint {
  let points = SYNC_POINT_EVERY;
  for (const [text, flag] of [
    [o.syncEvery, '--sync-every'],
    [o.syncFilesEvery, '--sync-files-every'],
  ] as const) {
    const every = text ? parseInterval(text, flag).instructions : undefined;
    if (every !== undefined && every < points) points = every;
  }
  return points;
}

/** The Replicator the options ask for, or undefined without --clone. */
export function replicatorFor(machine: Machine, o: CloneOptions, write: (line: string) => void): Replicator | undefined {
  if (!o.clone) {
    const stray = (['tokenFile', 'link', 'syncEvery', 'syncFilesEvery', 'syncPolicy', 'phoneTimeline', 'staleness', 'phoneId'] as const).find(
      (k) => o[k] !== undefined,
    );
    if (stray) throw new UsageError(`--${stray.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} needs --clone HOST:PORT`);
    return undefined;
  }
  if (!o.tokenFile) throw new UsageError('--clone needs --token-file <file>: the token the clone was started with');
  const { host, port } = parseAddress(o.clone);
  const token = readTokenFile(o.tokenFile);
  const phone = o.phoneId ?? defaultPhoneId(machine.spec.name);
  checkPhoneId(phone);
  const policy = syncPolicyFrom(o);
  return new Replicator(machine, {
    connect: () => connectClone({ host, port, token, phone }),
    policy,
    link: findLink,
    onSync: (r) => write(syncLine(r)),
    onWarning: (m) => write(`clonecloud: ${m}\n`),
  });
}
