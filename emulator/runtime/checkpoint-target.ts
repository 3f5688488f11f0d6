/**
 * Where a run session's checkpoints go: a Checkpointer over an opened store. This is the one place
 * the session side touches the store, so that another kind of sink only changes what is opened here.
 */
import { Checkpointer } from '../snapshot/capture';
import { initHashing } from '../snapshot/page-hash';
import { CheckpointStore } from '../store/store';
import { probeStore } from '../store/store-probe';
import { Machine } from '../machine/machine';

/** A checkpointer and how to release what it writes to. */
export interface CheckpointTarget {
  checkpointer: Checkpointer;
  /** Called once, after every queued commit has settled. */
  close(): void;
}

/**
 * Open (creating if needed) the store in folder `dir` for checkpoints of `machine`; `parent` is
 * the checkpoint the machine was restored from, if any.
 */
export async function openStoreTarget(dir: string, machine: Machine, parent: string | null = null): Promise<CheckpointTarget> {
  // Store records are sealed with hashes.
  await initHashing();
  probeStore(dir);
  const store = CheckpointStore.open(dir);
  try {
    const checkpointer = new Checkpointer(store, machine, parent);
    return {
      checkpointer,
      close: () => {
        checkpointer.close();
        store.close();
      },
    };
  } catch (e) {
    store.close();
    throw e;
  }
}
