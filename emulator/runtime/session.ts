/**
 * Running a machine to its end the way `clonecloud boot` does, for any caller: slices, the
 * checkpoint schedule, checkpoints on demand, the instruction limit, guest faults and the final
 * summary with the memory hash. Nothing here prints or listens to signals; callers get events
 * and a typed result.
 */
import { GuestFault } from '../errors';
import { Machine } from '../machine/machine';
import { RunSummary } from '../model/run-summary';
import { CheckpointManifest } from '../snapshot/manifest';
import { memoryDigest } from '../snapshot/memory-digest';
import { initHashing } from '../snapshot/page-hash';
import { CheckpointTarget } from './checkpoint-target';
import { CheckpointSchedule } from './schedule';

/** Exit status of a run stopped by its instruction limit (timeout(1)'s). */
export const LIMIT_STATUS = 124;

/**
 * Instructions between returns to the event loop while checkpoints are being committed in the
 * background: LMDB's writer needs the main thread now and then to finish a queued commit.
 */
const YIELD_EVERY = 20_000_000n;

/** A checkpoint that became durable. */
export interface CheckpointTaken {
  id: string;
  manifest: CheckpointManifest;
  /** Host milliseconds from queueing the commit to its being durable. */
  durableMs: number;
}

/** What a session tells its caller while it runs. */
export interface SessionEvents {
  /** A checkpoint is durable (in commit order). */
  onCheckpoint?(taken: CheckpointTaken): void;
  /** The target refused a checkpoint (a full disk, say): earlier ones stay, the run goes on without more. */
  onCheckpointsStopped?(instructions: bigint, error: Error): void;
  /** The run reached a point where it returned to the event loop; a promise returned holds the run until it settles. */
  onProgress?(instructions: bigint): void | Promise<void>;
}

/** How to run. */
export interface SessionOptions {
  /** Where checkpoints go; without one, no checkpoints are taken. Closed when the run ends. */
  checkpoints?: CheckpointTarget;
  /** When to take checkpoints (none: on request only). */
  schedule?: CheckpointSchedule;
  /** Stop once this many instructions have executed in all (the summary then says so). */
  maxInstructions?: bigint;
  /**
   * Return to the event loop every this many instructions (needed for requestCheckpoint() to be
   * heard). With checkpoints it defaults to 20 million, without them the run does not yield.
   */
  yieldEvery?: bigint;
  events?: SessionEvents;
  /** Stop at these code addresses and let the handler act (an offloaded call's entry) before the run goes on. */
  breakpoints?: { addresses: number[]; hit(address: number): Promise<void> };
}

/** The summary a session ends with: the machine's figures, its memory hash and the checkpoints taken. */
export type SessionSummary = RunSummary & { memoryHash: string; checkpoints: string[] };

/** How a session ended. */
export interface SessionResult {
  /** The process exited, the guest faulted, or the instruction limit stopped it. */
  outcome: 'exited' | 'fault' | 'limit';
  summary: SessionSummary;
  fault?: GuestFault;
  /** Ids of the checkpoints stored, in order. */
  checkpoints: string[];
  /** Checkpoints that could not be stored, with why (later ones fail for want of their parent). */
  checkpointFailures: string[];
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** One run of one machine; the machine stays open for the caller to inspect and close. */
export class RunSession {
  private requested = false;

  constructor(
    readonly machine: Machine,
    private readonly opts: SessionOptions = {},
  ) {}

  /** Take a checkpoint at the next point the run returns to the event loop (ignored without a target). */
  requestCheckpoint(): void {
    this.requested = true;
  }

  /** Run to the end (or the limit), checkpointing as scheduled and as requested. */
  async run(): Promise<SessionResult> {
    await initHashing();
    const machine = this.machine;
    const { checkpoints: target, maxInstructions: limit, events = {} } = this.opts;
    const schedule = this.opts.schedule ?? new CheckpointSchedule();
    const taken: string[] = [];
    const pending: Promise<void>[] = [];
    const failures: string[] = [];
    let fault: GuestFault | undefined;
    let outcome = 'exited';
    // Cleared when the target refuses a checkpoint: the run then goes on without.
    let checkpointing = target !== undefined;
    const stepSize = () => this.opts.yieldEvery ?? (checkpointing ? YIELD_EVERY : undefined);
    // A budget stops at the last block boundary before the point, so count from the point itself.
    let reached = machine.instructions;
    const breakpoints = this.opts.breakpoints;
    if (breakpoints) machine.setBreakpoints(breakpoints.addresses);
    try {
      for (;;) {
        const point = checkpointing ? schedule.next(reached > machine.instructions ? reached : machine.instructions) : undefined;
        const stopAt = point !== undefined && (limit === undefined || point < limit) ? point : limit;
        const size = stepSize();
        const step = size !== undefined ? machine.instructions + size : undefined;
        const until = step !== undefined && (stopAt === undefined || step < stopAt) ? step : stopAt;
        outcome = machine.run(until);
        if (outcome === 'breakpoint') {
          await breakpoints?.hit(machine.breakpointHit!);
          continue;
        }
        if (outcome !== 'budget') break;
        if (until !== stopAt) {
          await events.onProgress?.(machine.instructions);
          await yieldToEventLoop();
          if (!this.requested || !checkpointing) continue;
        } else if (stopAt === limit) {
          break;
        } else {
          reached = stopAt!;
        }
        this.requested = false;
        let capture: ReturnType<CheckpointTarget['checkpointer']['captureAsync']>;
        try {
          capture = target!.checkpointer.captureAsync();
        } catch (e) {
          // Every checkpoint stored so far stays; the guest runs on to its end.
          checkpointing = false;
          events.onCheckpointsStopped?.(machine.instructions, e as Error);
          continue;
        }
        const { id, manifest, committed } = capture;
        const queuedAt = process.hrtime.bigint();
        pending.push(
          committed.then(
            () => {
              taken.push(id);
              events.onCheckpoint?.({ id, manifest, durableMs: Number(process.hrtime.bigint() - queuedAt) / 1e6 });
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
      await Promise.all(pending);
      target?.close();
    }
    const summary: SessionSummary = {
      ...machine.summary(fault),
      memoryHash: memoryDigest(machine.space),
      checkpoints: taken,
    };
    // A fault after earlier slices leaves `outcome` at 'budget': the fault is what ended the run.
    const limited = !fault && outcome === 'budget';
    // Stopped by the limit: report the status the process exits with, as timeout(1) does.
    if (limited) Object.assign(summary, { exitStatus: LIMIT_STATUS, stoppedBy: 'max-instructions' });
    return { outcome: fault ? 'fault' : limited ? 'limit' : 'exited', summary, fault, checkpoints: taken, checkpointFailures: failures };
  }
}
