/**
 * How a syscall waits. A handler that cannot complete yet (an empty pipe, a futex, a child that
 * has not exited, a sleep) throws WouldBlock with what it waits for. The task is parked with the
 * syscall still pending and the scheduler runs others; when the condition may hold (or the
 * deadline passes, or a signal arrives) the same syscall is served again from the same
 * registers. A handler that made progress before blocking keeps it on the task (`Task.progress`)
 * so the retry continues where it stopped, and clears it when it returns.
 */
import { CloneCloudError } from '../errors';

/** What a parked task waits for. */
export interface WaitCondition {
  /** True once a retry can make progress (data, room, a wake-up, a child's exit). */
  ready(): boolean;
  /** Modelled monotonic time (ns) at which the retry must happen anyway (a timeout), if any. */
  deadlineNs?: bigint;
  /** What it waits for, for traces and deadlock reports ("read from pipe:[3]"). */
  readonly what: string;
  /** Told when a signal ends the wait early (nanosleep writes the time left). */
  interrupted?(): void;
  /**
   * A wait restored from a checkpoint, whose condition is not known yet: the scheduler serves
   * the call again where it would have tested the condition; it completes, or blocks with it.
   */
  readonly restored?: boolean;
}

/** Thrown by a handler that must wait: the syscall is retried once `wait` is ready. */
export class WouldBlock extends CloneCloudError {
  constructor(readonly wait: WaitCondition) {
    super(`would block: ${wait.what}`);
  }
}

/** Every task of the machine waits on something nobody can provide: Linux would hang forever. */
export class DeadlockError extends CloneCloudError {
  constructor(readonly waits: string[]) {
    super(`every task is blocked and nothing can wake any of them (${waits.join('; ')}): the guest would hang forever`);
  }
}
