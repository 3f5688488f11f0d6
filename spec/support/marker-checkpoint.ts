/** Checkpointing a test program at its marker and resuming it in a new machine. */
import { strict as assert } from 'assert';
import { Checkpointer } from '../../emulator/snapshot/capture';
import { CheckpointManifest } from '../../emulator/snapshot/manifest';
import { restoreCheckpoint } from '../../emulator/snapshot/restore';
import { CheckpointStore } from '../../emulator/store/store';
import { NR } from '../../emulator/abi/syscall-names';
import { bootElf, TestBoot } from './boot';

/** A checkpoint taken at the marker, and what the program printed before it and after the restore. */
export interface MarkerRun {
  manifest: CheckpointManifest;
  before: Buffer;
  after: Buffer;
  status: number | undefined;
}

/**
 * Boot `elfPath` as bootElf does, run it to its first getpid() (the marker the test programs
 * make), checkpoint it into `store`, then restore the checkpoint into a new machine (on the
 * profile it was taken on) and run that to the end.
 */
export function checkpointAtMarker(store: CheckpointStore, elfPath: string, opts: TestBoot = {}): MarkerRun {
  const b = bootElf(elfPath, opts);
  let manifest: CheckpointManifest;
  try {
    assert.equal(
      b.machine.run(undefined, (nr) => nr === NR.getpid),
      'syscall',
      'the program made no marker',
    );
    manifest = new Checkpointer(store, b.machine).capture().manifest;
  } finally {
    b.machine.close();
  }
  const out: Buffer[] = [];
  const { machine } = restoreCheckpoint(store, manifest.id, { stdout: (x) => out.push(Buffer.from(x)), stderr: () => undefined, warn: () => undefined });
  try {
    assert.equal(machine.run(), 'exited');
    return { manifest, before: b.stdout(), after: Buffer.concat(out), status: machine.kernel.exitState?.status };
  } finally {
    machine.close();
  }
}
