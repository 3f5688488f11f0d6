import { strict as assert } from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { open } from 'lmdb';
import { CheckpointStore } from '../../emulator/store/store';
import { CheckpointFormatError, StoreDamageError, StoreError } from '../../emulator/snapshot/errors';
import { hashBytes, hashHex, HASH_BYTES, initHashing } from '../../emulator/snapshot/page-hash';
import { decodePageTable, hashAt } from '../../emulator/snapshot/page-table';
import { readPagesInto } from '../../emulator/snapshot/read-pages';
import { buildCheckpoint, makePage } from './store-worker';

const WORKER = path.join(__dirname, 'store-worker.js');
const tmpDirs: string[] = [];

function tmpStoreDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ckstore-'));
  tmpDirs.push(d);
  return d;
}

function commitPages(store: CheckpointStore, id: string, parent: string | null, pages: Uint8Array[], extras: Uint8Array[] = []) {
  const { record, newPages } = buildCheckpoint(id, parent, pages, extras);
  return store.commit(record, newPages);
}

/** Read back every page of `id` through the verifying path; returns how many. */
function readAll(store: CheckpointStore, id: string): number {
  const t = decodePageTable(store.pageTable(id), id);
  for (let i = 0; i < t.pages.length; i++) store.readPage(hashAt(t, i), { checkpoint: id, page: t.pages[i] });
  const extras = store.extraHashes(id);
  for (let o = 0; o < extras.length; o += HASH_BYTES) store.readPage(extras.subarray(o, o + HASH_BYTES), { checkpoint: id, what: 'file block' });
  return t.pages.length;
}

/** Flip bits `mask` of the byte `offset` into `marker`, which must be stored exactly once in the store's data file. */
function flipStoredByte(dir: string, marker: Buffer, offset: number, mask: number): void {
  const file = path.join(dir, 'data.mdb');
  const data = fs.readFileSync(file);
  const at = data.indexOf(marker);
  assert.ok(at >= 0 && data.indexOf(marker, at + 1) < 0, 'marker stored exactly once');
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.from([data[at + offset] ^ mask]), 0, 1, at + offset);
  fs.closeSync(fd);
}

describe('checkpoint store', () => {
  before(async () => {
    await initHashing();
  });
  after(() => {
    for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('round-trips pages and records across a reopen, listing in commit order', () => {
    const dir = tmpStoreDir();
    const a = [makePage(1, 0), makePage(1, 1)];
    const block = Buffer.from('a short file block');
    let store = CheckpointStore.open(dir);
    commitPages(store, 'zeta', null, a, [block]);
    commitPages(store, 'alpha', 'zeta', [makePage(2, 0)]);
    store.close();
    store = CheckpointStore.open(dir, { create: false, readOnly: true });
    assert.deepEqual(store.ids(), ['zeta', 'alpha']);
    assert.deepEqual(store.manifest('alpha'), { id: 'alpha', parent: 'zeta', pages: 1 });
    assert.deepEqual(
      store.list().map((c) => [c.id, c.parent, c.parentGone]),
      [
        ['zeta', null, false],
        ['alpha', 'zeta', false],
      ],
    );
    const t = decodePageTable(store.pageTable('zeta'), 'zeta');
    assert.deepEqual([...t.pages], [0, 1]);
    assert.deepEqual(Buffer.from(store.readPage(hashAt(t, 1))), a[1]);
    assert.deepEqual(Buffer.from(store.readPage(store.extraHashes('zeta'))), block);
    assert.ok(store.hasPage(hashBytes(a[0])));
    assert.ok(!store.hasPage(hashBytes(makePage(9, 9))));
    assert.throws(() => commitPages(store, 'x', null, [makePage(3, 0)]), /read-only/);
    store.close();
  });

  it('stores a page shared by two checkpoints once', () => {
    const store = CheckpointStore.open(tmpStoreDir());
    const shared = makePage(5, 0);
    assert.deepEqual(commitPages(store, 'c1', null, [shared, makePage(5, 1)]), { pagesWritten: 2, bytesWritten: 8192 });
    assert.deepEqual(commitPages(store, 'c2', 'c1', [shared, makePage(5, 2)]), { pagesWritten: 1, bytesWritten: 4096 });
    const s = store.stats();
    assert.equal(s.pages, 3);
    assert.equal(s.pageBytes, 3 * 4096);
    assert.ok(s.diskBytes >= s.pageBytes);
    assert.equal(readAll(store, 'c2'), 2);
    store.close();
  });

  it('answers which pages it holds the same way whether it reads its keys once or looks each up', () => {
    const store = CheckpointStore.open(tmpStoreDir());
    const [a, b, c] = [makePage(7, 0), makePage(7, 1), makePage(7, 2)];
    commitPages(store, 'p1', null, [a, b]);
    const hash = (page: Uint8Array) => hashBytes(page);
    // Asked about more pages than it holds, it reads its keys; about fewer, it looks each up.
    for (const presence of [store.pagePresence(5000), store.pagePresence(1)]) {
      assert.equal(presence(hash(a)), true);
      assert.equal(presence(hash(b)), true);
      assert.equal(presence(hash(c)), false);
    }
    store.close();
  });

  it('never stores an all-zero page, and a refused commit leaves nothing behind', () => {
    const store = CheckpointStore.open(tmpStoreDir());
    const { record, newPages } = buildCheckpoint('z', null, [makePage(6, 0)]);
    const zero = new Uint8Array(4096);
    assert.throws(
      () => store.commit(record, [...newPages, [hashBytes(zero), zero]]),
      (e: Error) => e instanceof StoreError && /all zeros/.test(e.message),
    );
    assert.deepEqual(store.ids(), []);
    assert.equal(store.stats().pages, 0);
    assert.ok(!store.hasPage(newPages[0][0]));
    store.close();
  });

  it('reports unknown ids, duplicate ids, missing parents and folders that are not stores', () => {
    const dir = tmpStoreDir();
    const store = CheckpointStore.open(dir);
    commitPages(store, 'base', null, [makePage(7, 0)]);
    assert.throws(
      () => store.manifest('nope'),
      (e: Error) => e instanceof StoreError && e.message === 'unknown checkpoint nope; known: base',
    );
    assert.throws(() => store.pageTable('nope'), /unknown checkpoint nope/);
    assert.throws(() => commitPages(store, 'base', null, [makePage(7, 1)]), /checkpoint base already exists/);
    assert.throws(() => commitPages(store, 'kid', 'ghost', [makePage(7, 2)]), /parent checkpoint ghost of kid is not in the store/);
    assert.deepEqual(store.ids(), ['base']);
    assert.equal(store.stats().pages, 1);
    store.close();
    const missing = path.join(dir, 'missing');
    assert.throws(
      () => CheckpointStore.open(missing, { create: false }),
      (e: Error) => e instanceof StoreError && e.message === `no checkpoint store at ${missing}`,
    );
    const other = tmpStoreDir();
    fs.writeFileSync(path.join(other, 'notes.txt'), 'hello');
    assert.throws(
      () => CheckpointStore.open(other),
      (e: Error) => e instanceof StoreError && /not a checkpoint store.*notes\.txt/.test(e.message),
    );
  });

  it('is made in a private folder and moved into place, clearing folders of creators that died', () => {
    const dir = path.join(tmpStoreDir(), 'store');
    const parent = path.dirname(dir);
    const name = path.basename(dir);
    // A pid that was in use a moment ago and is not any more, and one that is alive (ours).
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const abandoned = path.join(parent, `.${name}.creating-${gone}-0a0a0a0a`);
    const busy = path.join(parent, `.${name}.creating-${process.pid}-0b0b0b0b`);
    fs.mkdirSync(abandoned);
    fs.mkdirSync(busy);
    const store = CheckpointStore.open(dir);
    try {
      assert.deepEqual(store.ids(), []);
    } finally {
      store.close();
    }
    assert.ok(fs.existsSync(path.join(dir, 'data.mdb')));
    assert.equal(fs.existsSync(abandoned), false, "the dead creator's folder is removed");
    assert.equal(fs.existsSync(busy), true, "a live creator's folder is left alone");
    // Nothing of this store's own creation is left beside it.
    assert.deepEqual(
      fs.readdirSync(parent).filter((n) => n.includes('.creating-')),
      [path.basename(busy)],
    );
  });

  it('refuses a store of another format version, naming both versions', () => {
    const dir = tmpStoreDir();
    CheckpointStore.open(dir).close();
    const db = open({ path: dir, encoding: 'json' });
    db.putSync('format', { store: 'clonecloud-checkpoints', version: 2 });
    void db.close();
    assert.throws(
      () => CheckpointStore.open(dir),
      (e: Error) => e instanceof CheckpointFormatError && /version 2.*version 1/.test(e.message),
    );
  });

  it('detects a byte flipped on disk: readPage names checkpoint and page, verify lists exactly that page', () => {
    const dir = tmpStoreDir();
    const marker = Buffer.from('<<clonecloud damage-test marker>>');
    const victim = makePage(8, 1);
    marker.copy(victim, 1000);
    let store = CheckpointStore.open(dir);
    commitPages(store, 'c0001', null, [makePage(8, 0), victim]);
    commitPages(store, 'c0002', 'c0001', [makePage(8, 0), makePage(8, 2), victim]);
    commitPages(store, 'c0003', 'c0002', [makePage(8, 0), makePage(8, 3)]);
    store.close();

    flipStoredByte(dir, marker, 5, 0x40);

    store = CheckpointStore.open(dir);
    const hash = hashBytes(victim);
    assert.throws(
      () => store.readPage(hash, { checkpoint: 'c0002', page: 2 }),
      (e: Error) => e instanceof StoreDamageError && e.message === `checkpoint c0002: page 0x2 (hash ${hashHex(hash)}): stored bytes do not match their hash`,
    );
    assert.throws(() => readAll(store, 'c0001'), StoreDamageError);
    assert.equal(readAll(store, 'c0003'), 2);

    const seen: number[] = [];
    const report = store.verify((done, total) => seen.push(done, total));
    assert.equal(report.ok, false);
    assert.deepEqual(report.damagedRecords, []);
    assert.deepEqual(report.damagedPages, [
      {
        hash: hashHex(hash),
        problem: 'corrupt',
        referencedBy: [
          { checkpoint: 'c0001', page: 1 },
          { checkpoint: 'c0002', page: 2 },
        ],
      },
    ]);
    assert.equal(report.pagesChecked, 4);
    assert.deepEqual(seen.slice(-2), [7, 7]);
    store.close();
  });

  it('reads a batch of pages into memory verified, naming the checkpoint and page of a flipped byte or a missing page', () => {
    const dir = tmpStoreDir();
    const marker = Buffer.from('<<clonecloud batch damage marker>>');
    const victim = makePage(9, 1);
    marker.copy(victim, 2000);
    const pages = [makePage(9, 0), victim, makePage(9, 2), makePage(9, 3)];
    let store = CheckpointStore.open(dir);
    commitPages(store, 'b1', null, pages);
    const t = decodePageTable(store.pageTable('b1'), 'b1');
    const memory = new Uint8Array((t.pages[t.pages.length - 1] + 1) * 4096);
    readPagesInto(store, 'b1', t.hashes, t.pages, memory);
    t.pages.forEach((p, i) => assert.deepEqual(Buffer.from(memory.subarray(p * 4096, (p + 1) * 4096)), pages[i]));
    store.close();

    flipStoredByte(dir, marker, 3, 0x10);

    store = CheckpointStore.open(dir);
    const hash = hashBytes(victim);
    assert.throws(
      () => readPagesInto(store, 'b1', t.hashes, t.pages, new Uint8Array(memory.length)),
      (e: Error) => e instanceof StoreDamageError && e.message === `checkpoint b1: page 0x1 (hash ${hashHex(hash)}): stored bytes do not match their hash`,
    );
    const unknown = new Uint8Array(t.hashes);
    unknown[3 * HASH_BYTES] ^= 1;
    assert.throws(
      () => readPagesInto(store, 'b1', unknown, t.pages, new Uint8Array(memory.length)),
      (e: Error) =>
        e instanceof StoreDamageError && e.message === `checkpoint b1: page 0x3 (hash ${hashHex(unknown.subarray(48, 64))}): missing from the store`,
    );
    store.close();
  });

  it('detects a damaged page table instead of restoring from it', () => {
    const dir = tmpStoreDir();
    let store = CheckpointStore.open(dir);
    const pages = Array.from({ length: 40 }, (_, i) => makePage(10, i));
    commitPages(store, 'c1', null, pages);
    store.close();
    const file = path.join(dir, 'data.mdb');
    const data = fs.readFileSync(file);
    // Two hashes side by side occur only in the page table, not among the page keys.
    const at = data.indexOf(Buffer.concat([hashBytes(pages[20]), hashBytes(pages[21])]));
    assert.ok(at >= 0);
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from([data[at] ^ 1]), 0, 1, at);
    fs.closeSync(fd);
    store = CheckpointStore.open(dir);
    assert.throws(
      () => store.pageTable('c1'),
      (e: Error) => e instanceof StoreDamageError && /checkpoint c1: page table/.test(e.message),
    );
    assert.equal(store.verify().damagedRecords[0]?.checkpoint, 'c1');
    store.close();
  });

  it('prunes records and only the pages no remaining checkpoint references', () => {
    const store = CheckpointStore.open(tmpStoreDir());
    const shared = makePage(11, 0);
    commitPages(store, 'a', null, [shared, makePage(11, 1)], [Buffer.from('block only a uses')]);
    commitPages(store, 'b', 'a', [shared, makePage(11, 2)]);
    commitPages(store, 'c', 'b', [makePage(11, 3)]);
    assert.equal(store.stats().pages, 5);
    assert.throws(() => store.prune(['a', 'nope']), /cannot prune unknown checkpoint nope/);
    assert.deepEqual(store.ids(), ['a', 'b', 'c']);

    const r = store.prune(['a']);
    assert.deepEqual(r, { checkpointsRemoved: 1, pagesFreed: 2, bytesFreed: 4096 + 'block only a uses'.length });
    assert.deepEqual(store.ids(), ['b', 'c']);
    assert.ok(store.hasPage(hashBytes(shared)));
    assert.ok(!store.hasPage(hashBytes(makePage(11, 1))));
    assert.equal(readAll(store, 'b'), 2);
    assert.deepEqual(
      store.list().map((c) => [c.id, c.parent, c.parentGone]),
      [
        ['b', 'a', true],
        ['c', 'b', false],
      ],
    );
    assert.equal(store.parent('b'), 'a');
    assert.deepEqual(store.stats().pages, 3);
    assert.ok(store.verify().ok);
    assert.deepEqual(store.prune(['b', 'c']), { checkpointsRemoved: 2, pagesFreed: 3, bytesFreed: 3 * 4096 });
    assert.equal(store.stats().pageBytes, 0);
    store.close();
  });

  describe('killed with SIGKILL', function () {
    this.timeout(30000);

    it('during commit: earlier checkpoints intact, the interrupted one all or nothing', async () => {
      const dir = tmpStoreDir();
      let store = CheckpointStore.open(dir);
      commitPages(store, 'base-0', null, [makePage(99, 0), makePage(99, 1)]);
      commitPages(store, 'base-1', 'base-0', [makePage(99, 0), makePage(99, 2)]);
      store.close();
      const full = await runWorker(dir, ['commit', 't0', '1', '20000']);
      assert.equal(full.lines.at(-1), 'done');
      const trials: [string, string[], number][] = [
        ['t1', ['1', '20000'], 0],
        ['t2', ['1', '20000'], Math.random() * full.ms * 0.5],
        ['t3', ['1', '20000'], full.ms * (0.5 + Math.random() * 0.4)],
        ['t4', ['4', '5000'], Math.random() * full.ms],
      ];
      for (const [prefix, args, delay] of trials) {
        const run = await runWorker(dir, ['commit', prefix, ...args], delay);
        store = CheckpointStore.open(dir);
        const ids = store.ids();
        for (const id of ['base-0', 'base-1', 't0-0']) assert.ok(ids.includes(id), `${id} survives a kill during ${prefix}`);
        for (const line of run.lines) if (line.startsWith('committed ')) assert.ok(ids.includes(line.slice(10)), `${line} is kept`);
        for (const id of ids) assert.ok(readAll(store, id) > 0, `${id} reads back whole`);
        const report = store.verify();
        assert.ok(report.ok && report.unreferencedPages === 0, JSON.stringify(report).slice(0, 500));
        store.close();
      }
    });

    it('during prune: either every pruned checkpoint is gone with its pages, or nothing changed', async () => {
      const delays = [0, -1, -1, -1];
      let fullMs = 0;
      for (const delay of [Infinity, ...delays]) {
        const dir = tmpStoreDir();
        const store = CheckpointStore.open(dir);
        const shared = makePage(50, 0);
        const doomed: string[] = [];
        for (let c = 0; c < 10; c++) {
          doomed.push(`p${c}`);
          commitPages(store, `p${c}`, c ? `p${c - 1}` : null, [shared, ...Array.from({ length: 1500 }, (_, i) => makePage(60 + c, i))]);
        }
        commitPages(store, 'keep', 'p9', [shared, makePage(50, 1)]);
        const before = store.stats();
        store.close();
        const run = await runWorker(dir, ['prune', ...doomed], delay === Infinity ? undefined : delay < 0 ? Math.random() * fullMs : delay);
        if (delay === Infinity) fullMs = run.ms;
        const after = CheckpointStore.open(dir);
        const ids = after.ids();
        const pruned = !ids.includes('p0');
        assert.deepEqual(ids, pruned ? ['keep'] : [...doomed, 'keep']);
        assert.equal(after.stats().pages, pruned ? 2 : before.pages);
        for (const id of ids) assert.ok(readAll(after, id) > 0);
        const report = after.verify();
        assert.ok(report.ok && report.unreferencedPages === 0, JSON.stringify(report).slice(0, 500));
        after.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});

/** Run the worker; with `killAfterMs`, SIGKILL it that long after it reports "ready". */
function runWorker(dir: string, args: string[], killAfterMs?: number): Promise<{ lines: string[]; ms: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let readyAt = 0;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!readyAt && out.includes('ready\n')) {
        readyAt = performance.now();
        if (killAfterMs === 0) child.kill('SIGKILL');
        else if (killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0 && signal !== 'SIGKILL') reject(new Error(`worker failed (${code ?? signal}): ${err}`));
      else resolve({ lines: out.split('\n').filter(Boolean), ms: performance.now() - readyAt });
    });
  });
}
