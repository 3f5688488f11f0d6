/**
 * Capture and restore through the in-memory sink and source give what they give through the LMDB
 * store: the same page tables, the same memory hash on restore, the same output from there on.
 */
import { strict as assert } from 'assert';
import { Checkpointer } from '../../emulator/snapshot/capture';
import { CheckpointManifest } from '../../emulator/snapshot/manifest';
import { MemorySnapshots } from '../../emulator/snapshot/memory-snapshots';
import { memoryDigest } from '../../emulator/snapshot/memory-digest';
import { hashBytes, initHashing } from '../../emulator/snapshot/page-hash';
import { encodePageTable } from '../../emulator/snapshot/page-table';
import { restoreCheckpoint } from '../../emulator/snapshot/restore';
import { SnapshotSink } from '../../emulator/snapshot/sink';
import { SnapshotSource } from '../../emulator/snapshot/source';
import { CheckpointStore } from '../../emulator/store/store';
import { bootImage, collect } from '../support/images';
import { tempDir } from '../support/toolchain';

const POINTS = [300_000n, 1_200_000n, 2_400_000n];

/** Run syscalls with checkpoints at POINTS into `sink`; the ids taken. */
function captureInto(sink: SnapshotSink): CheckpointManifest[] {
  const r = bootImage('syscalls');
  const ck = new Checkpointer(sink, r.machine);
  const out = POINTS.map((p) => {
    assert.equal(r.machine.run(p), 'budget');
    return ck.capture().manifest;
  });
  r.machine.close();
  collect();
  return out;
}

/** Restore `id` and run it to the end: memory hash at restore, then output, status, count and memory at the end. */
function resume(source: SnapshotSource, id: string): unknown {
  const out: Buffer[] = [];
  const push = (x: Uint8Array) => void out.push(Buffer.from(x));
  const { machine } = restoreCheckpoint(source, id, { stdout: push, stderr: push, warn: () => undefined });
  const atRestore = memoryDigest(machine.space);
  machine.run();
  const s = machine.summary();
  const result = {
    atRestore,
    output: Buffer.concat(out).toString('latin1'),
    exitStatus: s.exitStatus,
    instructions: s.instructions,
    memory: memoryDigest(machine.space),
  };
  machine.close();
  collect();
  return result;
}

describe('snapshot sink and source: memory and LMDB', function () {
  this.timeout(120_000);
  before(() => initHashing());

  it('capture to memory and restore from memory as through the store', () => {
    const memory = new MemorySnapshots();
    const store = CheckpointStore.open(tempDir('cc-sinksrc-'));
    try {
      const inMemory = captureInto(memory);
      const inStore = captureInto(store);
      assert.notDeepEqual(
        inMemory.map((m) => m.id),
        inStore.map((m) => m.id),
        'each run names its own checkpoints',
      );
      inMemory.forEach((m, i) => {
        const s = inStore[i];
        assert.ok(Buffer.from(encodePageTable(memory.readTable(m.id))).equals(Buffer.from(encodePageTable(store.readTable(s.id)))), `page table ${i}`);
        assert.deepEqual(m.state, s.state);
        assert.deepEqual(m.vfs, s.vfs);
        assert.deepEqual(resume(memory, m.id), resume(store, s.id), `checkpoint ${i}`);
      });
    } finally {
      store.close();
    }
  });

  it('refuses what a receiver must refuse: a parent of another run, and altered pages', () => {
    const memory = new MemorySnapshots();
    const [first] = captureInto(memory);
    const table = encodePageTable(memory.readTable(first.id));
    const record = {
      id: 'x-1',
      parent: first.id,
      manifest: {},
      pageTable: table,
      extraHashes: new Uint8Array(0),
      chain: 'other',
      parentChain: 'not-its-chain',
    };
    assert.throws(() => memory.commit(record, []), /written by another run/);
    const page = new Uint8Array(4096).fill(7);
    assert.throws(() => memory.commit({ ...record, parent: null }, [[hashBytes(new Uint8Array(4096).fill(8)), page]]), /does not match its hash/);
    assert.equal(memory.has('x-1'), false, 'a refused commit leaves nothing behind');
    assert.throws(() => memory.readPage(hashBytes(page), { checkpoint: 'x-1', page: 3 }), /checkpoint x-1: page 0x3 .*not held/);
  });
});
