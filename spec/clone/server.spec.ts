/**
 * The clone server in a process of its own, over real loopback TCP: increments a phone recorded
 * are acknowledged with the phone's memory hash; a second phone of the same image sends only the
 * pages the clone lacks; the mirrors survive SIGTERM and SIGKILL (mid-increment) at their last
 * complete sync; a connection cut after any number of bytes leaves no partial mirror; malformed,
 * truncated, oversized, unauthenticated and out-of-order frames are refused while another phone
 * keeps syncing.
 */
import { strict as assert } from 'assert';
import * as net from 'net';
import * as path from 'path';
import { CloneClient, connectClone, incrementStart } from '../../emulator/link/clone-client';
import { connect } from '../../emulator/link/connection';
import { ErrorCode, PeerRefusedError, ProtocolError } from '../../emulator/link/errors';
import { encodeFrame, Frame, FrameType } from '../../emulator/link/frames';
import { connectingHandshake } from '../../emulator/link/handshake';
import { pageBatches } from '../../emulator/link/batches';
import { packPage } from '../../emulator/link/page-codec';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { PutPage } from '../../emulator/snapshot/sink';
import { CloneProcess, startClone } from '../support/clone-process';
import { PhoneIncrement, recordIncrements } from '../support/phone-increments';
import { tempDir } from '../support/toolchain';
import { cuttingProxy } from '../support/cutting-proxy';

const TOKEN = 'a-token-for-the-clone-server-tests';
const token = Buffer.from(TOKEN);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Connect as `phone`, retrying while the clone still holds the phone's previous (cut) connection. */
async function phoneClient(port: number, phone: string): Promise<CloneClient> {
  for (let i = 0; ; i++) {
    try {
      return await connectClone({ host: '127.0.0.1', port, token, phone, timeoutMs: 20_000 });
    } catch (e) {
      if (!(e instanceof PeerRefusedError && e.code === ErrorCode.Busy) || i >= 40) throw e;
      await sleep(50);
    }
  }
}

/** Where the clone's mirror of `phone` stands, asked on a connection of its own. */
async function positionOf(port: number, phone: string) {
  const c = await phoneClient(port, phone);
  const p = { ...c.position };
  await c.close();
  return p;
}

/** Send every increment on one connection, checking each Ack against the phone's memory hash. */
async function syncAll(port: number, phone: string, incs: PhoneIncrement[]): Promise<void> {
  const c = await phoneClient(port, phone);
  try {
    for (const inc of incs) {
      const ack = await c.sendIncrement(inc.record, inc.pages);
      assert.equal(ack.memoryHash, inc.phoneHash, `${phone} ${inc.record.id}`);
      assert.deepEqual(c.position, { checkpoint: inc.record.id, memoryHash: inc.phoneHash });
    }
  } finally {
    await c.close();
  }
}

/** Write `bytes` on a raw connection (then half-close unless `keepOpen`), and collect the reply until the clone closes. */
async function rawExchange(port: number, bytes: Uint8Array, keepOpen = false): Promise<Buffer> {
  const socket = net.connect(port, '127.0.0.1');
  const got: Buffer[] = [];
  socket.on('data', (b: Buffer) => got.push(b));
  socket.on('error', () => undefined);
  socket.write(bytes);
  if (!keepOpen) socket.end();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the clone did not close the connection')), 10_000);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return Buffer.concat(got);
}

/** The error frame in `reply` (after any handshake frames), if one. */
function errorIn(reply: Buffer): { code: number; message: string } | undefined {
  let at = 0;
  while (at + 5 <= reply.length) {
    const length = reply.readUInt32LE(at);
    if (reply[at + 4] === (FrameType.Error as number)) {
      const code = reply.readUInt16LE(at + 5);
      const n = reply.readUInt16LE(at + 7);
      return { code, message: reply.subarray(at + 9, at + 9 + n).toString() };
    }
    at += 4 + length;
  }
  return undefined;
}

/** A deterministic generator of bytes. */
function randomBytes(seed: number, n: number): Uint8Array {
  let x = seed >>> 0 || 1;
  return Uint8Array.from({ length: n }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x & 0xff;
  });
}

describe('clone/server (a separate process over loopback TCP)', function () {
  this.timeout(240_000);
  let syscalls: PhoneIncrement[];
  let compute: PhoneIncrement[];
  const clones: CloneProcess[] = [];

  before(async () => {
    await initHashing();
    syscalls = recordIncrements('syscalls', [300_000n, 1_200_000n, 2_400_000n]);
    compute = recordIncrements('compute', [40_000_000n, 200_000_000n]);
  });

  after(async () => {
    for (const c of clones) if (c.proc.exitCode === null && c.proc.signalCode === null) await c.kill();
  });

  /** A clone server over `store`, stopped after the suite if a test leaves it running. */
  async function clone(store: string, tokenFile: string): Promise<CloneProcess> {
    const c = await startClone(store, tokenFile, TOKEN);
    clones.push(c);
    return c;
  }

  it('acknowledges every increment with the phone memory hash; a second phone of the same image sends only what the clone lacks; a restart keeps every mirror', async () => {
    const dir = tempDir('cc-server-');
    const store = path.join(dir, 'store');
    const tokenFile = path.join(dir, 'token');
    let server = await clone(store, tokenFile);
    await syncAll(server.port, 'syscalls-a', syscalls);
    await syncAll(server.port, 'compute-a', compute);

    const second = recordIncrements('syscalls', [300_000n, 1_200_000n, 2_400_000n]);
    const c = await phoneClient(server.port, 'syscalls-b');
    assert.deepEqual(c.position, { checkpoint: null, memoryHash: null });
    let sentBytes = 0;
    let lackingBytes = 0;
    for (const [i, inc] of second.entries()) {
      const held = await c.have(inc.pages.map(([h]) => h));
      assert.equal(held.length, inc.pages.length);
      const lacking: PutPage[] = inc.pages.filter((_, j) => !held[j]);
      if (i === 0) assert.ok(lacking.length < inc.pages.length / 2, `the first sync sends ${lacking.length} of ${inc.pages.length} pages`);
      lackingBytes += lacking.reduce((n, [, b]) => n + b.length, 0);
      const before = c.bytesOut;
      const ack = await c.sendIncrement(inc.record, lacking);
      sentBytes += c.bytesOut - before - inc.record.pageTable.length - JSON.stringify(inc.record.manifest).length - inc.record.extraHashes.length;
      assert.equal(ack.memoryHash, inc.phoneHash);
    }
    assert.ok(sentBytes <= lackingBytes + 4096, `page bytes sent ${sentBytes}, bytes lacking ${lackingBytes}`);
    assert.ok(c.bytesIn > 0);
    await c.close();
    assert.match(
      server.output(),
      new RegExp(
        `sync syscalls-b ${second[0].record.id}: \\d+ pages received, [1-9]\\d* borrowed, 0 from file syncs, \\d+ bytes, memory ${second[0].phoneHash}`,
      ),
    );

    assert.equal(await server.stop(), 0);
    assert.match(server.output(), /stopped\n$/);
    server = await clone(store, tokenFile);
    assert.match(server.output(), /3 mirrors/);
    const last = (incs: PhoneIncrement[]) => incs[incs.length - 1];
    assert.deepEqual(await positionOf(server.port, 'compute-a'), { checkpoint: last(compute).record.id, memoryHash: last(compute).phoneHash });
    const lister = await connectClone({ host: '127.0.0.1', port: server.port, token });
    const listed = await lister.listMirrors();
    await lister.close();
    assert.deepEqual(
      listed.map((m) => [m.phoneId, m.lastSync, m.memoryHash]),
      [
        ['compute-a', last(compute).record.id, last(compute).phoneHash],
        ['syscalls-a', last(syscalls).record.id, last(syscalls).phoneHash],
        ['syscalls-b', last(second).record.id, last(second).phoneHash],
      ],
    );
    for (const m of listed) assert.ok(m.pages > 0 && m.syncedAt !== null);
    assert.equal(await server.stop(), 0);
  });

  it('restarts after SIGKILL in the middle of an increment with the mirror at the previous complete sync, and takes the increment again', async () => {
    const dir = tempDir('cc-server-');
    const store = path.join(dir, 'store');
    const tokenFile = path.join(dir, 'token');
    let server = await clone(store, tokenFile);
    const [base, next] = compute;
    await syncAll(server.port, 'phone-k', [base]);

    const conn = await connect('127.0.0.1', server.port, { readTimeoutMs: 10_000 });
    await connectingHandshake(conn, token);
    conn.send({ type: FrameType.Phone, phoneId: 'phone-k' });
    assert.equal((await conn.expect(FrameType.MirrorState)).lastSync, base.record.id);
    const r = next.record;
    conn.send(incrementStart(r, next.pages.length));
    const batches = pageBatches(
      next.pages.map(([h, b]) => packPage(h, b)),
      64 * 1024,
    );
    assert.ok(batches.length >= 2, `${batches.length} batches`);
    for (const b of batches.slice(0, batches.length - 1)) conn.send(b);
    await sleep(300);
    await server.kill();
    conn.socket.destroy();

    server = await clone(store, tokenFile);
    assert.deepEqual(await positionOf(server.port, 'phone-k'), { checkpoint: base.record.id, memoryHash: base.phoneHash });
    await syncAll(server.port, 'phone-k', [next]);
    assert.equal(await server.stop(), 0);
  });

  it('never leaves a partial mirror when the connection is cut after any number of bytes; the same increment then goes through', async () => {
    const dir = tempDir('cc-server-');
    const server = await clone(path.join(dir, 'store'), path.join(dir, 'token'));
    // How many bytes each increment takes on a fresh connection (a phone id of the same length).
    const sizes: number[] = [];
    for (const inc of compute) {
      const c = await phoneClient(server.port, 'probe-1');
      await c.sendIncrement(inc.record, inc.pages);
      sizes.push(c.bytesOut);
      await c.close();
    }
    let cuts = 0;
    for (const [k, inc] of compute.entries()) {
      const previous = k === 0 ? { checkpoint: null, memoryHash: null } : { checkpoint: compute[k - 1].record.id, memoryHash: compute[k - 1].phoneHash };
      const total = sizes[k];
      const points = new Set([1, 4, 5, 60, 100, 150, 200, 300, total - 9, total - 1]);
      for (let i = 1; i < 12; i++) points.add(Math.floor((total * i) / 12));
      for (const n of [...points].sort((a, b) => a - b)) {
        const proxy = await cuttingProxy(server.port, n);
        try {
          const port = proxy.port;
          await assert.rejects(async () => {
            const c = await connectClone({ host: '127.0.0.1', port, token, phone: 'cutme-1', timeoutMs: 20_000 });
            await c.sendIncrement(inc.record, inc.pages);
          }, `cut after ${n} of ${total} bytes`);
        } finally {
          proxy.close();
        }
        assert.deepEqual(await positionOf(server.port, 'cutme-1'), previous, `cut after ${n} of ${total} bytes`);
        cuts++;
      }
      await syncAll(server.port, 'cutme-1', [inc]);
    }
    assert.ok(cuts >= 40);
    assert.equal(await server.stop(), 0);
  });

  it('refuses random, truncated, oversized, wrongly versioned, unauthenticated, out-of-order frames and a bad page, while another phone keeps syncing', async () => {
    const dir = tempDir('cc-server-');
    const server = await clone(path.join(dir, 'store'), path.join(dir, 'token'));
    const steady = await phoneClient(server.port, 'steady');
    const syncing = (async () => {
      for (const inc of syscalls) {
        const ack = await steady.sendIncrement(inc.record, inc.pages);
        assert.equal(ack.memoryHash, inc.phoneHash);
        await sleep(150);
      }
    })();

    const fuzz = async () => {
      for (let seed = 1; seed <= 12; seed++) await rawExchange(server.port, randomBytes(seed, 1 + ((seed * 37) % 300)));
      const hello = encodeFrame({ type: FrameType.Hello, version: '1.0', nonce: new Uint8Array(32) });
      for (const cut of [1, 3, 4, 5, hello.length - 1]) await rawExchange(server.port, hello.subarray(0, cut));
      const huge = errorIn(await rawExchange(server.port, Uint8Array.of(0xff, 0xff, 0xff, 0xff, 1), true));
      assert.equal(huge?.code, ErrorCode.TooLarge);
      const zero = errorIn(await rawExchange(server.port, Uint8Array.of(0, 0, 0, 0), true));
      assert.equal(zero?.code, ErrorCode.Malformed);
      const v2 = errorIn(await rawExchange(server.port, encodeFrame({ type: FrameType.Hello, version: '2.0', nonce: new Uint8Array(32) }), true));
      assert.equal(v2?.code, ErrorCode.Version);
      assert.match(v2!.message, /wire protocol "2.0"/);
      const notHello = errorIn(await rawExchange(server.port, encodeFrame({ type: FrameType.ListMirrors }), true));
      assert.equal(notHello?.code, ErrorCode.Unexpected);

      await assert.rejects(
        connectClone({ host: '127.0.0.1', port: server.port, token: Buffer.from('not-the-token-of-this-clone'), phone: 'intruder' }),
        (e: unknown) => e instanceof ProtocolError && e.code === ErrorCode.Auth && /refused the token/.test(e.message),
      );

      // Well-formed frames out of order, after a proper handshake.
      const outOfOrder = [
        [{ type: FrameType.IncrementCommit, id: 'x', pageCount: 0 }],
        [{ type: FrameType.PageBatch, pages: [packPage(syscalls[0].pages[0][0], syscalls[0].pages[0][1])] }],
        [{ type: FrameType.HaveQuery, hashes: new Uint8Array(16) }],
        [
          { type: FrameType.Phone, phoneId: 'order' },
          { type: FrameType.Phone, phoneId: 'order' },
        ],
        [{ type: FrameType.Phone, phoneId: 'steady' }],
        [{ type: FrameType.Ack, id: 'x', memoryHash: 'y' }],
      ] as Frame[][];
      for (const frames of outOfOrder) {
        const conn = await connect('127.0.0.1', server.port, { readTimeoutMs: 10_000 });
        await connectingHandshake(conn, token);
        for (const f of frames) conn.send(f);
        let refusal: unknown;
        try {
          for (;;) if ((await conn.next()).type === FrameType.Error) break;
        } catch (e) {
          refusal = e;
        }
        conn.socket.destroy();
        assert.ok(refusal === undefined || refusal instanceof ProtocolError);
      }

      // An increment with a page that does not match its hash: refused whole.
      const inc = syscalls[0];
      const bad: PutPage[] = inc.pages.map(([h, b], i) => [h, i === 2 ? Uint8Array.from(b, (x, j) => (j === 7 ? x ^ 0x40 : x)) : b]);
      const evil = await phoneClient(server.port, 'evil');
      await assert.rejects(evil.sendIncrement(inc.record, bad), (e: unknown) => e instanceof PeerRefusedError && e.code === ErrorCode.BadPage);
      assert.deepEqual(await positionOf(server.port, 'evil'), { checkpoint: null, memoryHash: null });
      // Fewer pages than announced, then a commit that claims them all.
      const raw = await connect('127.0.0.1', server.port, { readTimeoutMs: 10_000 });
      await connectingHandshake(raw, token);
      raw.send({ type: FrameType.Phone, phoneId: 'evil' });
      await raw.expect(FrameType.MirrorState);
      const r = inc.record;
      assert.equal(r.parentChain, undefined, 'a first increment');
      raw.send(incrementStart(r, inc.pages.length));
      for (const batch of pageBatches(inc.pages.slice(1).map(([h, b]) => packPage(h, b)))) raw.send(batch);
      raw.send({ type: FrameType.IncrementCommit, id: r.id, pageCount: inc.pages.length });
      await assert.rejects(
        raw.expect(FrameType.Ack),
        (e: unknown) => e instanceof PeerRefusedError && e.code === ErrorCode.Unexpected && /pages received/.test(e.message),
      );
      assert.deepEqual(await positionOf(server.port, 'evil'), { checkpoint: null, memoryHash: null });
    };

    await Promise.all([syncing, fuzz()]);
    assert.deepEqual(steady.position, { checkpoint: syscalls[2].record.id, memoryHash: syscalls[2].phoneHash });
    await steady.close();
    const log = server.output();
    assert.match(log, /refused .*: .*over the .*maximum.* \[code 4\]/);
    assert.match(log, /refused .*does not hold (our|the) token.* \[code 2\]/);
    assert.match(log, /refused .*\(phone evil\): .*bytes do not match the hash.* \[code 6\]/);
    assert.match(log, /refused .*\(phone order\): .*Phone frame was not expected.* \[code 5\]/);
    assert.match(log, /refused .*already connected.* \[code 10\]/);
    assert.match(log, /refused .*\(phone evil\): increment .*: \d+ pages received, \d+ announced, \d+ committed; nothing applied \[code 5\]/);
    assert.equal((log.match(/sync steady /g) ?? []).length, 3);
    assert.equal(await server.stop(), 0);
  });
});
