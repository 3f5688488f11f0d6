/** `boot --clone`: the options that keep a clone's mirror of the phone current, turned into a Replicator. */
import * as os from 'os';
import { UsageError } from '../errors';
import { checkPhoneId } from '../clone/mirror';
import { connectClone, parseAddress } from '../link/clone-client';
import { readTokenFile } from '../link/token-file';
import { Machine } from '../machine/machine';
import { findLink } from '../model/links';
import { resolveFunction, SymbolTable } from '../elf/symbols';
import { OffloadedCall, Offloader, OffloadTotals } from '../runtime/offloader';
import { Plan } from '../runtime/partitioner';
import { callCost, pageBytes } from '../model/offload-cost';
import { LinkProfile } from '../model/links';
import { findProfile } from '../model/profiles';
import { Replicator, ReplicationTotals, SyncReport } from '../runtime/replicator';
import { parseInterval, SyncOptions, syncPolicyFrom } from './sync-options';

/** The clone options of `boot`. */
export interface CloneOptions extends SyncOptions {
  clone?: string;
  tokenFile?: string;
  phoneId?: string;
  /** Functions (symbol names or addresses) whose calls run on the clone. */
  offload?: string[];
  /** Guest paths only the phone has (the image's and --phone-only's). */
  phoneOnly?: string[];
  /** Seconds to wait for the clone to run one offloaded call. */
  offloadTimeout?: string;
  /** With --offload auto: what to minimise, the clone's profile, and the plan made. */
  objective?: string;
  cloneProfile?: string;
  plan?: Plan;
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

/** The Replicator the options ask for, or undefined without --clone; `onSync` also sees each sync (the report gathers them). */
export function replicatorFor(machine: Machine, o: CloneOptions, write: (line: string) => void, onSync?: (r: SyncReport) => void): Replicator | undefined {
  if (!o.clone) {
    const stray = (
      [
        'tokenFile',
        'link',
        'syncEvery',
        'syncFilesEvery',
        'syncPolicy',
        'phoneTimeline',
        'staleness',
        'phoneId',
        'offload',
        'offloadTimeout',
        'syncWait',
        'objective',
        'cloneProfile',
      ] as const
    ).find((k) => o[k] !== undefined);
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
    onSync: (r) => {
      write(syncLine(r));
      onSync?.(r);
    },
    onWarning: (m) => write(`clonecloud: ${m}\n`),
    wait: o.syncWait === true,
  });
}

/** The line printed for each call to an offloaded function. */
export function offloadLine(c: OffloadedCall): string {
  if (c.outcome === 'local') {
    const waited = c.waitSeconds ? `; the phone had waited ${c.waitSeconds.toFixed(3)} s for the clone` : '';
    return `clonecloud: ${c.target} at ${c.atSeconds.toFixed(3)} s runs on the phone: ${c.why}${waited}\n`;
  }
  const kib = (n: number | undefined) => `${((n ?? 0) / 1024).toFixed(1)} KiB`;
  return (
    `clonecloud: ${c.target} at ${c.atSeconds.toFixed(3)} s ran on the clone: ${(c.cloneInstructions ?? 0).toLocaleString('en-US')} instructions in ` +
    `${(c.cloneSeconds ?? 0).toFixed(3)} s there; the phone waited ${(c.waitSeconds ?? 0).toFixed(3)} s; ${kib(c.bytesUp)} up, ${kib(c.bytesDown)} down, ` +
    `${(c.radioJoules ?? 0).toFixed(3)} J radio; came back at ${c.stop}\n`
  );
}

/** The summary's lines about offloading. */
export function offloadSummaryLines(t: OffloadTotals): string {
  return (
    `offloaded       ${t.offloaded} of ${t.calls} calls (${t.local} local); clone ${t.cloneInstructions.toLocaleString('en-US')} instructions in ${t.cloneSeconds.toFixed(3)} s; ` +
    `phone waited ${t.waitSeconds.toFixed(3)} s; ${(t.bytesUp / 1048576).toFixed(2)} MiB up, ${(t.bytesDown / 1048576).toFixed(2)} MiB down\n` +
    `local estimate  ${(t.localEstimate.modelledSeconds * 1000).toFixed(3)} ms, ${t.localEstimate.energyJoules.toFixed(4)} J on the phone alone\n`
  );
}

/** Default seconds to wait for the clone to run one offloaded call. */
const DEFAULT_OFFLOAD_TIMEOUT = 1800;

/** The Offloader the options ask for (its Replicator given), or undefined without --offload. */
export function offloaderFor(machine: Machine, o: CloneOptions, replicator: Replicator | undefined, write: (line: string) => void): Offloader | undefined {
  if (!o.offload?.length) {
    if (o.offloadTimeout !== undefined) throw new UsageError('--offload-timeout goes with --offload');
    if (!o.plan && (o.objective !== undefined || o.cloneProfile !== undefined)) throw new UsageError('--objective and --clone-profile go with --offload auto');
    return undefined;
  }
  if (!replicator) throw new UsageError('--offload needs --clone HOST:PORT and --token-file');
  const elf = machine.host.elf;
  if (!elf) throw new UsageError('--offload needs the program: boot it (a restored run cannot offload yet)');
  const table = SymbolTable.fromElf(elf, machine.spec.program.path);
  const targets = o.offload
    .flatMap((spec) => spec.split(','))
    .map((spec) => {
      const f = resolveFunction(table, spec.trim());
      // Symbols (and 0x addresses, read as the ELF gives them) are link addresses: a PIE runs moved.
      return { name: f.name, address: (f.address + machine.programBias) >>> 0 };
    });
  const timeout = o.offloadTimeout === undefined ? DEFAULT_OFFLOAD_TIMEOUT : Number(o.offloadTimeout);
  if (!(timeout > 0 && Number.isFinite(timeout))) throw new UsageError(`--offload-timeout ${o.offloadTimeout}: give seconds above 0`);
  return new Offloader(machine, {
    replicator,
    targets,
    link: () => {
      const id = replicator.currentLink();
      return id === null ? null : { id, profile: findLink(id) };
    },
    phoneOnly: o.phoneOnly ?? [],
    timeoutMs: timeout * 1000,
    write: (fd, data) => machine.host[fd === 1 ? 'stdout' : 'stderr'](data),
    onCall: (c) => write(offloadLine(c)),
    decide: o.plan ? perCall(machine, o.plan, o.cloneProfile) : undefined,
  });
}

/**
 * Each call of a planned function decided on its own: the plan's instructions and return state
 * per call, and the pages the phone has written since its last capture (all resident pages before
 * the first) as the state up, priced on the link of the moment.
 */
function perCall(
  machine: Machine,
  plan: Plan,
  cloneProfile: string | undefined,
): (t: { name: string }, link: LinkProfile) => { offload: boolean; why: string } {
  const clone = findProfile(cloneProfile ?? plan.clone);
  let synced = false;
  return (t, link) => {
    const e = plan.entries.find((x) => x.name === t.name);
    if (!e) return { offload: true, why: 'named on the command line' };
    const pages = synced ? machine.space.dirty.count() : machine.space.touched.count();
    const cost = callCost(
      { phoneInstructions: e.phoneInstructions, cloneInstructions: e.cloneInstructions, upBytes: pageBytes(pages), downBytes: e.downBytes },
      machine.spec.profile,
      clone,
      link,
    );
    const by = (c: { seconds: number; joules: number }) => (plan.objective === 'time' ? c.seconds : c.joules);
    const unit = plan.objective === 'time' ? 's' : 'J';
    const offload = by(cost.offloaded) < by(cost.local);
    synced ||= offload;
    return {
      offload,
      why: `predicted ${by(cost.offloaded).toFixed(3)} ${unit} offloaded against ${by(cost.local).toFixed(3)} ${unit} here`,
    };
  };
}
