/**
 * `boot` and `restore` after the machine is built: turn the run options into a RunSession, wire
 * SIGUSR1 to its checkpoint requests, and print what it reports (checkpoint lines as they become
 * durable, then the fault, the limit, storage failures and the summary on stderr).
 */
import { UsageError } from '../errors';
import { Machine } from '../machine/machine';
import { formatSummary } from '../model/run-summary';
import { initHashing } from '../snapshot/page-hash';
import { CheckpointTarget, openStoreTarget } from '../runtime/checkpoint-target';
import { CheckpointSchedule } from '../runtime/schedule';
import { CheckpointTaken, RunSession } from '../runtime/session';
import { cloneSummaryLine, CloneOptions, offloaderFor, offloadSummaryLines, replicatorFor, syncPointEvery } from './clone-sync';
import { parseCount } from './counts';
import { ReportCollector, writeRunReport } from '../report/write-report';

/** Options shared by boot and restore. */
export interface RunOptions extends CloneOptions {
  json?: boolean;
  summary?: boolean;
  maxInstructions?: string;
  checkpointEvery?: string;
  checkpointAt?: string;
  store?: string;
  /** Write the run report (HTML) here at the end. */
  report?: string;
}

/** Check checkpoint options and open the store they name (undefined when none is asked for). */
async function checkpointsFor(
  opts: RunOptions,
  machine: Machine,
  parent: string | null,
): Promise<{ target: CheckpointTarget; schedule: CheckpointSchedule } | undefined> {
  const every = opts.checkpointEvery ? parseCount(opts.checkpointEvery, '--checkpoint-every') : undefined;
  const at = (opts.checkpointAt ?? '')
    .split(',')
    .filter((s) => s.trim())
    .map((s) => parseCount(s, '--checkpoint-at'));
  if (every === 0n) throw new UsageError('--checkpoint-every must be above 0');
  // --store alone: checkpoints on demand only (SIGUSR1).
  if (!every && !at.length && !opts.store) return undefined;
  if (!opts.store) throw new UsageError('checkpoints need a store: add --store <dir>');
  return { target: await openStoreTarget(opts.store, machine, parent), schedule: new CheckpointSchedule(every, at) };
}

/** The line printed when a checkpoint is durable. */
function takenLine({ id, manifest, durableMs }: CheckpointTaken): string {
  const s = manifest.stats;
  return (
    `clonecloud: checkpoint ${id} at ${BigInt(manifest.state.instructions).toLocaleString('en-US')} instructions: ` +
    `${s.pagesScanned} pages scanned, ${s.newPages} new (${(s.newBytes / 1048576).toFixed(2)} MiB), ` +
    `${s.dedupHits} already stored; guest stopped ${s.captureMs.toFixed(1)} ms, ` +
    `durable ${durableMs.toFixed(1)} ms later\n`
  );
}

/** Run to the end (or the limit), checkpointing as scheduled; prints the summary; returns the exit code. */
export async function runToEnd(machine: Machine, opts: RunOptions, parent: string | null = null): Promise<number> {
  await initHashing();
  const limit = opts.maxInstructions ? parseCount(opts.maxInstructions, '--max-instructions') : undefined;
  const ck = await checkpointsFor(opts, machine, parent);
  const collector = opts.report !== undefined ? new ReportCollector() : undefined;
  const replicator = replicatorFor(machine, opts, (line) => process.stderr.write(line), collector?.onSync);
  const offloader = offloaderFor(machine, opts, replicator, (line) => process.stderr.write(line));
  const session = new RunSession(machine, {
    checkpoints: ck?.target,
    schedule: ck?.schedule,
    maxInstructions: limit,
    // The clone is kept current at the points the run yields.
    yieldEvery: replicator ? syncPointEvery(opts) : undefined,
    breakpoints: offloader ? { addresses: offloader.breakpoints(), hit: (a) => offloader.atEntry(a) } : undefined,
    events: {
      onProgress: () => replicator?.atPoint(),
      onCheckpoint: (t) => process.stderr.write(takenLine(t)),
      onCheckpointsStopped: (n, e) =>
        process.stderr.write(`clonecloud: checkpoints stopped at ${n.toLocaleString('en-US')} instructions: ${e.message}; the run goes on without them\n`),
    },
  });
  // On demand: SIGUSR1 asks for a checkpoint at the next point the session yields.
  // With a clone it also asks for a sync there.
  const onSignal = () => {
    session.requestCheckpoint();
    replicator?.request();
  };
  if (ck || replicator) process.on('SIGUSR1', onSignal);
  if (ck) {
    if (!opts.checkpointEvery && !opts.checkpointAt) {
      process.stderr.write(`clonecloud: checkpoints on demand into ${opts.store}: kill -USR1 ${process.pid}\n`);
    }
  }
  let result;
  try {
    result = await session.run();
  } catch (e) {
    // An open connection to the clone would keep the process alive after the error.
    await replicator?.abort();
    throw e;
  } finally {
    process.off('SIGUSR1', onSignal);
  }
  const { summary, fault, checkpointFailures: failures } = result;
  const profile = machine.spec.profile;
  // Background syncs cost the phone radio energy, not time: it never waited for them.
  const clone = replicator ? await replicator.finish(machine.clock.seconds()) : undefined;
  machine.close();
  if (clone) Object.assign(summary, { energyJoules: summary.energyJoules + clone.radioJoules, clone });
  const offload = offloader?.totals(summary.modelledSeconds, summary.energyJoules - (clone?.radioJoules ?? 0));
  if (offload) Object.assign(summary, { offload });
  // --offload auto: the plan's prediction beside what the run measured.
  const plan = opts.plan;
  if (plan)
    Object.assign(summary, { partition: { objective: plan.objective, link: plan.link, clone: plan.clone, chosen: plan.chosen, predicted: plan.predicted } });
  if (fault) process.stderr.write(`clonecloud: ${fault.message}\n`);
  if (result.outcome === 'limit') process.stderr.write(`clonecloud: stopped after ${summary.instructions} instructions (--max-instructions)\n`);
  // Checkpoints queued behind a failed one fail for want of their parent: the first says why.
  if (failures.length) {
    const more = failures.length > 1 ? ` (${failures.length - 1} later checkpoint${failures.length > 2 ? 's' : ''} not stored either)` : '';
    process.stderr.write(`clonecloud: ${failures[0]}${more}\n`);
  }
  if (opts.json) process.stderr.write(JSON.stringify(summary) + '\n');
  else if (opts.summary !== false)
    process.stderr.write(
      formatSummary(summary) +
        (clone ? cloneSummaryLine(clone) : '') +
        (offload ? offloadSummaryLines(offload) : '') +
        (plan
          ? `partition       predicted ${plan.predicted.partitioned.seconds.toFixed(3)} s, ${plan.predicted.partitioned.joules.toFixed(4)} J; ` +
            `measured ${summary.modelledSeconds.toFixed(3)} s, ${summary.energyJoules.toFixed(4)} J\n`
          : '') +
        `memory hash     ${summary.memoryHash}\n`,
    );
  if (collector && opts.report !== undefined) {
    try {
      await writeRunReport(opts.report, { summary: { ...summary, clone, offload }, profile, syncs: collector.syncs, syncWait: opts.syncWait === true });
    } catch (e) {
      process.stderr.write(`clonecloud: ${(e as Error).message}\n`);
      return 2;
    }
  }
  if (failures.length) return 2;
  return summary.exitStatus;
}
