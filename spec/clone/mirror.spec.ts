/**
 * A phone's mirror on the clone, fed the increments a phone captures: its memory hash equals the
 * phone's at every sync, a run restored from it ends like the phone's, it survives a reopen, pages
 * other phones' mirrors hold are borrowed rather than sent, and an incomplete or altered increment
 * is refused whole.
 */
import { strict as assert } from 'assert';
import * as path from 'path';
import { Mirror, MirrorError, MirrorSet } from '../../emulator/clone/mirror';
import { Checkpointer } from '../../emulator/snapshot/capture';
import { MemorySnapshots } from '../../emulator/snapshot/memory-snapshots';
import { memoryDigest } from '../../emulator/snapshot/memory-digest';
import { collectBlockHashes, filesDigest } from '../../emulator/snapshot/files-record';
import { SNAPSHOT_VERSION, VfsRecord } from '../../emulator/snapshot/manifest';
import { hashBytes, hashHex, initHashing } from '../../emulator/snapshot/page-hash';
import { decodePageTable, hashAt } from '../../emulator/snapshot/page-table';
import { restoreCheckpoint } from '../../emulator/snapshot/restore';
import { PutPage, SnapshotRecord } from '../../emulator/snapshot/sink';
import { CheckpointStore } from '../../emulator/store/store';
import { bootImage, collect } from '../support/images';
import { tempDir } from '../support/toolchain';

/** An increment as the phone would send it, with the phone's memory hash and output at that point. */
interface Sent {
  record: SnapshotRecord;
  pages: PutPage[];
  phoneHash: string;
  outputSoFar: number;
}

/** A sink that keeps what capture commits, so a test can replay it to a mirror. */
class Recorder extends MemorySnapshots {
  readonly sent: { record: SnapshotRecord; pages: PutPage[] }[] = [];
  override commit(record: SnapshotRecord, pages: PutPage[]): void {
    super.commit(record, pages);
    this.sent.push({ record, pages: pages.map(([h, b]) => [h.slice(), b.slice()]) });
  }
}

/** Run `image` capturing at `points`; the increments, the whole output and the final memory hash. */
function phoneRun(image: string, points: bigint[], toEnd = true): { sent: Sent[]; output: Buffer; finalHash: string } {
  const r = bootImage(image);
  const rec = new Recorder();
  const ck = new Checkpointer(rec, r.machine);
  const extra: Omit<Sent, 'record' | 'pages'>[] = [];
  for (const p of points) {
    assert.equal(r.machine.run(p), 'budget');
    ck.capture();
    extra.push({ phoneHash: memoryDigest(r.machine.space), outputSoFar: r.stdout().length });
  }
  if (toEnd) r.machine.run();
  const out = { output: r.stdout(), finalHash: memoryDigest(r.machine.space) };
  r.machine.close();
  collect();
  return { sent: rec.sent.map((s, i) => ({ ...s, ...extra[i] })), ...out };
}

/** Restore `id` from the mirror's store and run it to the end. */
function runFromMirror(root: string, phone: string, id: string): { output: Buffer; finalHash: string } {
  const store = CheckpointStore.open(path.join(root, phone), { readOnly: true });
  const out: Buffer[] = [];
  try {
    const { machine } = restoreCheckpoint(store, id, { stdout: (b) => void out.push(Buffer.from(b)), stderr: () => undefined, warn: () => undefined });
    machine.run();
    const finalHash = memoryDigest(machine.space);
    machine.close();
    return { output: Buffer.concat(out), finalHash };
  } finally {
    store.close();
    collect();
  }
}

describe('clone/mirror', function () {
  this.timeout(120_000);
  before(async () => {
    await initHashing();
  });

  for (const [image, points] of [
    ['syscalls', [300_000n, 1_200_000n, 2_400_000n]],
    ['compute', [40_000_000n, 200_000_000n]],
  ] as const) {
    it(`${image}: the mirror's memory hash is the phone's at every sync, and a run from it ends like the phone's`, () => {
      const root = tempDir('cc-mirror-');
      const phone = phoneRun(image, [...points]);
      const set = new MirrorSet(root);
      for (const s of phone.sent) {
        const applied = set.apply('phone-a', s.record, s.pages);
        assert.equal(applied.memoryHash, s.phoneHash, `${image} ${s.record.id}`);
        assert.equal(applied.pagesBorrowed, 0);
      }
      const status = set.list();
      set.close();
      assert.equal(status.length, 1);
      assert.equal(status[0].mirror?.checkpoint, phone.sent[phone.sent.length - 1].record.id);
      assert.equal(status[0].mirror?.syncs, points.length);
      // Reopened as after a restart: the same mirror.
      const again = new MirrorSet(root);
      assert.deepEqual(again.list(), status);
      again.close();
      for (const s of phone.sent) {
        const r = runFromMirror(root, 'phone-a', s.record.id);
        assert.ok(r.output.equals(phone.output.subarray(s.outputSoFar)), `${image}: output after ${s.record.id}`);
        assert.equal(r.finalHash, phone.finalHash);
      }
    });
  }

  it('takes an increment that references one content more than once (fsscan early on: equal pages)', () => {
    const root = tempDir('cc-mirror-');
    const phone = phoneRun('fsscan', [20_000_000n], false);
    const [first] = phone.sent;
    const table = decodePageTable(first.record.pageTable, 'fsscan');
    const distinct = new Set(Array.from({ length: table.pages.length }, (_, i) => hashHex(hashAt(table, i))));
    assert.ok(distinct.size < table.pages.length, 'the table holds equal pages');
    const m = Mirror.open(root, 'phone-a');
    try {
      assert.equal(m.apply(first.record, first.pages).memoryHash, first.phoneHash);
    } finally {
      m.close();
    }
  });

  it("borrows pages another phone's mirror holds, so a second phone of the same image sends only the rest", () => {
    const root = tempDir('cc-mirror-');
    const a = phoneRun('syscalls', [1_000_000n]);
    const b = phoneRun('syscalls', [1_000_000n]);
    const set = new MirrorSet(root);
    try {
      set.apply('phone-a', a.sent[0].record, a.sent[0].pages);
      const first = b.sent[0];
      const lacking = first.pages.filter(([h]) => !set.holds(h));
      assert.ok(lacking.length < first.pages.length / 2, 'most pages of the same image are held already');
      const applied = set.apply('phone-b', first.record, lacking);
      assert.equal(applied.memoryHash, first.phoneHash);
      assert.equal(applied.pagesBorrowed, first.pages.length - lacking.length);
    } finally {
      set.close();
    }
  });

  it('refuses an incomplete or altered increment whole, and one that builds on what it lacks', () => {
    const root = tempDir('cc-mirror-');
    const phone = phoneRun('syscalls', [500_000n, 1_500_000n]);
    const m = Mirror.open(root, 'phone-a');
    try {
      const [first, second] = phone.sent;
      assert.throws(
        () => m.apply(second.record, second.pages),
        (e: Error) => e instanceof MirrorError && /does not hold; a full sync is needed/.test(e.message),
      );
      assert.throws(
        () => m.apply(first.record, first.pages.slice(1)),
        (e: Error) => e instanceof MirrorError && /lacks and the phone did not send \(first [0-9a-f]{32}\)/.test(e.message),
      );
      const altered: PutPage[] = first.pages.map(([h, b], i) => [h, i === 3 ? Uint8Array.from(b, (x, j) => (j === 0 ? x ^ 1 : x)) : b]);
      assert.throws(
        () => m.apply(first.record, altered),
        (e: Error) => e instanceof MirrorError && /does not match its hash/.test(e.message),
      );
      assert.equal(m.status(), undefined, 'nothing was applied');
      assert.equal(
        first.pages.some(([h]) => m.holds(h)),
        false,
      );
      assert.equal(m.apply(first.record, first.pages).memoryHash, first.phoneHash);
      assert.equal(m.apply(second.record, second.pages).memoryHash, second.phoneHash);
    } finally {
      m.close();
    }
    assert.throws(() => Mirror.open(root, '../escape'), MirrorError);
    assert.throws(() => Mirror.open(root, ''), MirrorError);
  });
});

describe('clone/mirror: file-only syncs', function () {
  before(async () => {
    await initHashing();
  });

  const block = (seed: number, length = 4096) => Uint8Array.from({ length }, (_, i) => (i * 131 + seed * 7919) & 0xff || 1);
  /** A file sync of one file whose blocks are `blocks`, as the phone would send it. */
  const filesSync = (id: string, blocks: Uint8Array[]) => {
    const hashes = blocks.map((b) => hashBytes(b));
    const meta = { mode: 0o100644, uid: 0, gid: 0, ino: 7, nlink: 1, atime: { sec: 1, nsec: 0 }, mtime: { sec: 1, nsec: 0 }, ctime: { sec: 1, nsec: 0 } };
    const vfs = {
      nextIno: 8,
      nodes: [
        { path: '/tmp/log', kind: 'file', meta, size: 4096 * blocks.length, blocks: hashes.map((h, index) => ({ index, length: 4096, hash: hashHex(h) })) },
      ],
    } as unknown as VfsRecord;
    const manifest = { version: SNAPSHOT_VERSION, kind: 'files', id, created: new Date(0).toISOString(), instructions: '1000', modelledSeconds: 0.5, vfs };
    const pages: PutPage[] = blocks.map((b, i) => [hashes[i], b]);
    return { record: { id, manifest, extraHashes: collectBlockHashes(vfs) }, pages, digest: filesDigest(vfs) };
  };

  it('keeps the last one beside the mirror, sends only new blocks, and survives a reopen', () => {
    const root = tempDir('cc-files-');
    const set = new MirrorSet(root);
    const a = filesSync('run-f1', [block(1), block(2)]);
    const first = set.applyFiles('phone-f', a.record, a.pages);
    assert.deepEqual([first.filesHash, first.pagesWritten], [a.digest, 2]);
    // The second sends one new block; the unchanged one is already held.
    const b = filesSync('run-f2', [block(1), block(3)]);
    const second = set.applyFiles('phone-f', b.record, [b.pages[1]]);
    assert.deepEqual([second.filesHash, second.pagesWritten], [b.digest, 1]);
    const listed = set.list();
    assert.deepEqual(
      listed.map((e) => [e.phone, e.mirror, e.files?.id, e.files?.filesHash]),
      [['phone-f', undefined, 'run-f2', b.digest]],
    );
    assert.ok(set.holds(hashBytes(block(3))));
    set.close();
    const again = new MirrorSet(root);
    assert.deepEqual(again.list(), listed);
    again.close();
    const files = CheckpointStore.open(path.join(root, '.files', 'phone-f'), { readOnly: true });
    assert.deepEqual(files.ids(), ['run-f2'], 'only the last file sync is kept');
    // Block 2 was only in the first one: gone with it.
    assert.equal(files.hasPage(hashBytes(block(2))), false);
    files.close();
  });

  it('refuses one whose references, blocks or manifest are wrong, and keeps the one before', () => {
    const root = tempDir('cc-files-');
    const set = new MirrorSet(root);
    const good = filesSync('run-f1', [block(4)]);
    set.applyFiles('phone-g', good.record, good.pages);
    const next = filesSync('run-f2', [block(5), block(6)]);
    assert.throws(() => set.applyFiles('phone-g', next.record, [next.pages[0]]), /references 1 page\(s\) the mirror lacks .*nothing applied/);
    const altered = block(6);
    altered[9] ^= 1;
    assert.throws(() => set.applyFiles('phone-g', next.record, [next.pages[0], [next.pages[1][0], altered]]), /does not match its hash; nothing applied/);
    const fewer = { ...next.record, extraHashes: next.record.extraHashes.subarray(16) };
    assert.throws(() => set.applyFiles('phone-g', fewer, next.pages), /block references differ from the hashes sent with it/);
    const notFiles = { ...next.record, manifest: { ...next.record.manifest, kind: 'checkpoint' } };
    assert.throws(() => set.applyFiles('phone-g', notFiles, next.pages), /not a clonecloud file sync/);
    const future = { ...next.record, manifest: { ...next.record.manifest, version: '9.0' } };
    assert.throws(() => set.applyFiles('phone-g', future, next.pages), /9\.0/);
    assert.equal(set.list()[0].files?.id, 'run-f1');
    assert.equal(set.list()[0].files?.filesHash, good.digest);
    set.close();
  });
});
