/**
 * The phone's side of the conversation with its clone (README "Wire protocol"): connect,
 * handshake, name the phone and learn where its mirror stands, ask which pages the clone holds,
 * send increments and read the acknowledged memory hash. `clonecloud clones` uses it to list
 * mirrors. Calls on one client run one after another, so their frames never interleave.
 */
import { UsageError } from '../errors';
import { HASH_BYTES } from '../snapshot/page-hash';
import { PutPage, SnapshotRecord } from '../snapshot/sink';
import { MAX_QUERY_HASHES, pageBatches, readHaveAnswer } from './batches';
import { connect, formatAddress, FrameConnection } from './connection';
import { ErrorCode, PeerRefusedError, ProtocolError } from './errors';
import { FrameOf, FrameType, MirrorInfo } from './frames';
import { connectingHandshake } from './handshake';
import { packPage, unpackPage, WirePage } from './page-codec';

/** Where the clone's mirror of this phone stands (after the Phone frame). */
export interface MirrorPosition {
  checkpoint: string | null;
  memoryHash: string | null;
}

/** What the clone acknowledged. */
export interface AckResult {
  id: string;
  memoryHash: string;
}

/** What the clone acknowledged of a file-only sync. */
export interface FilesAckResult {
  id: string;
  filesHash: string;
}

/** A file-only sync as it is sent: id, files manifest (snapshot/files-record.ts), the block hashes it references. */
export interface FilesSyncRecord {
  id: string;
  manifest: object;
  extraHashes: Uint8Array;
}

/** The Migrate request as the phone fills it. */
export type MigrateFrame = Omit<FrameOf<FrameType.Migrate>, 'type'>;

/** What a migration brings back: the checkpoint where the clone stopped, the pages the phone lacks, and the clone's account. */
export interface MigrationBack {
  record: SnapshotRecord;
  pages: PutPage[];
  returned: Omit<FrameOf<FrameType.Returned>, 'type'>;
}

/** One mirrored phone, as the clone lists it (the Mirrors frame's entries). */
export type MirrorListing = MirrorInfo;

/** A connection to a clone, authenticated. After any rejection the connection is closed and the client unusable. */
export interface CloneClient {
  /** From MirrorState, updated after each Ack. */
  readonly position: MirrorPosition;
  /** Whether the clone holds each page hash (HaveQuery/HaveAnswer, split into frames under the limit). */
  have(hashes: Uint8Array[]): Promise<boolean[]>;
  /** IncrementStart, PageBatch..., IncrementCommit -> Ack; rejects with ProtocolError/PeerRefusedError (state mismatch = code 7). */
  sendIncrement(record: SnapshotRecord, pages: PutPage[]): Promise<AckResult>;
  /** FilesStart, PageBatch..., IncrementCommit -> FilesAck (protocol 1.1): a file-only sync; rejects as sendIncrement does. */
  sendFiles(sync: FilesSyncRecord, pages: PutPage[]): Promise<FilesAckResult>;
  /**
   * Migrate (protocol 1.2): run the mirror on the clone from `request.checkpoint` until the call
   * returns; the guest's output on the clone goes to `onOutput` in order; resolves with the
   * increment back and why it stopped. Waits up to `timeoutMs` for the clone's run.
   */
  migrate(request: MigrateFrame, onOutput: (fd: 1 | 2, data: Uint8Array) => void, timeoutMs: number): Promise<MigrationBack>;
  /** The mirrors the clone holds. */
  listMirrors(): Promise<MirrorListing[]>;
  /** Bytes this connection has written so far, frames included (for pricing the link). */
  readonly bytesOut: number;
  /** Bytes this connection has read so far, frames included. */
  readonly bytesIn: number;
  /** Bye, then close. */
  close(): Promise<void>;
}

/** Options of connectClone. */
export interface ConnectCloneOptions {
  host: string;
  port: number;
  token: Buffer;
  /** The phone's id: name it and read its MirrorState. Without it, only listMirrors is meaningful. */
  phone?: string;
  /** Milliseconds to wait for each frame from the clone (default 30 s). */
  timeoutMs?: number;
}

/** Pages packed and queued at a time while an increment goes out. */
const PAGES_PER_ROUND = 1024;

/** Connect, handshake and authenticate; with `phone`, name the phone and read its MirrorState. */
export async function connectClone(o: ConnectCloneOptions): Promise<CloneClient> {
  const conn = await connect(o.host, o.port, { readTimeoutMs: o.timeoutMs ?? 30_000 });
  const at = formatAddress(o.host, o.port);
  try {
    await connectingHandshake(conn, o.token);
  } catch (e) {
    conn.socket.destroy();
    throw explainHandshake(e, at);
  }
  const client = new Client(conn);
  if (o.phone !== undefined) {
    try {
      conn.send({ type: FrameType.Phone, phoneId: o.phone });
      const s = await conn.expect(FrameType.MirrorState);
      client.position = { checkpoint: s.lastSync, memoryHash: s.memoryHash };
    } catch (e) {
      conn.socket.destroy();
      throw e;
    }
  }
  return client;
}

/** A handshake failure as the user should read it: which clone, and what to do. */
function explainHandshake(e: unknown, at: string): unknown {
  if (!(e instanceof ProtocolError) || e.code !== ErrorCode.Auth) return e;
  const message = `the clone at ${at} refused the token: give both sides the same --token-file (${e.message})`;
  return e instanceof PeerRefusedError ? new PeerRefusedError(e.code, message) : new ProtocolError(e.code, message);
}

class Client implements CloneClient {
  position: MirrorPosition = { checkpoint: null, memoryHash: null };
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly conn: FrameConnection) {}

  get bytesOut(): number {
    return this.conn.socket.bytesWritten;
  }

  get bytesIn(): number {
    return this.conn.socket.bytesRead;
  }

  /** Run `op` after every call made before it. */
  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }

  have(hashes: Uint8Array[]): Promise<boolean[]> {
    return this.serial(async () => {
      const held: boolean[] = [];
      for (let i = 0; i < hashes.length; i += MAX_QUERY_HASHES) {
        const part = hashes.slice(i, i + MAX_QUERY_HASHES);
        for (const h of part) if (h.byteLength !== HASH_BYTES) throw new ProtocolError(ErrorCode.Internal, `page hash of ${h.byteLength} bytes`);
        const query: FrameOf<FrameType.HaveQuery> = { type: FrameType.HaveQuery, hashes: Buffer.concat(part) };
        this.conn.send(query);
        const answer = await this.conn.expect(FrameType.HaveAnswer);
        try {
          held.push(...readHaveAnswer(query, answer));
        } catch (e) {
          throw this.conn.fail(e as ProtocolError);
        }
      }
      return held;
    });
  }

  sendIncrement(record: SnapshotRecord, pages: PutPage[]): Promise<AckResult> {
    return this.serial(async () => {
      await this.sendParts(incrementStart(record, pages.length), pages);
      const ack = await this.conn.expect(FrameType.Ack);
      if (ack.id !== record.id) {
        throw this.conn.fail(new ProtocolError(ErrorCode.Mismatch, `the clone acknowledged ${ack.id}; ${record.id} was sent`));
      }
      this.position = { checkpoint: ack.id, memoryHash: ack.memoryHash };
      return { id: ack.id, memoryHash: ack.memoryHash };
    });
  }

  sendFiles(sync: FilesSyncRecord, pages: PutPage[]): Promise<FilesAckResult> {
    return this.serial(async () => {
      const start = { type: FrameType.FilesStart as const, id: sync.id, manifest: sync.manifest, extraHashes: sync.extraHashes, pageCount: pages.length };
      await this.sendParts(start, pages);
      const ack = await this.conn.expect(FrameType.FilesAck);
      if (ack.id !== sync.id) {
        throw this.conn.fail(new ProtocolError(ErrorCode.Mismatch, `the clone acknowledged file sync ${ack.id}; ${sync.id} was sent`));
      }
      return { id: ack.id, filesHash: ack.filesHash };
    });
  }

  /** The start frame, the page batches and IncrementCommit; a refusal the clone gave while they went out is what rejects. */
  private async sendParts(start: FrameOf<FrameType.IncrementStart> | FrameOf<FrameType.FilesStart>, pages: PutPage[]): Promise<void> {
    try {
      this.conn.send(start);
      for (let i = 0; i < pages.length; i += PAGES_PER_ROUND) {
        const packed: WirePage[] = pages.slice(i, i + PAGES_PER_ROUND).map(([hash, bytes]) => packPage(hash, bytes));
        for (const batch of pageBatches(packed)) this.conn.send(batch);
        await this.drained();
      }
      this.conn.send({ type: FrameType.IncrementCommit, id: start.id, pageCount: pages.length });
    } catch (e) {
      throw await this.refusal(e);
    }
  }

  /** When sending failed because the clone closed, the reason it gave in an error frame (if one came) rather than the bare close. */
  private async refusal(e: unknown): Promise<unknown> {
    if (!this.conn.closed) return e;
    try {
      const f = await this.conn.next();
      if (f.type === FrameType.Error) return new PeerRefusedError(f.code as ErrorCode, `${this.conn.peer} refused: ${f.message}`);
    } catch {
      // nothing queued: the close itself is the reason
    }
    return e;
  }

  migrate(request: MigrateFrame, onOutput: (fd: 1 | 2, data: Uint8Array) => void, timeoutMs: number): Promise<MigrationBack> {
    return this.serial(async () => {
      this.conn.send({ type: FrameType.Migrate, ...request });
      // The clone runs the call before it answers: the first frame may be long in coming.
      let f = await this.conn.next(timeoutMs);
      while (f.type === FrameType.Output) {
        onOutput(f.fd as 1 | 2, f.data);
        f = await this.conn.next();
      }
      if (f.type === FrameType.Error) throw this.refused(f);
      if (f.type !== FrameType.IncrementStart)
        throw this.conn.fail(new ProtocolError(ErrorCode.Unexpected, `expected the increment back, got ${FrameType[f.type]}`));
      if (f.parent !== request.checkpoint) {
        throw this.conn.fail(new ProtocolError(ErrorCode.Mismatch, `the clone sent ${f.id} on top of ${String(f.parent)}, not ${request.checkpoint}`));
      }
      const pages: PutPage[] = [];
      for (;;) {
        const g = await this.conn.next();
        if (g.type === FrameType.PageBatch) {
          for (const p of g.pages) pages.push([p.hash, unpackPage(p)]);
          if (pages.length > f.pageCount) throw this.conn.fail(new ProtocolError(ErrorCode.Unexpected, `more pages back than the ${f.pageCount} announced`));
        } else if (g.type === FrameType.IncrementCommit) {
          if (g.id !== f.id || g.pageCount !== pages.length || pages.length !== f.pageCount) {
            throw this.conn.fail(new ProtocolError(ErrorCode.Unexpected, `increment back ${f.id}: ${pages.length} pages, ${f.pageCount} announced`));
          }
          break;
        } else if (g.type === FrameType.Error) {
          throw this.refused(g);
        } else throw this.conn.fail(new ProtocolError(ErrorCode.Unexpected, `a ${FrameType[g.type]} frame inside the increment back`));
      }
      const r = await this.conn.expect(FrameType.Returned);
      if (r.id !== f.id) throw this.conn.fail(new ProtocolError(ErrorCode.Mismatch, `Returned names ${r.id}; ${f.id} was sent`));
      this.position = { checkpoint: r.id, memoryHash: r.memoryHash };
      const record: SnapshotRecord = {
        id: f.id,
        parent: f.parent,
        manifest: f.manifest,
        pageTable: f.pageTable,
        extraHashes: f.extraHashes,
        chain: f.chain || undefined,
        parentChain: f.parentChain ?? undefined,
      };
      const { type: _t, ...returned } = r;
      return { record, pages, returned };
    });
  }

  /** The error frame `f` as the rejection, the connection closed. */
  private refused(f: FrameOf<FrameType.Error>): PeerRefusedError {
    const e = new PeerRefusedError(f.code as ErrorCode, `${this.conn.peer} refused: ${f.message}`);
    this.conn.socket.destroy();
    return e;
  }

  listMirrors(): Promise<MirrorListing[]> {
    return this.serial(async () => {
      this.conn.send({ type: FrameType.ListMirrors });
      return (await this.conn.expect(FrameType.Mirrors)).mirrors;
    });
  }

  close(): Promise<void> {
    return this.serial(async () => {
      const socket = this.conn.socket;
      if (socket.destroyed) return;
      const closed = new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 2000).unref();
      });
      this.conn.close();
      await closed;
    });
  }

  /** Wait until the socket has handed its queued bytes to the kernel, so a large increment is not held in memory whole. */
  private async drained(): Promise<void> {
    const socket = this.conn.socket;
    if (!socket.writableNeedDrain) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
    if (this.conn.closed) throw new ProtocolError(ErrorCode.Closed, `connection to ${this.conn.peer} closed while an increment was being sent`);
  }
}

/** The IncrementStart frame announcing `record` and the `pageCount` pages that follow it. */
export function incrementStart(record: SnapshotRecord, pageCount: number): FrameOf<FrameType.IncrementStart> {
  return {
    type: FrameType.IncrementStart,
    id: record.id,
    parent: record.parent,
    chain: record.chain ?? '',
    parentChain: record.parentChain ?? null,
    manifest: record.manifest,
    pageTable: record.pageTable,
    extraHashes: record.extraHashes,
    pageCount,
  };
}

/** Parse "host:port" (IPv4, [IPv6] or a name); one-line UsageError otherwise. */
export function parseAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new UsageError(`bad address ${JSON.stringify(text)}: use HOST:PORT, e.g. 127.0.0.1:7700, [::1]:7700 or clone.example.org:7700`);
  }
  return { host: m[1] ?? m[2], port };
}
