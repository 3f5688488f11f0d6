/**
 * Running a machine to its end for the CLI (boot and restore): checkpoint schedule, the
 * instruction limit, fault reporting and the summary.
 */
import { Checkpointer } from '../snapshot/capture';
import { ImageRef } from '../snapshot/manifest';
import { memoryDigest } from '../snapshot/memory-digest';
import { initHashing } from '../snapshot/page-hash';
import { CheckpointStore } from '../store/store';
import { probeStore } from '../store/store-probe';
import { GuestFault, UsageError } from '../errors';
import { Machine } from '../machine/machine';
import { formatSummary, RunSummary } from '../model/run-summary';

/** Exit status of a run stopped by --max-instructions (timeout(1)'s). */
const LIMIT_STATUS = 124;

/** Options shared by boot and restore. */
export interface RunOptions {
  json?: boolean;
  summary?: boolean;
  maxInstructions?: string;
  checkpointEvery?: string;
  checkpointAt?: string;
  store?: string;
}

/** Largest count accepted: what the engine's signed 64-bit instruction counters can hold. */
export const MAX_COUNT = 2n ** 63n - 1n;

/** Parse a count such as 5000000, 50M, 2G or 120k, at most `max`. */
export function parseCount(text: string, what: string, max = MAX_COUNT): bigint {
  const m = /^(\d+)([kKmMgG]?)$/.exec(text.trim());
  if (!m) throw new UsageError(`${what}: expected a count like 5000000 or 50M, got "${text}"`);
  const mult = { '': 1n, k: 1000n, m: 1000000n, g: 1000000000n }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  const n = BigInt(m[1]) * mult;
  if (n > max) throw new UsageError(`${what}: ${text} is too large (at most ${max})`);
  return n;
}

/** When to take checkpoints: every N instructions and/or at listed counts. */
class Schedule {
  constructor(private readonly every: bigint | undefined, private readonly at: bigint[]) {}

  /** The first checkpoint point after `now`, if any. */
  next(now: bigint): bigint | undefined {
    const cands = this.at.filter((p) => p > now);
    if (this.every) cands.push((now / this.every + 1n) * this.every);
    return cands.length ? cands.reduce((a, b) => (a < b ? a : b)) : undefined;
  }
}

/** Check checkpoint options and open the store they name (undefined when none is asked for). */
function openStoreFor(opts: RunOptions): { store: CheckpointStore; schedule: Schedule } | undefined {
  const every = opts.checkpointEvery ? parseCount(opts.checkpointEvery, '--checkpoint-every') : undefined;
  const at = (opts.checkpointAt ?? '')
    .split(',')
    .filter((s) => s.trim())
    .map((s) => parseCount(s, '--checkpoint-at'));
  if (every === 0n) throw new UsageError('--checkpoint-every must be above 0');
  // --store alone: checkpoints on demand only (SIGUSR1).
  if (!every && !at.length && !opts.store) return undefined;
  if (!opts.store) throw new UsageError('checkpoints need a store: add --store <dir>');
  probeStore(opts.store);
  return { store: CheckpointStore.open(opts.store), schedule: new Schedule(every, at) };
}

/**
 * Instructions between returns to the event loop while checkpoints are being committed in the
 * background: LMDB's writer needs the main thread now and then to finish a queued commit.
 */
const YIELD_EVERY = 20_000_000n;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Run to the end (or the limit), checkpointing as scheduled; prints the summary; returns the exit code. */
export async function runToEnd(machine: Machine, image: ImageRef, opts: RunOptions, parent: string | null = null): Promise<number> {
  await initHashing();
  const limit = opts.maxInstructions ? parseCount(opts.maxInstructions, '--max-instructions') : undefined;
  const ck = openStoreFor(opts);
  const checkpointer = ck ? new Checkpointer(ck.store, machine, image, parent) : undefined;
  const taken: string[] = [];
  const pending: Promise<void>[] = [];
  const failures: string[] = [];
  let fault: GuestFault | undefined;
  let outcome = 'exited';
  // Cleared when the store refuses a checkpoint (a full disk, say): the run then goes on without.
  let checkpointing = ck !== undefined;
  // A budget stops at the last block boundary before the point, so count from the point itself.
  let reached = machine.instructions;
  // On demand: SIGUSR1 asks for a checkpoint at the next slice boundary (the loop yields there).
  let requested = false;
  const onSignal = () => (requested = true);
  if (ck) {
    process.on('SIGUSR1', onSignal);
    if (!opts.checkpointEvery && !opts.checkpointAt) {
      process.stderr.write(`clonecloud: checkpoints on demand into ${opts.store}: kill -USR1 ${process.pid}\n`);
    }
  }
  try {
    for (;;) {
      const point = checkpointing ? ck?.schedule.next(reached > machine.instructions ? reached : machine.instructions) : undefined;
      const stopAt = point !== undefined && (limit === undefined || point < limit) ? point : limit;
      const step = checkpointing ? machine.instructions + YIELD_EVERY : undefined;
      const until = step !== undefined && (stopAt === undefined || step < stopAt) ? step : stopAt;
      outcome = machine.run(until);
      if (outcome !== 'budget') break;
      if (until !== stopAt) {
        await yieldToEventLoop();
        if (!requested) continue;
      } else if (stopAt === limit) {
        break;
      } else {
        reached = stopAt!;
      }
      requested = false;
      let capture: ReturnType<Checkpointer['captureAsync']>;
      try {
        capture = checkpointer!.captureAsync();
      } catch (e) {
        // Every checkpoint stored so far stays; the guest runs on to its end.
        checkpointing = false;
        process.stderr.write(`clonecloud: checkpoints stopped at ${machine.instructions.toLocaleString('en-US')} instructions: ${(e as Error).message}; the run goes on without them\n`);
        continue;
      }
      const { id, manifest, committed } = capture;
      const queuedAt = process.hrtime.bigint();
      const s = manifest.stats;
      pending.push(
        committed.then(
          () => {
            taken.push(id);
            process.stderr.write(
              `clonecloud: checkpoint ${id} at ${BigInt(manifest.state.instructions).toLocaleString('en-US')} instructions: ` +
                `${s.pagesScanned} pages scanned, ${s.newPages} new (${(s.newBytes / 1048576).toFixed(2)} MiB), ` +
                `${s.dedupHits} already stored; guest stopped ${s.captureMs.toFixed(1)} ms, ` +
                `durable ${(Number(process.hrtime.bigint() - queuedAt) / 1e6).toFixed(1)} ms later\n`,
            );
          },
          (e: Error) => {
            failures.push(`checkpoint ${id} could not be stored: ${e.message}`);
          },
        ),
      );
      await yieldToEventLoop();
    }
  } catch (e) {
    if (!(e instanceof GuestFault)) throw e;
    fault = e;
  } finally {
    process.off('SIGUSR1', onSignal);
    await Promise.all(pending);
    ck?.store.close();
  }
  const summary: RunSummary & { memoryHash: string; checkpoints: string[] } = {
    ...machine.summary(fault),
    memoryHash: memoryDigest(machine.space),
    checkpoints: taken,
  };
  // Stopped by the limit: report the status the process exits with, as timeout(1) does.
  if (outcome === 'budget') Object.assign(summary, { exitStatus: LIMIT_STATUS, stoppedBy: 'max-instructions' });
  machine.close();
  if (fault) process.stderr.write(`clonecloud: ${fault.message}\n`);
  if (outcome === 'budget') process.stderr.write(`clonecloud: stopped after ${summary.instructions} instructions (--max-instructions)\n`);
  // Checkpoints queued behind a failed one fail for want of their parent: the first says why.
  if (failures.length) {
    const more = failures.length > 1 ? ` (${failures.length - 1} later checkpoint${failures.length > 2 ? 's' : ''} not stored either)` : '';
    process.stderr.write(`clonecloud: ${failures[0]}${more}\n`);
  }
  if (opts.json) process.stderr.write(JSON.stringify(summary) + '\n');
  else if (opts.summary !== false) process.stderr.write(formatSummary(summary) + `memory hash     ${summary.memoryHash}\n`);
  if (failures.length) return 2;
  return summary.exitStatus;
}
