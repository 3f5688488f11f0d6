/**
 * Running a migrated call on the clone: restore the phone's mirror at the migration checkpoint
 * onto the clone's own profile, run it until the call returns to its caller (the return address
 * executes with the stack pointer the call was entered with), a syscall the phone must serve
 * comes (phone-only.ts), or a budget runs out, and capture where it stopped into the mirror's
 * store as the next checkpoint. The phone then takes that checkpoint back.
 *
 * The machine a phone's call ran on is kept: the next call brings it to its checkpoint with a
 * live apply (only pages that differ are written) instead of restoring every page anew, and the
 * clone does not pile up a 4 GiB address space per call for the collector to find.
 */
import { CloneCloudError } from '../errors';
import { Machine } from '../machine/machine';
import { DeviceProfile } from '../model/profiles';
import { Checkpointer } from '../snapshot/capture';
import { tableDigest } from '../snapshot/memory-digest';
import { applyCheckpointLive } from '../snapshot/live-apply';
import { restoreCheckpoint } from '../snapshot/restore';
import { CheckpointStore } from '../store/store';
import { mustRunOnPhone } from './phone-only';
import { syscallView } from './syscall-view';

/** What the phone asks the clone to run. */
export interface MigrateRequest {
  /** The checkpoint to run from: the mirror's last. */
  checkpoint: string;
  /** The caller's return address (bit 0: Thumb) and the stack pointer at the call's entry. */
  returnPc: number;
  returnSp: number;
  /** Stop after this many instructions of the call (undefined: no limit). */
  budget?: bigint;
  /** Paths only the phone has. */
  phoneOnly: readonly string[];
}

/** How a migrated run stopped, and where. */
export interface MigratedRun {
  /** The checkpoint it stopped at, committed in the mirror's store after the request's. */
  id: string;
  reason: 'return' | 'syscall' | 'budget';
  /** For the log: the return address, or the syscall and why. */
  detail: string;
  memoryHash: string;
  /** The chain the checkpoint was committed in (the phone's next increment names it as its parent's). */
  chain: string;
  /** Instructions the call ran on the clone, and the clone's modelled seconds for them. */
  instructions: bigint;
  cloneSeconds: number;
}

/** A migrated run that could not be done (the guest faulted, say): the phone runs the call itself. */
export class MigrationError extends CloneCloudError {}

/** Stack pointer register. */
const SP = 13;

/** Where a guest's output goes during a call. */
type OutputSink = (fd: 1 | 2, bytes: Uint8Array) => void;

/** Runs migrated calls for the phones of one clone, keeping each phone's machine between calls. */
export class Augmenter {
  private readonly kept = new Map<string, { machine: Machine; at: string; profile: DeviceProfile }>();
  private output: OutputSink = () => undefined;

  /** Run `req` of `phone` from the mirror in `store` on `profile`; `output` receives what the guest writes to fd 1 and 2, in order. */
  run(phone: string, store: CheckpointStore, req: MigrateRequest, profile: DeviceProfile, output: OutputSink): MigratedRun {
    const machine = this.machineAt(phone, store, req.checkpoint, profile);
    this.output = output;
    try {
      const start = machine.instructions;
      const t0 = machine.clock.seconds();
      const stop = runToReturn(machine, req);
      const checkpointer = new Checkpointer(store, machine, req.checkpoint);
      const capture = checkpointer.capture();
      checkpointer.close();
      const chain = store.chainOf(capture.id);
      if (chain === undefined) throw new MigrationError(`internal: checkpoint ${capture.id} has no chain`);
      this.kept.set(phone, { machine, at: capture.id, profile });
      return {
        id: capture.id,
        ...stop,
        memoryHash: tableDigest(capture.manifest.state.regions, store.readTable(capture.id)),
        chain,
        instructions: machine.instructions - start,
        cloneSeconds: machine.clock.seconds() - t0,
      };
    } catch (e) {
      this.drop(phone, machine);
      throw e;
    } finally {
      this.output = () => undefined;
    }
  }

  /** Release every kept machine. */
  close(): void {
    for (const { machine } of this.kept.values()) machine.close();
    this.kept.clear();
  }

  /** `phone`'s machine at checkpoint `id`: the kept one brought there, or one restored anew. */
  private machineAt(phone: string, store: CheckpointStore, id: string, profile: DeviceProfile): Machine {
    const k = this.kept.get(phone);
    if (k && JSON.stringify(k.profile) === JSON.stringify(profile)) {
      try {
        applyCheckpointLive(k.machine, store, id, { since: k.at });
        return k.machine;
      } catch {
        // Whatever stood in the way (another image, a profile too small), a cold restore says it properly.
      }
    }
    if (k) this.drop(phone, k.machine);
    return restoreCheckpoint(store, id, {
      profile,
      stdout: (b) => this.output(1, Uint8Array.prototype.slice.call(b)),
      stderr: (b) => this.output(2, Uint8Array.prototype.slice.call(b)),
      warn: () => undefined,
    }).machine;
  }

  private drop(phone: string, machine: Machine): void {
    machine.close();
    if (this.kept.get(phone)?.machine === machine) this.kept.delete(phone);
  }
}

/** Run until the call returns, a syscall must go to the phone, or the budget ends. */
function runToReturn(machine: Machine, req: MigrateRequest): { reason: MigratedRun['reason']; detail: string } {
  const returnAt = (req.returnPc & ~1) >>> 0;
  let why: string | undefined;
  machine.beforeSyscall = (nr) => {
    why = mustRunOnPhone(syscallView(machine, nr), req.phoneOnly);
    return why !== undefined;
  };
  machine.setBreakpoints([returnAt]);
  const end = req.budget === undefined ? undefined : machine.instructions + req.budget;
  try {
    for (;;) {
      const outcome = machine.run(end);
      switch (outcome) {
        case 'breakpoint':
          // A recursive call returns through the same address with a deeper stack: go on.
          if (machine.engine.r(SP) >>> 0 === req.returnSp >>> 0) return { reason: 'return', detail: `returned to 0x${returnAt.toString(16)}` };
          continue;
        case 'syscall-entry':
          machine.rewindSyscall();
          return { reason: 'syscall', detail: why ?? 'a syscall the phone serves' };
        case 'budget':
          return { reason: 'budget', detail: `stopped after the budget of ${req.budget} instructions` };
        default:
          throw new MigrationError(`the migrated run ended unexpectedly (${outcome})`);
      }
    }
  } catch (e) {
    if (e instanceof MigrationError) throw e;
    throw new MigrationError(`the migrated run failed on the clone: ${(e as Error).message}`);
  } finally {
    machine.beforeSyscall = undefined;
    machine.setBreakpoints([]);
  }
}
