/**
 * Checkpoints against independent truths: an uninterrupted run of the same image (output,
 * instruction count, memory hash), page tables recomputed from scratch, and a store damaged on
 * purpose.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Checkpointer } from '../../emulator/snapshot/capture';
import { diffCheckpoints } from '../../emulator/snapshot/diff';
import { CheckpointError, CheckpointFormatError, StoreDamageError } from '../../emulator/snapshot/errors';
import { checkManifest, CheckpointManifest } from '../../emulator/snapshot/manifest';
import { memoryDigest } from '../../emulator/snapshot/memory-digest';
import { hashBytes, hashHex, initHashing, isZero } from '../../emulator/snapshot/page-hash';
import { applyDelta, decodeDelta, decodePageTable, encodeDelta, encodePageTable, hashAt } from '../../emulator/snapshot/page-table';
import { restoreCheckpoint } from '../../emulator/snapshot/restore';
import { CheckpointStore } from '../../emulator/store/store';
import { PAGE_MAPPED, PAGE_SIZE } from '../../emulator/memory/address-space';
import { findProfile } from '../../emulator/model/profiles';
import { bootImage, collect } from '../support/images';
import { tempDir } from '../support/toolchain';

interface Truth {
  out: Buffer;
  instructions: bigint;
  memory: string;
  status: number;
}

/** The uninterrupted run. */
function truth(name: string, args?: string[]): Truth {
  const r = bootImage(name, args);
  r.machine.run();
  const t = { out: r.stdout(), instructions: r.machine.instructions, memory: memoryDigest(r.machine.space), status: r.machine.kernel.exitState!.status };
  r.machine.close();
  collect();
  return t;
}

/** Run with checkpoints at `points`; returns the manifests. */
function checkpointAt(store: CheckpointStore, name: string, points: bigint[], args?: string[]): CheckpointManifest[] {
  const r = bootImage(name, args);
  const ck = new Checkpointer(store, r.machine);
  const taken: CheckpointManifest[] = [];
  for (const p of points) {
    if (r.machine.run(p) !== 'budget') break;
    taken.push(ck.capture().manifest);
  }
  r.machine.run();
  r.machine.close();
  collect();
  return taken;
}

/** Restore `id`, run it to the end, and return what a user would compare. */
function resume(store: CheckpointStore, id: string, profile?: string): Truth & { manifest: CheckpointManifest } {
  const out: Buffer[] = [];
  const { machine, manifest } = restoreCheckpoint(store, id, {
    profile: profile ? findProfile(profile) : undefined,
    stdout: (b) => out.push(Buffer.from(b)),
    stderr: (b) => out.push(Buffer.from(b)),
    warn: () => undefined,
  });
  machine.run();
  const r = {
    out: Buffer.concat(out),
    instructions: machine.instructions,
    memory: memoryDigest(machine.space),
    status: machine.kernel.exitState!.status,
    manifest,
  };
  machine.close();
  collect();
  return r;
}

describe('checkpoint: capture and restore', function () {
  this.timeout(120_000);
  let dir: string;
  let store: CheckpointStore;
  before(async () => {
    await initHashing();
    dir = tempDir('cc-ckpt-');
    store = CheckpointStore.open(dir);
  });
  after(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const cases: [string, string[] | undefined, number[]][] = [
    ['hello', undefined, [0.2, 0.5, 0.9]],
    ['syscalls', undefined, [0.15, 0.5, 0.85]],
    ['compute', ['1'], [0.1, 0.45, 0.8]],
    ['memtouch', ['16', '1', '10'], [0.3, 0.6, 0.95]],
    // The 100,000-entry scan: checkpoints land with directories open mid-listing.
    ['fsscan', undefined, [0.25, 0.7]],
  ];
  for (const [name, args, fractions] of cases) {
    it(`${name}: running on from each checkpoint ends exactly like the uninterrupted run`, () => {
      const t = truth(name, args);
      const points = fractions.map((f) => BigInt(Math.floor(Number(t.instructions) * f)));
      const taken = checkpointAt(store, name, points, args);
      assert.equal(taken.length, points.length);
      for (const m of taken) {
        assert.ok(BigInt(m.state.instructions) <= points[taken.indexOf(m)]);
        const r = resume(store, m.id);
        const before = m.output.stdout + m.output.stderr;
        assert.equal(Buffer.concat([t.out.subarray(0, before), r.out]).toString(), t.out.toString(), `${m.id}: output`);
        assert.equal(r.instructions, t.instructions, `${m.id}: final instruction count`);
        assert.equal(r.memory, t.memory, `${m.id}: final memory hash`);
        assert.equal(r.status, t.status);
      }
    });
  }

  it('stores a page table that equals one recomputed from scratch, and hashes only dirty pages after the first', () => {
    const r = bootImage('compute', ['1']);
    const ck = new Checkpointer(store, r.machine);
    r.machine.run(50_000_000n);
    const first = ck.capture().manifest;
    r.machine.run(60_000_000n);
    const dirty = r.machine.space.dirty.count();
    const second = ck.capture().manifest;
    assert.equal(second.parent, first.id);
    assert.equal(second.stats.pagesScanned, dirty, 'only the dirty pages were looked at');
    assert.ok(second.stats.pagesScanned < first.stats.pagesScanned);
    // Independent truth: walk every mapped page now and hash it.
    const space = r.machine.space;
    const table = decodePageTable(store.pageTable(second.id), second.id);
    const expected: [number, string][] = [];
    for (const reg of space.regions()) {
      for (let p = reg.start / PAGE_SIZE; p < reg.end / PAGE_SIZE; p++) {
        const bytes = space.bytes.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE);
        if (space.perms[p] & PAGE_MAPPED && !isZero(bytes)) expected.push([p, hashHex(hashBytes(bytes))]);
      }
    }
    assert.deepEqual(
      [...table.pages].map((p, i) => [p, hashHex(hashAt(table, i))]),
      expected,
    );
    r.machine.close();
    collect();
  });

  it('stores identical pages once across checkpoints and runs', () => {
    const [first] = checkpointAt(store, 'hello', [12_345n]);
    const before = store.stats().pages;
    const [again] = checkpointAt(store, 'hello', [12_345n]);
    assert.equal(again.stats.newPages, 0, 'a second run of the same image to the same point adds no pages');
    assert.equal(again.stats.dedupHits, first.stats.newPages + first.stats.dedupHits);
    assert.equal(store.stats().pages, before);
  });

  it('restores onto another profile where the memory fits, and says why where it does not', () => {
    const [m] = checkpointAt(store, 'compute', [30_000_000n], ['1']);
    const t = resume(store, m.id);
    const dell = resume(store, m.id, 'dell-t7400');
    assert.equal(dell.out.toString(), t.out.toString());
    assert.equal(dell.instructions, t.instructions);
    const tiny = { ...findProfile('htc-g1'), id: 'tiny', ramBytes: 2 ** 20 };
    assert.throws(
      () => restoreCheckpoint(store, m.id, { profile: tiny, stdout: () => undefined, stderr: () => undefined, warn: () => undefined }),
      (e: Error) => e instanceof CheckpointError && /holds [\d.]+ MB of resident memory; profile tiny has only 1.0 MB of RAM/.test(e.message),
    );
  });

  it('diffs two checkpoints consistently with their page tables', () => {
    const [a, b] = checkpointAt(store, 'compute', [20_000_000n, 40_000_000n], ['1']);
    const ta = decodePageTable(store.pageTable(a.id), a.id);
    const tb = decodePageTable(store.pageTable(b.id), b.id);
    const d = diffCheckpoints(a, ta, b, tb);
    const mapA = new Map([...ta.pages].map((p, i) => [p, hashHex(hashAt(ta, i))]));
    const mapB = new Map([...tb.pages].map((p, i) => [p, hashHex(hashAt(tb, i))]));
    let changed = 0;
    for (const [p, h] of mapB) if (mapA.has(p) && mapA.get(p) !== h) changed++;
    assert.equal(d.totals.changed, changed);
    assert.equal(d.totals.added, [...mapB.keys()].filter((p) => !mapA.has(p)).length);
    assert.equal(d.totals.removed, [...mapA.keys()].filter((p) => !mapB.has(p)).length);
    assert.equal(d.totals.bytes, (d.totals.added + d.totals.changed + d.totals.removed) * PAGE_SIZE);
    assert.equal(d.instructions, Number(BigInt(b.state.instructions) - BigInt(a.state.instructions)));
    assert.ok(d.registers.some((r) => r.name === 'pc'));
    assert.ok(d.regions.every((r) => ['text', 'data', 'heap', 'mmap', 'stack', 'vectors', 'unmapped'].includes(r.kind)));
  });

  it('stores increments as page-table deltas and keeps them whole when a base is pruned', () => {
    const [a, b, c] = checkpointAt(store, 'compute', [15_000_000n, 25_000_000n, 35_000_000n], ['1']);
    assert.deepEqual(
      [a, b, c].map((m) => store.tableDepth(m.id)),
      [0, 1, 2],
    );
    const before = Buffer.from(store.pageTable(c.id));
    const t = truth('compute', ['1']);
    store.prune([b.id]);
    assert.equal(store.tableDepth(c.id), 0, 'rewritten in full once its chain lost a link');
    assert.ok(Buffer.from(store.pageTable(c.id)).equals(before));
    const r = resume(store, c.id);
    assert.equal(r.memory, t.memory);
    assert.equal(store.verify().ok, true);
  });

  it('commits in the background in order, and reports a failed background commit', async () => {
    const t = truth('compute', ['1']);
    const r = bootImage('compute', ['1']);
    const ck = new Checkpointer(store, r.machine);
    r.machine.run(10_000_000n);
    const a = ck.captureAsync();
    r.machine.run(20_000_000n);
    const b = ck.captureAsync();
    assert.equal(b.manifest.parent, a.id, 'a child may be queued before its parent is durable');
    await Promise.all([a.committed, b.committed]);
    r.machine.close();
    collect();
    assert.equal(resume(store, b.id).memory, t.memory);

    const other = bootImage('hello');
    // Two checkpointers made to share a run part: the other one takes the id this one uses next.
    const clash = new Checkpointer(store, other.machine, null, { run: 'clashx' });
    other.machine.run(1000n);
    const taken = new Checkpointer(store, other.machine, null, { run: 'clashx' }).capture();
    const doomed = clash.captureAsync();
    assert.equal(doomed.id, taken.id);
    await assert.rejects(doomed.committed, /already exists/);
    other.machine.run(2000n);
    assert.throws(() => clash.captureAsync(), /already exists/);
    other.machine.close();
    collect();
  });

  it('pipelined background captures each restore the memory they captured (copy buffers are reused only once committed)', async () => {
    const r = bootImage('compute', ['1']);
    const ck = new Checkpointer(store, r.machine);
    const taken: { id: string; memory: string; committed: Promise<void> }[] = [];
    for (let i = 1; i <= 6; i++) {
      if (r.machine.run(BigInt(i) * 3_000_000n) !== 'budget') break;
      const c = ck.captureAsync();
      taken.push({ id: c.id, memory: memoryDigest(r.machine.space), committed: c.committed });
      // Every other capture waits for its commit, so later ones reuse its buffer; the rest queue.
      if (i % 2 === 0) await c.committed;
    }
    await Promise.all(taken.map((t) => t.committed));
    r.machine.close();
    collect();
    assert.ok(taken.length >= 4, 'compute ran long enough for the captures');
    assert.equal(store.verify().ok, true);
    for (const t of taken) {
      const back = restoreCheckpoint(store, t.id, { stdout: () => undefined, stderr: () => undefined, warn: () => undefined });
      assert.equal(memoryDigest(back.machine.space), t.memory, `checkpoint ${t.id}`);
      back.machine.close();
    }
    collect();
  });

  it('applies deltas as a merge of sorted tables', () => {
    const h = (n: number) => new Uint8Array(16).fill(n);
    const cat = (...xs: Uint8Array[]) => Uint8Array.from(xs.flatMap((x) => [...x]));
    const base = { pages: new Uint32Array([1, 3, 5, 7]), hashes: cat(h(1), h(3), h(5), h(7)) };
    const delta = { base: 'c1', depth: 1, set: { pages: new Uint32Array([0, 3, 8]), hashes: cat(h(10), h(33), h(8)) }, removed: new Uint32Array([5]) };
    const round = decodeDelta(encodeDelta(delta), 'x');
    assert.deepEqual(
      { ...round, set: { pages: [...round.set.pages], hashes: [...round.set.hashes] }, removed: [...round.removed] },
      { ...delta, set: { pages: [0, 3, 8], hashes: [...delta.set.hashes] }, removed: [5] },
    );
    const out = applyDelta(base, round);
    assert.deepEqual([...out.pages], [0, 1, 3, 7, 8]);
    assert.deepEqual(
      [...out.hashes].filter((_, i) => i % 16 === 0),
      [10, 1, 33, 7, 8],
    );
  });

  it('refuses manifests and page tables of another format version', () => {
    assert.throws(
      () => checkManifest({ format: 2 }, 'x'),
      (e: Error) => e instanceof CheckpointFormatError && /format 2; this clonecloud reads format 1/.test(e.message),
    );
    const t = encodePageTable({ pages: new Uint32Array([1]), hashes: new Uint8Array(16) });
    t[4] = 9;
    assert.throws(() => decodePageTable(t, 'x'), /version 9/);
  });
});

describe('checkpoint: damage in the store', function () {
  this.timeout(120_000);

  it('names the damaged checkpoint and page on verify and restore; other checkpoints restore intact', async () => {
    await initHashing();
    const dir = tempDir('cc-damage-');
    let store = CheckpointStore.open(dir);
    const [a, b] = checkpointAt(store, 'compute', [10_000_000n, 40_000_000n], ['1']);
    const ta = decodePageTable(store.pageTable(a.id), a.id);
    const tb = decodePageTable(store.pageTable(b.id), b.id);
    const inA = new Set([...ta.pages].map((_, i) => hashHex(hashAt(ta, i))));
    const i = [...tb.pages].findIndex((_, k) => !inA.has(hashHex(hashAt(tb, k))));
    const page = tb.pages[i];
    const bytes = Buffer.from(store.readPage(hashAt(tb, i)));
    store.close();
    const file = path.join(dir, 'data.mdb');
    const db = fs.readFileSync(file);
    const at = db.indexOf(bytes);
    assert.ok(at >= 0, 'the page is stored verbatim');
    db[at + 100] ^= 0xff;
    fs.writeFileSync(file, db);
    store = CheckpointStore.open(dir);
    const report = store.verify();
    assert.equal(report.ok, false);
    assert.equal(report.damagedPages.length, 1);
    assert.deepEqual(report.damagedPages[0].referencedBy, [{ checkpoint: b.id, page }]);
    assert.throws(
      () => restoreCheckpoint(store, b.id, { stdout: () => undefined, stderr: () => undefined, warn: () => undefined }),
      (e: Error) => e instanceof StoreDamageError && e.message.includes(`checkpoint ${b.id}: page 0x${page.toString(16)}`),
    );
    const t = truth('compute', ['1']);
    const r = resume(store, a.id);
    assert.equal(r.instructions, t.instructions);
    assert.equal(r.memory, t.memory);
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
