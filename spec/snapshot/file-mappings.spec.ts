/**
 * Checkpoints of a private file mapping (spec/fixtures/file-ckpt.c): the pages that hold the
 * file's bytes are referred to the file, the ones the guest changed are stored. Restored from each
 * checkpoint of a chain taken between the program's phases (a page written, written back to the
 * file's bytes, written again), the run ends exactly as the uninterrupted one, including
 * MADV_DONTNEED and mremap growth after the restore, which read the file again. A live apply
 * reaches the same state, a checkpoint's memory digest computed from its records equals the live
 * one, and a file changed before the restore makes the restore fail naming it.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { MappedFileChangedError } from '../../emulator/kernel/mapped-files';
import { Machine } from '../../emulator/machine/machine';
import { PAGE_SIZE } from '../../emulator/memory/address-space';
import { Checkpointer } from '../../emulator/snapshot/capture';
import { applyCheckpointLive } from '../../emulator/snapshot/live-apply';
import { memoryDigest, tableDigest } from '../../emulator/snapshot/memory-digest';
import { MemorySnapshots } from '../../emulator/snapshot/memory-snapshots';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { restoreCheckpoint } from '../../emulator/snapshot/restore';
import { CheckpointManifest } from '../../emulator/snapshot/manifest';
import { bootElf, BootedMachine } from '../support/boot';
import { compileC, tempDir } from '../support/toolchain';

const FIXTURE = path.resolve(__dirname, '..', '..', '..', 'spec', 'fixtures', 'file-ckpt.c');
/** data.bin: 5.5 pages of a byte pattern. */
const DATA = new Uint8Array(5 * PAGE_SIZE + PAGE_SIZE / 2).map((_, i) => (i * 7 + (i >> 12)) & 0xff);

interface Ending {
  stdout: string;
  status: number | undefined;
  instructions: string;
  seconds: number;
  memory: string;
}

function ending(m: Machine, stdout: string): Ending {
  const s = m.summary();
  return { stdout, status: s.exitStatus, instructions: String(m.instructions), seconds: s.modelledSeconds, memory: memoryDigest(m.space) };
}

/** Run `b` on until its output holds `marker` (the program then spins for a while). */
function runUntil(b: BootedMachine, marker: string): void {
  for (let at = b.machine.instructions; !b.stdout().toString().includes(marker);) {
    at += 20_000n;
    assert.equal(b.machine.run(at), 'budget', `the program ended before printing ${marker}`);
  }
}

/** Restore `id` and run it to the end. */
function restoreAndFinish(snaps: MemorySnapshots, id: string, before: string): Ending {
  const out: Buffer[] = [];
  const r = restoreCheckpoint(snaps, id, { stdout: (b) => out.push(Buffer.from(b)), stderr: () => undefined, warn: () => undefined });
  try {
    assert.equal(r.machine.run(), 'exited');
    return ending(r.machine, before + Buffer.concat(out).toString());
  } finally {
    r.machine.close();
  }
}

describe('snapshot: private file mappings refer to their file', function () {
  this.timeout(300_000);
  let elf = '';
  let root = '';
  let want: Ending;

  const boot = (r = root) => bootElf(elf, { root: r });

  before(async () => {
    await initHashing();
    elf = compileC(FIXTURE);
    root = tempDir('cc-filemap-');
    fs.writeFileSync(path.join(root, 'data.bin'), DATA);
    const whole = boot();
    assert.equal(whole.machine.run(), 'exited');
    want = ending(whole.machine, whole.stdout().toString());
    whole.machine.close();
    assert.equal(want.status, 0, want.stdout);
    assert.match(want.stdout, /after drop:/);
  });

  it('stores only the pages the guest changed; each checkpoint of a chain restores to the same end', () => {
    const b = boot();
    const snaps = new MemorySnapshots();
    const cp = new Checkpointer(snaps, b.machine);
    const taken: { id: string; manifest: CheckpointManifest; stdout: string }[] = [];
    for (const phase of ['phase 1', 'phase 2', 'phase 3', 'phase 4', 'phase 5']) {
      runUntil(b, phase);
      const { id, manifest } = cp.capture();
      taken.push({ id, manifest, stdout: b.stdout().toString() });
      // The digest from the records alone is the live memory's.
      assert.equal(tableDigest(manifest.state.regions, snaps.readTable(id)), memoryDigest(b.machine.space), `digest at ${phase}`);
    }
    b.machine.close();
    const mapped = (m: CheckpointManifest) => m.state.regions.find((r) => r.file?.path === '/data.bin');
    const first = taken[0].manifest;
    // Phase 1: the six pages holding the file's bytes (the last one partly) are referred, none stored.
    assert.deepEqual(
      mapped(first)?.file?.pages?.map(([, n]) => n),
      [6],
    );
    assert.equal(mapped(first)?.file?.size, DATA.length);
    // Phase 2: page 1 and the file's last page were written: the other four stay referred.
    assert.equal(
      mapped(taken[1].manifest)
        ?.file?.pages?.map(([, n]) => n)
        .reduce((a, n) => a + n),
      4,
    );
    // Phase 3: page 1 is the file's again, page 2 is not; phase 4 the other way round.
    const pagesOf = (m: CheckpointManifest) => {
      const r = mapped(m)!;
      return (r.file?.pages ?? []).flatMap(([p, n]) => Array.from({ length: n }, (_, i) => p + i - r.start / PAGE_SIZE));
    };
    assert.deepEqual(pagesOf(taken[2].manifest), [0, 1, 3, 4]);
    assert.deepEqual(pagesOf(taken[3].manifest), [0, 2, 3, 4]);
    for (const t of taken) assert.deepEqual(restoreAndFinish(snaps, t.id, t.stdout), want, `restored from ${t.id}`);
  });

  it('a restored run checkpointed again, and a live apply of its checkpoint, end the same', () => {
    const a = boot();
    const snaps = new MemorySnapshots();
    runUntil(a, 'phase 2');
    const c1 = new Checkpointer(snaps, a.machine).capture();
    const atC1 = a.stdout().toString();
    // A restored copy runs on to phase 4 and is checkpointed against c1.
    const out: Buffer[] = [];
    const r = restoreCheckpoint(snaps, c1.id, { stdout: (x) => out.push(Buffer.from(x)), stderr: () => undefined, warn: () => undefined });
    const copy: BootedMachine = {
      machine: r.machine,
      stdout: () => Buffer.from(atC1 + Buffer.concat(out).toString()),
      stderr: () => Buffer.alloc(0),
      warnings: [],
    };
    runUntil(copy, 'phase 4');
    const c4 = new Checkpointer(snaps, r.machine, c1.id).capture();
    const atC4 = copy.stdout().toString();
    r.machine.close();
    assert.deepEqual(restoreAndFinish(snaps, c4.id, atC4), want);
    // The machine left at c1 takes c4 live, reading the referred pages from the file.
    const before = a.stdout().length;
    applyCheckpointLive(a.machine, snaps, c4.id, { since: c1.id });
    assert.equal(a.machine.run(), 'exited');
    const live = ending(a.machine, atC4 + a.stdout().subarray(before).toString());
    a.machine.close();
    assert.deepEqual(live, want);
  });

  it('refuses to restore when the mapped file changed, naming it and what changed', () => {
    const changedRoot = tempDir('cc-filemap-changed-');
    fs.writeFileSync(path.join(changedRoot, 'data.bin'), DATA);
    const b = boot(changedRoot);
    runUntil(b, 'phase 2');
    const snaps = new MemorySnapshots();
    const { id } = new Checkpointer(snaps, b.machine).capture();
    b.machine.close();
    const quiet = { stdout: () => undefined, stderr: () => undefined, warn: () => undefined };
    const other = DATA.slice();
    other[3 * PAGE_SIZE + 5] ^= 1;
    fs.writeFileSync(path.join(changedRoot, 'data.bin'), other);
    assert.throws(
      () => restoreCheckpoint(snaps, id, quiet),
      (e: Error) => e instanceof MappedFileChangedError && /data\.bin.*holds other bytes/.test(e.message),
    );
    fs.writeFileSync(path.join(changedRoot, 'data.bin'), Buffer.concat([DATA, Buffer.from([1])]));
    assert.throws(
      () => restoreCheckpoint(snaps, id, quiet),
      (e: Error) => e instanceof MappedFileChangedError && /data\.bin.*was 22528 bytes long and is now 22529/.test(e.message),
    );
    fs.rmSync(path.join(changedRoot, 'data.bin'));
    assert.throws(
      () => restoreCheckpoint(snaps, id, quiet),
      (e: Error) => e instanceof MappedFileChangedError && /data\.bin.*cannot be opened/.test(e.message),
    );
    fs.writeFileSync(path.join(changedRoot, 'data.bin'), DATA);
    const r = restoreCheckpoint(snaps, id, quiet);
    r.machine.close();
  });
});
