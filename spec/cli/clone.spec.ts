/** `clonecloud clone serve` and `clonecloud clones`: listings, help, token files and one-line errors. */
import { strict as assert } from 'assert';
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { connectClone } from '../../emulator/link/clone-client';
import { encodeFrame, FrameType } from '../../emulator/link/frames';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { BIN, CloneProcess, startClone } from '../support/clone-process';
import { recordIncrements } from '../support/phone-increments';
import { tempDir } from '../support/toolchain';

const TOKEN = 'the-token-of-the-cli-clone-tests';

/** Run the CLI without blocking this process (a test server here must go on answering). */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8' }, (e, stdout, stderr) => {
      resolve({ status: e ? ((e as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

/** A token file with `mode`. */
function tokenFile(dir: string, token = TOKEN, mode = 0o600): string {
  const f = path.join(dir, `token-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(f, token + '\n', { mode });
  fs.chmodSync(f, mode);
  return f;
}

describe('cli clone serve and clones', function () {
  this.timeout(120_000);
  let server: CloneProcess | undefined;
  let dir: string;
  before(async () => {
    await initHashing();
    dir = tempDir('cc-clone-cli-');
  });
  afterEach(async () => {
    if (server && server.proc.exitCode === null && server.proc.signalCode === null) await server.kill();
    server = undefined;
  });

  it('lists the mirrored phones as a table and as JSON', async () => {
    const file = tokenFile(dir);
    server = await startClone(path.join(dir, 'store-list'), file);
    const empty = await cli(['clones', '--clone', `127.0.0.1:${server.port}`, '--token-file', file]);
    assert.equal(empty.status, 0, empty.stderr);
    assert.match(empty.stdout, /mirrors no phone yet/);

    const incs = recordIncrements('syscalls', [300_000n, 1_200_000n]);
    const c = await connectClone({ host: '127.0.0.1', port: server.port, token: Buffer.from(TOKEN), phone: 'pixel-1' });
    for (const inc of incs) await c.sendIncrement(inc.record, inc.pages);
    await c.close();
    const last = incs[incs.length - 1];

    const r = await cli(['clones', '--clone', `127.0.0.1:${server.port}`, '--token-file', file]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^phone +last sync +synced at +pages +bytes +memory hash +last file sync +files synced at$/);
    assert.match(lines[1], new RegExp(`^pixel-1 +${last.record.id} +\\d{4}-\\d\\d-\\d\\dT\\S+ +[1-9]\\d* +[1-9]\\d* +${last.phoneHash} +- +-$`));

    const j = await cli(['clones', '--clone', `127.0.0.1:${server.port}`, '--token-file', file, '--json']);
    assert.equal(j.status, 0, j.stderr);
    const list = JSON.parse(j.stdout) as { phoneId: string; lastSync: string; pages: number; bytes: number; memoryHash: string }[];
    assert.equal(list.length, 1);
    assert.deepEqual([list[0].phoneId, list[0].lastSync, list[0].memoryHash], ['pixel-1', last.record.id, last.phoneHash]);
    assert.ok(list[0].pages > 0 && list[0].bytes > 0);

    assert.equal(await server.stop(), 0);
    assert.match(server.output(), /clone dell-t7400 \(Dell Precision T7400\), store .*: 0 mirrors\nlistening on 127\.0\.0\.1:\d+\n/);
    assert.match(server.output(), /sync pixel-1 \S+: \d+ pages received, 0 borrowed, 0 from file syncs, \d+ bytes, memory [0-9a-f]+, [\d.]+ ms\n/);
    assert.match(server.output(), /stopped\n$/);
  });

  it('logs JSON lines with --json-log and creates a missing token file readable only by its owner', async () => {
    const file = path.join(dir, 'new-token');
    server = await startClone(path.join(dir, 'store-json'), file, undefined, ['--json-log']);
    assert.match(server.output(), /created token file .*new-token .*mode 0600/);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.match(fs.readFileSync(file, 'utf8'), /^[0-9a-f]{64}\n$/);
    const bad = await cli(['clones', '--clone', `127.0.0.1:${server.port}`, '--token-file', tokenFile(dir, 'another-token-entirely')]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^clonecloud: the clone at 127\.0\.0\.1:\d+ refused the token: give both sides the same --token-file/);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    assert.equal(await server.stop(), 0);
    const events = server
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { kind: string; code: number });
    assert.ok(events.some((e) => e.kind === 'refused' && e.code === 2));
  });

  it('gives one-line errors: bad address, unreachable clone, token files, wrong version, unknown profile', async () => {
    const file = tokenFile(dir);
    const oneLine = (r: { status: number | null; stderr: string }, re: RegExp) => {
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    };
    oneLine(await cli(['clones', '--clone', 'nowhere', '--token-file', file]), /bad address "nowhere": use HOST:PORT/);
    oneLine(await cli(['clones', '--clone', '127.0.0.1:70000', '--token-file', file]), /bad address/);
    oneLine(await cli(['clone', 'serve', '--listen', '1.2.3.4', '-p', 'dell-t7400', '--store', dir, '--token-file', file]), /bad address/);
    oneLine(await cli(['clones', '--clone', '127.0.0.1:1', '--token-file', file]), /^clonecloud: cannot reach the clone at 127\.0\.0\.1:1/);
    oneLine(await cli(['clones', '--clone', '[::1]:1', '--token-file', file]), /cannot reach the clone at \[::1\]:1: /);
    oneLine(await cli(['clones', '--clone', '127.0.0.1:1', '--token-file', tokenFile(dir, TOKEN, 0o644)]), /readable by group or others: chmod 600 /);
    oneLine(await cli(['clones', '--clone', '127.0.0.1:1', '--token-file', tokenFile(dir, 'short')]), /has 5 bytes; use at least 16/);
    oneLine(await cli(['clones', '--clone', '127.0.0.1:1', '--token-file', tokenFile(dir, '')]), /is empty/);
    oneLine(await cli(['clones', '--clone', '127.0.0.1:1', '--token-file', path.join(dir, 'absent')]), /does not exist/);
    oneLine(await cli(['clone', 'serve', '--listen', '127.0.0.1:0', '-p', 'no-such', '--store', dir, '--token-file', file]), /unknown profile "no-such"/);

    // A peer of another major version.
    const fake = net.createServer((s) => {
      s.once('data', () => s.write(encodeFrame({ type: FrameType.Challenge, version: '2.0', nonce: new Uint8Array(32), proof: new Uint8Array(32) })));
      s.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    try {
      const port = (fake.address() as net.AddressInfo).port;
      oneLine(await cli(['clones', '--clone', `127.0.0.1:${port}`, '--token-file', file]), /wire protocol "2.0"; this clonecloud speaks 1.2: upgrade/);
    } finally {
      fake.close();
    }
  });

  it('has --help for clone serve and clones', async () => {
    const serve = await cli(['clone', 'serve', '--help']);
    assert.equal(serve.status, 0);
    assert.match(serve.stdout, /Usage: clonecloud clone serve/);
    for (const o of ['--listen', '--profile', '--store', '--token-file', '--json-log']) assert.ok(serve.stdout.includes(o), o);
    const clones = await cli(['clones', '--help']);
    assert.equal(clones.status, 0);
    assert.match(clones.stdout, /Usage: clonecloud clones/);
    for (const o of ['--clone', '--token-file', '--json']) assert.ok(clones.stdout.includes(o), o);
    const group = await cli(['clone', '--help']);
    assert.match(group.stdout, /serve/);
  });
});
