/**
 * `boot --clone` when the clone is out of reach or the connection drops mid-sync, and with the
 * opportunistic policy over a phone timeline: the guest's run never changes, each trouble is one
 * line, and the mirror that the clone ends with is the phone at its last acknowledged sync.
 */
import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { CheckpointStore } from '../../emulator/store/store';
import { CloneProcess, startClone } from '../support/clone-process';
import { CliRun, runCliAsync } from '../support/cli-run';
import { compileC, tempDir } from '../support/toolchain';
import { cuttingProxy } from '../support/cutting-proxy';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'clonecloud');

const cli = runCliAsync;

describe('runtime/replicator: an unreachable clone, a dropped connection, the opportunistic policy', function () {
  this.timeout(300_000);
  const dir = tempDir('cc-replica-');
  const store = path.join(dir, 'mirrors');
  const tokenFile = path.join(dir, 'token');
  let clone: CloneProcess;
  let plain: CliRun;
  before(async () => {
    await initHashing();
    clone = await startClone(store, tokenFile, crypto.randomBytes(32).toString('hex'));
    plain = await cli(['boot', 'images/compute', '--json']);
  });
  after(async () => {
    assert.equal(await clone.stop(), 0, clone.output());
  });

  it('runs locally with one line when the clone cannot be reached, and the run is the same', async () => {
    const closed = net.createServer();
    const port = await new Promise<number>((res) => closed.listen(0, '127.0.0.1', () => res((closed.address() as net.AddressInfo).port)));
    closed.close();
    const r = await cli(['boot', 'images/compute', '--json', '--clone', `127.0.0.1:${port}`, '--token-file', tokenFile, '--sync-every', '50M']);
    assert.equal(r.status, 0);
    assert.ok(r.stdout.equals(plain.stdout));
    assert.equal(r.summary?.memoryHash, plain.summary?.memoryHash);
    const warnings = r.lines.filter((l) => l.startsWith('clonecloud: '));
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], /cannot reach the clone at 127\.0\.0\.1:\d+.*runs on locally and retries at the next sync/);
    assert.equal(r.summary?.clone?.syncs, 0);
  });

  it('carries on when the connection drops mid-sync; the next sync resends and the mirror is the phone', async () => {
    for (const cutAfter of [200, 5_000, 300_000]) {
      const proxy = await cuttingProxy(clone.port, cutAfter, { firstOnly: true });
      const phone = `cut-${cutAfter}`;
      const r = await cli([
        'boot',
        'images/compute',
        '--json',
        '--clone',
        `127.0.0.1:${proxy.port}`,
        '--token-file',
        tokenFile,
        '--phone-id',
        phone,
        '--sync-every',
        '50M',
      ]);
      proxy.close();
      assert.equal(r.status, 0);
      assert.ok(r.stdout.equals(plain.stdout), 'the guest prints the same');
      assert.equal(r.summary?.memoryHash, plain.summary?.memoryHash);
      assert.equal(proxy.cuts(), 1);
      assert.equal(r.summary?.clone?.failed, 1, r.lines.join('\n'));
      assert.match(r.lines.join('\n'), /clonecloud: sync \S+ failed: .*the next sync resends what the clone lacks/);
      const acked = [...r.lines.join('\n').matchAll(/clonecloud: sync (\S+) at /g)].map((m) => m[1]);
      assert.ok(acked.length >= 1, r.lines.join('\n'));
      // The mirror ends at the last acknowledged sync, and runs on from there like the phone.
      const mirror = CheckpointStore.open(path.join(store, phone), { readOnly: true });
      const ids = mirror.ids();
      const printed = (mirror.manifest(acked[acked.length - 1]) as { output: { stdout: number } }).output.stdout;
      mirror.close();
      assert.equal(ids[ids.length - 1], acked[acked.length - 1]);
      const again = await cli(['restore', acked[acked.length - 1], '--store', path.join(store, phone), '--json']);
      assert.ok(again.stdout.equals(plain.stdout.subarray(printed)));
      assert.equal(again.summary?.memoryHash, plain.summary?.memoryHash);
    }
  });

  it('opportunistic: syncs on Wi-Fi, defers on 3G until the mirror is too old, waits without a link', async () => {
    const timeline = path.join(dir, 'day.json');
    // compute runs for about 1.5 modelled seconds on the default phone.
    fs.writeFileSync(
      timeline,
      JSON.stringify({
        version: 1,
        spans: [
          { until: 0.3, link: 'wifi-2009', charging: false },
          { until: 0.6, link: null, charging: false },
          { link: '3g-2009', charging: false },
        ],
      }),
    );
    const args = ['boot', 'images/compute', '--json', '--clone', `127.0.0.1:${clone.port}`, '--token-file', tokenFile, '--sync-policy', 'opportunistic'];
    const r = await cli([...args, '--phone-timeline', timeline, '--phone-id', 'opportunist', '--sync-every', '100ms', '--staleness', '0.5s']);
    assert.equal(r.status, 0, r.lines.join('\n'));
    assert.ok(r.stdout.equals(plain.stdout));
    const syncs = r.lines.flatMap((l) => {
      const m = /^clonecloud: sync \S+ at [\d,]+ instructions \(([\d.]+) s\) over (\S+): .* mirror [0-9a-f]{32} \((.*)\)$/.exec(l);
      return m ? [{ at: Number(m[1]), link: m[2], reason: m[3] }] : [];
    });
    assert.ok(syncs.length >= 2, r.lines.join('\n'));
    for (const s of syncs) {
      assert.ok(s.at < 0.3 || s.at >= 0.6, `no sync without a link (${s.at} s)`);
      assert.equal(s.link, s.at < 0.3 ? 'wifi-2009' : '3g-2009');
      if (s.link === '3g-2009') assert.match(s.reason, /staleness bound passed on 3g-2009/);
    }
    assert.ok(
      syncs.some((s) => s.link === '3g-2009'),
      'the mirror grew too old on 3G and was synced',
    );
    const bad = await cli([...args, '--phone-id', 'opportunist']);
    assert.equal(bad.status, 2);
    assert.deepEqual(bad.lines, ['clonecloud: --sync-policy opportunistic needs --phone-timeline <file> (when the phone has which link, and is charging)']);
  });

  /**
   * Boot fsscan syncing to a clone on a port of its own; SIGKILL the clone once the first sync is
   * acknowledged and start it again on the same port over `restartStore` (the same folder, or an
   * empty one: a clone that lost its mirrors). The run's summary, stderr and the restarted clone's output.
   */
  // fsscan runs long enough (seconds of host time) for a restarted clone to be back well before its end.
  let fsscanAlone: CliRun | undefined;
  async function killMidRun(own: string, restartStore: string, phone: string) {
    const alone = (fsscanAlone ??= await cli(['boot', 'images/fsscan', '--json']));
    // A port of its own, so the restarted server can take it again.
    const free = net.createServer();
    const port = await new Promise<number>((res) => free.listen(0, '127.0.0.1', () => res((free.address() as net.AddressInfo).port)));
    free.close();
    let server = await startClone(own, tokenFile, undefined, ['--listen', `127.0.0.1:${port}`]);
    const child = spawn(
      process.execPath,
      [BIN, 'boot', 'images/fsscan', '--json', '--clone', `127.0.0.1:${port}`, '--token-file', tokenFile, '--phone-id', phone, '--sync-every', '100M'],
      { cwd: ROOT },
    );
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    // 'close', not 'exit': only then has all of its output been read.
    const exited = new Promise<number | null>((res) => child.on('close', res));
    let restarted: Promise<void> | undefined;
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      if (!restarted && /clonecloud: sync \S+ at /.test(err)) {
        restarted = (async () => {
          await server.kill();
          server = await startClone(restartStore, tokenFile, undefined, ['--listen', `127.0.0.1:${port}`]);
        })();
      }
    });
    assert.equal(await exited, 0, err);
    await restarted;
    const afterRestart = server.output();
    await server.stop();
    assert.ok(Buffer.concat(out).equals(alone.stdout), 'the guest prints the same');
    const lines = err.trimEnd().split('\n');
    const summary = JSON.parse(lines[lines.length - 1]) as { memoryHash: string; clone: { syncs: number; failed: number; lastSync: { id: string } } };
    assert.equal(summary.memoryHash, alone.summary?.memoryHash);
    return { summary, err, afterRestart };
  }

  it('carries on when the clone is killed mid-run, and syncs again once it is back on the same port', async () => {
    const own = path.join(dir, 'killed');
    const { summary, err, afterRestart } = await killMidRun(own, own, 'killed');
    assert.match(afterRestart, /sync killed /, 'the phone synced with the restarted clone');
    assert.ok(summary.clone.syncs >= 2, err);
    // The restarted clone's mirror is the phone's last acknowledged sync.
    const mirror = CheckpointStore.open(path.join(own, 'killed'), { readOnly: true });
    const ids = mirror.ids();
    mirror.close();
    assert.equal(ids[ids.length - 1], summary.clone.lastSync.id);
  });

  it('assumes nothing of a clone that comes back without its mirror: the next syncs send it whole', async () => {
    const empty = path.join(dir, 'lost-after');
    const { summary, err, afterRestart } = await killMidRun(path.join(dir, 'lost-before'), empty, 'lost');
    assert.match(afterRestart, /sync lost /, err);
    // At most the increment captured before the phone learned the mirror was gone fails.
    assert.ok(summary.clone.failed <= 1, err);
    const mirror = CheckpointStore.open(path.join(empty, 'lost'), { readOnly: true });
    const list = mirror.list();
    mirror.close();
    assert.equal(list[0].parent, null, 'the first sync to the new clone is a full one');
    assert.equal(list[list.length - 1].id, summary.clone.lastSync.id);
  });

  it('goes on with one line when the state cannot be captured (a file open after it was unlinked)', async () => {
    const elf = compileC(path.join(ROOT, 'spec', 'fixtures', 'unlinked-open.c'));
    const root = path.join(dir, 'root');
    fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
    const args = ['boot', '--elf', elf, '--root', root, '--json'];
    const alone = await cli(args);
    const r = await cli([...args, '--clone', `127.0.0.1:${clone.port}`, '--token-file', tokenFile, '--phone-id', 'unlinked', '--sync-every', '1M']);
    assert.equal(r.status, 0, r.lines.join('\n'));
    assert.ok(r.stdout.equals(alone.stdout), 'the guest prints the same');
    assert.equal(r.summary?.memoryHash, alone.summary?.memoryHash);
    const warnings = r.lines.filter((l) => l.startsWith('clonecloud: '));
    assert.ok(warnings.length >= 1, r.lines.join('\n'));
    for (const w of warnings) assert.match(w, /^clonecloud: no sync at [\d,]+ instructions: an open file was deleted \(\/tmp\/scratch\)/);
    assert.equal(r.summary?.clone?.syncs, 0);
  });
});

describe('runtime/replicator: files synced more often than memory', function () {
  this.timeout(300_000);
  const dir = tempDir('cc-files-sync-');
  const store = path.join(dir, 'mirrors');
  const tokenFile = path.join(dir, 'token');
  let clone: CloneProcess;
  before(async () => {
    await initHashing();
    clone = await startClone(store, tokenFile, crypto.randomBytes(32).toString('hex'));
  });
  after(async () => {
    assert.equal(await clone.stop(), 0, clone.output());
  });

  it("sends file-only syncs between memory syncs; the clone holds the phone's files, and the next increment takes their blocks from there", async () => {
    const elf = compileC(path.join(ROOT, 'spec', 'fixtures', 'file-writer.c'));
    const root = path.join(dir, 'root');
    fs.mkdirSync(path.join(root, 'tmp'), { recursive: true });
    const args = ['boot', '--elf', elf, '--root', root, '--json'];
    const alone = await cli(args);
    const r = await cli([
      ...args,
      '--clone',
      `127.0.0.1:${clone.port}`,
      '--token-file',
      tokenFile,
      '--phone-id',
      'writer',
      '--sync-every',
      '150M',
      '--sync-files-every',
      '20M',
      // Each sync waits for its acknowledgement, so every due point syncs whatever the host's load.
      '--sync-wait',
    ]);
    assert.equal(r.status, 0, r.lines.join('\n'));
    assert.ok(r.stdout.equals(alone.stdout), 'the guest prints the same');
    assert.equal(r.summary?.memoryHash, alone.summary?.memoryHash);
    const notes = r.lines.filter((l) => l.startsWith('clonecloud: '));
    assert.deepEqual(
      notes.filter((l) => !/^clonecloud: (file )?sync \S+ at /.test(l)),
      [],
      'no sync failed, and no mirror or files hash differed',
    );
    const fileSyncs = notes.filter((l) => l.startsWith('clonecloud: file sync '));
    const memorySyncs = notes.filter((l) => l.startsWith('clonecloud: sync '));
    // Points every 20M instructions to 434.8M: memory at 20M, 180M and 340M (150M apart), files at the 18 others.
    assert.deepEqual([memorySyncs.length, fileSyncs.length], [3, 18], notes.join('\n'));
    for (const l of fileSyncs) assert.match(l, /: \d+ of \d+ changed file blocks sent, .* files [0-9a-f]{32} \(period reached \(files\)\)$/);
    const clone1 = r.summary!.clone!;
    assert.deepEqual([clone1.syncs, clone1.fileSyncs, clone1.failed], [memorySyncs.length, fileSyncs.length, 0]);
    // The files were refreshed more often than the memory, so on average they are younger.
    assert.ok(clone1.meanFilesStalenessSeconds < clone1.meanStalenessSeconds, JSON.stringify(clone1));
    // The clone lists the last file sync, and an increment after a file sync took blocks from it.
    const lastFiles = /^clonecloud: file sync (\S+) /.exec(fileSyncs[fileSyncs.length - 1])![1];
    const listed = await cli(['clones', '--clone', `127.0.0.1:${clone.port}`, '--token-file', tokenFile, '--json']);
    const entry = (JSON.parse(listed.stdout.toString()) as { phoneId: string; filesSync: string | null }[]).find((m) => m.phoneId === 'writer');
    assert.equal(entry?.filesSync, lastFiles);
    assert.match(clone.output(), /files writer \S+-f1: \d+ blocks received/);
    assert.match(clone.output(), /sync writer \S+: \d+ pages received, \d+ borrowed, [1-9]\d* from file syncs, /);
    // The mirror restored on the clone runs on to the phone's end.
    const last = /^clonecloud: sync (\S+) /.exec(memorySyncs[memorySyncs.length - 1])![1];
    const restored = await cli(['restore', last, '--store', path.join(store, 'writer'), '--json']);
    assert.equal(restored.status, 0, restored.lines.join('\n'));
    assert.equal(restored.summary?.memoryHash, alone.summary?.memoryHash);
  });

  it('refuses --sync-files-every with the on-demand policy, and a bad period, in one line', async () => {
    const base = ['boot', 'images/hello', '--clone', `127.0.0.1:${clone.port}`, '--token-file', tokenFile];
    const a = await cli([...base, '--sync-policy', 'on-demand', '--sync-files-every', '1s']);
    assert.equal(a.status, 2);
    assert.match(a.lines.join('\n'), /--sync-files-every goes with the periodic and opportunistic policies/);
    const b = await cli([...base, '--sync-files-every', 'often']);
    assert.equal(b.status, 2);
    assert.match(b.lines.join('\n'), /--sync-files-every: expected modelled time like 2s or 500ms, or instructions like 50M, got "often"/);
  });
});
