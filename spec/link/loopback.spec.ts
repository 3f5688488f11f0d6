/** Two ends of a link over a real loopback TCP connection: handshake, auth, a hash query, refusals. */
import { strict as assert } from 'assert';
import * as net from 'net';
import { answerHaveQuery, pageBatches, readHaveAnswer } from '../../emulator/link/batches';
import { connect, FrameConnection } from '../../emulator/link/connection';
import { ErrorCode, PeerRefusedError, ProtocolError } from '../../emulator/link/errors';
import { encodeFrame, FrameType } from '../../emulator/link/frames';
import { answeringHandshake, connectingHandshake } from '../../emulator/link/handshake';
import { PROTOCOL_VERSION } from '../../emulator/link/version';
import { packPage, unpackPage } from '../../emulator/link/page-codec';
import { hashBytes, initHashing } from '../../emulator/snapshot/page-hash';
import { pattern } from './samples';

const TOKEN = Buffer.from('s3cret-token-for-tests');

/** A one-connection clone stand-in: handshake, then answer hash queries from `held` until bye. */
async function listen(token: Uint8Array, held: Set<string>): Promise<{ port: number; server: net.Server; done: Promise<unknown>; bytes: Buffer[] }> {
  const bytes: Buffer[] = [];
  const server = net.createServer();
  let finish!: (v: unknown) => void;
  const done = new Promise((resolve) => (finish = resolve));
  server.on('connection', (socket) => {
    socket.on('data', (b: Buffer) => bytes.push(b));
    const conn = new FrameConnection(socket, { readTimeoutMs: 5000 });
    const serve = async () => {
      await answeringHandshake(conn, token);
      for (;;) {
        const f = await conn.next();
        if (f.type === FrameType.Bye) return 'bye';
        if (f.type === FrameType.HaveQuery) conn.send(answerHaveQuery(f, (h) => held.has(Buffer.from(h).toString('hex'))));
        else if (f.type === FrameType.PageBatch) {
          for (const p of f.pages) held.add(Buffer.from(hashBytes(unpackPage(p))).toString('hex'));
          conn.send({ type: FrameType.Ack, id: 'batch', memoryHash: String(held.size) });
        } else throw conn.fail(new ProtocolError(ErrorCode.Unexpected, `unexpected ${FrameType[f.type]}`));
      }
    };
    serve().then(finish, finish);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, server, done, bytes };
}

describe('link over loopback TCP', () => {
  before(initHashing);

  it('does handshake, mutual auth, a hash query and a page batch; the token never travels', async () => {
    const pages = [pattern(4096, 1), pattern(4096, 2), pattern(4096, 3)];
    const hashes = pages.map(hashBytes);
    const held = new Set([Buffer.from(hashes[1]).toString('hex')]);
    const clone = await listen(TOKEN, held);
    const sent: Uint8Array[] = [];
    try {
      const conn = await connect('127.0.0.1', clone.port, { readTimeoutMs: 5000 });
      const send = conn.send.bind(conn);
      conn.send = (f) => (sent.push(encodeFrame(f)), send(f));
      const session = await connectingHandshake(conn, TOKEN);
      assert.equal(session.version, PROTOCOL_VERSION);
      const query = { type: FrameType.HaveQuery as const, hashes: Buffer.concat(hashes) };
      conn.send(query);
      assert.deepEqual(readHaveAnswer(query, await conn.expect(FrameType.HaveAnswer)), [false, true, false]);
      for (const batch of pageBatches([0, 2].map((i) => packPage(hashes[i], pages[i])))) conn.send(batch);
      assert.equal((await conn.expect(FrameType.Ack)).memoryHash, '3');
      conn.close();
      assert.equal(await clone.done, 'bye');
      const all = Buffer.concat([...sent, ...clone.bytes]);
      assert.equal(all.indexOf(TOKEN), -1, 'the token appears in the bytes on the wire');
    } finally {
      clone.server.close();
    }
  });

  it('refuses a wrong token on either side with a clear error, and closes', async () => {
    const clone = await listen(TOKEN, new Set());
    try {
      const conn = await connect('127.0.0.1', clone.port, { readTimeoutMs: 5000 });
      await assert.rejects(
        connectingHandshake(conn, Buffer.from('wrong')),
        (e: unknown) => e instanceof ProtocolError && e.code === ErrorCode.Auth && /does not hold our token/.test(e.message),
      );
      const server = (await clone.done) as ProtocolError;
      assert.ok(server instanceof ProtocolError, 'the clone side ends with a protocol error');
    } finally {
      clone.server.close();
    }
  });

  it('sends a version refusal back as an error frame', async () => {
    const clone = await listen(TOKEN, new Set());
    try {
      const conn = await connect('127.0.0.1', clone.port, { readTimeoutMs: 5000 });
      await assert.rejects(
        connectingHandshake(conn, TOKEN, '1.7'),
        (e: unknown) => e instanceof PeerRefusedError && e.code === ErrorCode.Version && /wire protocol "1.7"/.test(e.message),
      );
      const conn2 = await connect('127.0.0.1', clone.port, { readTimeoutMs: 5000 });
      await assert.rejects(connectingHandshake(conn2, TOKEN, '2.0'), /upgrade clonecloud/);
    } finally {
      clone.server.close();
    }
  });

  it('answers an oversized or garbage frame with an error frame and closes', async () => {
    const clone = await listen(TOKEN, new Set());
    try {
      const socket = net.connect(clone.port, '127.0.0.1');
      const got: Buffer[] = [];
      socket.on('data', (b: Buffer) => got.push(b));
      socket.write(Uint8Array.of(0xff, 0xff, 0xff, 0x7f, 1, 2, 3));
      await new Promise((resolve) => socket.on('close', resolve));
      const reply = Buffer.concat(got);
      assert.equal(reply[4], FrameType.Error);
      assert.match(reply.toString('latin1'), /over the .*maximum/);
      const err = (await clone.done) as ProtocolError;
      assert.equal(err.code, ErrorCode.TooLarge);
    } finally {
      clone.server.close();
    }
  });

  it('fails a read that waits past the timeout', async () => {
    const server = net.createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const conn = await connect('127.0.0.1', (server.address() as net.AddressInfo).port, { readTimeoutMs: 200 });
      await assert.rejects(conn.next(), /no frame .* within 200 ms/);
      await assert.rejects(connect('127.0.0.1', 1), /cannot reach the clone/);
    } finally {
      server.close();
    }
  });
});
