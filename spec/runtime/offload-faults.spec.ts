/**
 * Offloading when the clone fails the phone: killed with SIGKILL while it runs the call, and a
 * clone that acknowledges a sync with a memory hash that is not the phone's (it is not trusted
 * with the call). Either way the call runs on the phone and the run is the local one.
 */
import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { FrameConnection } from '../../emulator/link/connection';
import { answerHaveQuery } from '../../emulator/link/batches';
import { FrameType } from '../../emulator/link/frames';
import { answeringHandshake } from '../../emulator/link/handshake';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { BIN, startClone } from '../support/clone-process';
import { CliRun, runCliAsync } from '../support/cli-run';
import { compileC, tempDir } from '../support/toolchain';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** A clone that completes the handshake and takes increments, but acknowledges each with a wrong memory hash. */
function lyingClone(token: Buffer): Promise<{ port: number; close: () => void }> {
  const server = net.createServer((socket) => {
    const conn = new FrameConnection(socket, { readTimeoutMs: 60_000 });
    void (async () => {
      try {
        await answeringHandshake(conn, token);
        for (;;) {
          const f = await conn.next();
          if (f.type === FrameType.Phone) conn.send({ type: FrameType.MirrorState, lastSync: null, memoryHash: null });
          else if (f.type === FrameType.HaveQuery) conn.send(answerHaveQuery(f, () => false));
          else if (f.type === FrameType.IncrementCommit) conn.send({ type: FrameType.Ack, id: f.id, memoryHash: '0'.repeat(32) });
          else if (f.type === FrameType.Bye) return conn.close();
        }
      } catch {
        socket.destroy();
      }
    })();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as net.AddressInfo).port, close: () => server.close() })),
  );
}

describe('runtime/offloader: the clone fails the phone', function () {
  this.timeout(300_000);
  const dir = tempDir('cc-offload-faults-');
  const tokenFile = path.join(dir, 'token');
  const token = crypto.randomBytes(32).toString('hex');
  let local: CliRun;
  before(async () => {
    await initHashing();
    local = await runCliAsync(['boot', 'images/virusscan', 'large', '--json']);
    assert.equal(local.status, 0);
  });

  it('runs the call on the phone when the clone is killed while it runs it', async () => {
    const clone = await startClone(path.join(dir, 'mirrors'), tokenFile, token);
    const child = spawn(
      process.execPath,
      [
        BIN,
        'boot',
        'images/virusscan',
        'large',
        '--json',
        '--clone',
        `127.0.0.1:${clone.port}`,
        '--token-file',
        tokenFile,
        '--phone-id',
        'killed-mid-call',
        '--sync-policy',
        'on-demand',
        '--offload',
        'scan_tree',
      ],
      { cwd: ROOT },
    );
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    const closed = new Promise<number | null>((res) => child.on('close', res));
    let killed: Promise<void> | undefined;
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      // The sync before the call is acknowledged: the clone is now running scan_tree (1.4 G instructions).
      if (!killed && /clonecloud: sync \S+ .*\(migration of scan_tree\)/.test(err)) killed = new Promise((r) => setTimeout(r, 300)).then(() => clone.kill());
    });
    assert.equal(await closed, 0, err);
    await killed;
    assert.ok(Buffer.concat(out).equals(local.stdout), 'the guest prints the same');
    assert.match(err, /clonecloud: scan_tree at [\d.]+ s runs on the phone: the clone did not run it: /);
    const summary = JSON.parse(err.trimEnd().split('\n').pop()!) as { memoryHash: string; instructions: number; offload: { offloaded: number; local: number } };
    assert.equal(summary.memoryHash, local.summary?.memoryHash);
    assert.equal(summary.instructions, local.summary?.instructions);
    assert.deepEqual([summary.offload.offloaded, summary.offload.local], [0, 1]);
  });

  it('runs the call on the phone when what it grew to on the clone does not fit the phone', async () => {
    const clone = await startClone(path.join(dir, 'mirrors-grow'), tokenFile, token);
    try {
      const elf = compileC(path.join(ROOT, 'spec', 'fixtures', 'grow.c'));
      const profiles = path.join(dir, 'tiny.json');
      fs.writeFileSync(profiles, JSON.stringify({ id: 'tiny-phone', clockHz: 412e6, ipc: 0.6, cores: 1, ramBytes: 24 << 20, cpuActiveW: 0.4, cpuIdleW: 0.05 }));
      const args = ['boot', '--elf', elf, '--profile-file', profiles, '-p', 'tiny-phone', '--json'];
      const alone = await runCliAsync(args);
      const r = await runCliAsync([
        ...args,
        '--clone',
        `127.0.0.1:${clone.port}`,
        '--token-file',
        tokenFile,
        '--phone-id',
        'grow',
        '--sync-policy',
        'on-demand',
        '--offload',
        'grow',
      ]);
      assert.equal(r.status, 0, r.lines.join('\n'));
      assert.ok(r.stdout.equals(alone.stdout), r.stdout.toString());
      assert.equal(r.summary?.memoryHash, alone.summary?.memoryHash);
      assert.match(
        r.lines.join('\n'),
        /clonecloud: grow at [\d.]+ s runs on the phone: the increment back did not check: checkpoint \S+ holds [\d.]+ MB of resident memory; profile tiny-phone has only 24\.0 MB of RAM: it does not fit the phone; the phone had waited [\d.]+ s for the clone/,
      );
      // The wait for the attempt is the phone's: its run took that much longer than the local one.
      assert.ok(r.summary!.modelledSeconds > alone.summary!.modelledSeconds + 0.1, `${r.summary!.modelledSeconds} vs ${alone.summary!.modelledSeconds}`);
    } finally {
      assert.equal(await clone.stop(), 0);
    }
  });

  it("does not trust a clone whose mirror hash is not the phone's: the call runs on the phone", async () => {
    fs.writeFileSync(path.join(dir, 'liar-token'), token + '\n', { mode: 0o600 });
    const liar = await lyingClone(Buffer.from(token));
    try {
      const r = await runCliAsync([
        'boot',
        'images/virusscan',
        'small',
        '--json',
        '--clone',
        `127.0.0.1:${liar.port}`,
        '--token-file',
        path.join(dir, 'liar-token'),
        '--sync-policy',
        'on-demand',
        '--offload',
        'scan_tree',
      ]);
      const small = await runCliAsync(['boot', 'images/virusscan', 'small', '--json']);
      assert.equal(r.status, 0, r.lines.join('\n'));
      assert.ok(r.stdout.equals(small.stdout));
      assert.equal(r.summary?.memoryHash, small.summary?.memoryHash);
      const text = r.lines.join('\n');
      assert.match(text, /the clone's mirror has memory hash 0{32}, the phone [0-9a-f]{32}/);
      assert.match(text, /clonecloud: scan_tree at [\d.]+ s runs on the phone: the sync before it did not go through/);
    } finally {
      liar.close();
    }
  });
});
