/**
 * The clone server: accepts phones over TCP, answers the handshake, and serves each connection
 * either as a phone (MirrorState, page-hash queries, increments applied to its mirror) or as a
 * lister (`clonecloud clones`). An increment is gathered whole (every page decompressed and
 * checked against its hash as it arrives) and only then handed to the mirror, which commits it in
 * one LMDB transaction: a connection cut or a process killed before that leaves the previous sync
 * as the mirror. A refusal closes that connection with an error frame and touches nothing else.
 */
import * as net from 'net';
import { CloneCloudError } from '../errors';
import { answerHaveQuery } from '../link/batches';
import { FrameConnection } from '../link/connection';
import { ErrorCode, ProtocolError } from '../link/errors';
import { FrameOf, FrameType, MirrorInfo } from '../link/frames';
import { answeringHandshake } from '../link/handshake';
import { unpackPage } from '../link/page-codec';
import { initHashing } from '../snapshot/page-hash';
import { PutPage } from '../snapshot/sink';
import { CheckpointStore } from '../store/store';
import { DeviceProfile } from '../model/profiles';
import { HASH_BYTES, hashHex } from '../snapshot/page-hash';
import { incrementStart } from '../link/clone-client';
import { pageBatches } from '../link/batches';
import { packPage } from '../link/page-codec';
import { Augmenter, MigrationError } from './augmenter';
import { checkPhoneId, MirrorError, MirrorSet } from './mirror';

/** What the server reports: one event per sync and one per connection refused or broken. */
export type ServerEvent =
  | {
      kind: 'sync';
      phone: string;
      checkpoint: string;
      /** Pages that came over the link, pages taken from other phones' mirrors instead, and file blocks taken from this phone's last file-only sync. */
      pagesReceived: number;
      pagesBorrowed: number;
      pagesStaged: number;
      /** Bytes read from the phone for this sync, frames included (its hash queries too). */
      bytes: number;
      memoryHash: string;
      /** Host milliseconds from IncrementStart to Ack. */
      hostMs: number;
    }
  | {
      kind: 'files';
      phone: string;
      id: string;
      /** Blocks that came over the link, and blocks taken from the mirrors instead. */
      pagesReceived: number;
      pagesBorrowed: number;
      bytes: number;
      filesHash: string;
      hostMs: number;
    }
  | {
      kind: 'migration';
      phone: string;
      /** The checkpoint the call ran from, and the one it stopped at. */
      from: string;
      to: string;
      reason: string;
      detail: string;
      instructions: string;
      /** Pages and bytes sent back to the phone. */
      pagesSent: number;
      bytesSent: number;
      hostMs: number;
    }
  | { kind: 'refused'; peer: string; phone: string | null; code: number; message: string };

/** Options of a clone server. */
export interface CloneServerOptions {
  /** Folder of the phones' mirrors (created when missing). */
  store: string;
  token: Uint8Array;
  host: string;
  /** 0 picks a free port (see `port` once started). */
  port: number;
  /** Receives one event per sync and per refused connection. */
  log?: (event: ServerEvent) => void;
  /** The clone's device profile: migrated calls run on it (default: the phone's own). */
  profile?: DeviceProfile;
  /** Milliseconds to wait for a phone's next frame (default 10 minutes: phones sync seldom). */
  readTimeoutMs?: number;
}

/** One event as one line of text. */
export function formatEvent(e: ServerEvent): string {
  if (e.kind === 'sync') {
    return (
      `sync ${e.phone} ${e.checkpoint}: ${e.pagesReceived} pages received, ${e.pagesBorrowed} borrowed, ${e.pagesStaged} from file syncs, ` +
      `${e.bytes} bytes, memory ${e.memoryHash}, ${e.hostMs.toFixed(1)} ms`
    );
  }
  if (e.kind === 'migration') {
    return (
      `migration ${e.phone} ${e.from} -> ${e.to}: ${e.reason} (${e.detail}), ${e.instructions} instructions, ` +
      `${e.pagesSent} pages and ${e.bytesSent} bytes back, ${e.hostMs.toFixed(1)} ms`
    );
  }
  if (e.kind === 'files') {
    return (
      `files ${e.phone} ${e.id}: ${e.pagesReceived} blocks received, ${e.pagesBorrowed} borrowed, ` +
      `${e.bytes} bytes, files ${e.filesHash}, ${e.hostMs.toFixed(1)} ms`
    );
  }
  return `refused ${e.peer}${e.phone ? ` (phone ${e.phone})` : ''}: ${e.message} [code ${e.code}]`;
}

/** A connection being served: its phone (once named) and whether it is inside an increment. */
interface Served {
  conn: FrameConnection;
  phone: string | null;
  inIncrement: boolean;
  done: Promise<void>;
}

/** Bytes received per phone and when it last synced each level, since the server started. */
interface Tally {
  bytes: number;
  syncedAt: string | null;
  filesSyncedAt: string | null;
}

/** The clone server; start() it, close() it. */
export class CloneServer {
  private readonly served = new Set<Served>();
  private readonly phones = new Map<string, Served>();
  private readonly tallies = new Map<string, Tally>();
  private closing = false;
  private readonly augmenter = new Augmenter();

  private constructor(
    private readonly server: net.Server,
    private readonly mirrors: MirrorSet,
    private readonly o: CloneServerOptions,
  ) {}

  /** Open the mirrors under `o.store` (each at its last complete sync) and listen. */
  static async start(o: CloneServerOptions): Promise<CloneServer> {
    await initHashing();
    const mirrors = new MirrorSet(o.store);
    const server = net.createServer();
    const self = new CloneServer(server, mirrors, o);
    server.on('connection', (socket) => self.accept(socket));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(o.port, o.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      mirrors.close();
      throw new CloneCloudError(`cannot listen on ${o.host}:${o.port}: ${(e as Error).message}`);
    }
    return self;
  }

  /** The port the server listens on. */
  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** The address the server listens on. */
  get host(): string {
    return (this.server.address() as net.AddressInfo).address;
  }

  /** Mirrors held, as `clonecloud clones` lists them. */
  listing(): MirrorInfo[] {
    return this.mirrors.list().map(({ phone, mirror, files }) => {
      const t = this.tallies.get(phone);
      return {
        phoneId: phone,
        lastSync: mirror?.checkpoint ?? null,
        syncedAt: t?.syncedAt ?? mirror?.captured ?? null,
        pages: mirror?.pages ?? 0,
        bytes: t?.bytes ?? 0,
        memoryHash: mirror?.memoryHash ?? null,
        filesSync: files?.id ?? null,
        filesSyncedAt: t?.filesSyncedAt ?? files?.captured ?? null,
      };
    });
  }

  /** Stop accepting, close every connection (Bye when idle, an error frame mid-increment), close the mirrors. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.served) {
      if (s.inIncrement)
        s.conn.fail(new ProtocolError(ErrorCode.Closed, 'the clone is shutting down; nothing of this increment was applied: sync again later'));
      else s.conn.close();
    }
    await Promise.all([...this.served].map((s) => s.done));
    await stopped;
    this.augmenter.close();
    this.mirrors.close();
  }

  private accept(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    // A phone that vanished without a FIN (it changed networks) would otherwise keep its claim until the read times out.
    socket.setKeepAlive(true, 30_000);
    const conn = new FrameConnection(socket, { readTimeoutMs: this.o.readTimeoutMs ?? 600_000 });
    const s: Served = { conn, phone: null, inIncrement: false, done: Promise.resolve() };
    this.served.add(s);
    s.done = this.serve(s)
      .catch((e: unknown) => this.refuse(s, e))
      .finally(() => {
        this.served.delete(s);
        if (s.phone !== null && this.phones.get(s.phone) === s) this.phones.delete(s.phone);
        // A peer that ignores our close must not hold the socket.
        setTimeout(() => socket.destroy(), 1000).unref();
      });
  }

  /** Close the connection with the reason and log it (a close this side asked for is not a refusal). */
  private refuse(s: Served, e: unknown): void {
    const err = e instanceof ProtocolError ? e : new ProtocolError(ErrorCode.Internal, `the clone failed: ${(e as Error).message ?? String(e)}`);
    s.conn.fail(err);
    if (this.closing && err.code === ErrorCode.Closed) return;
    this.o.log?.({ kind: 'refused', peer: s.conn.peer, phone: s.phone, code: err.code, message: err.message });
  }

  private async serve(s: Served): Promise<void> {
    const { conn } = s;
    await answeringHandshake(conn, this.o.token);
    for (;;) {
      const f = await conn.next();
      switch (f.type) {
        case FrameType.Bye:
          conn.close();
          return;
        case FrameType.Error:
          throw new ProtocolError(f.code, `the peer gave up: ${f.message}`);
        case FrameType.ListMirrors:
          conn.send({ type: FrameType.Mirrors, mirrors: this.listing() });
          break;
        case FrameType.Phone:
          if (s.phone !== null) throw unexpected(f.type, 'once the phone is named');
          this.claim(s, f.phoneId);
          break;
        case FrameType.HaveQuery:
          if (s.phone === null) throw unexpected(f.type, 'before a Phone frame');
          conn.send(answerHaveQuery(f, (h) => this.mirrors.holds(h)));
          break;
        case FrameType.IncrementStart:
          if (s.phone === null) throw unexpected(f.type, 'before a Phone frame');
          await this.receiveIncrement(s, s.phone, f);
          break;
        case FrameType.FilesStart:
          if (s.phone === null) throw unexpected(f.type, 'before a Phone frame');
          await this.receiveFiles(s, s.phone, f);
          break;
        case FrameType.Migrate:
          if (s.phone === null) throw unexpected(f.type, 'before a Phone frame');
          this.migrate(s, s.phone, f);
          break;
        default:
          throw unexpected(f.type, s.phone === null ? 'here' : `from phone ${s.phone} outside an increment`);
      }
    }
  }

  /** Bind the connection to `phone` (one connection per phone) and tell it where its mirror stands. */
  private claim(s: Served, phone: string): void {
    try {
      checkPhoneId(phone);
    } catch (e) {
      throw new ProtocolError(ErrorCode.Malformed, (e as Error).message);
    }
    const other = this.phones.get(phone);
    if (other) {
      throw new ProtocolError(
        ErrorCode.Busy,
        `phone ${phone} is already connected to this clone (from ${other.conn.peer}); one connection per phone: retry when it ends`,
      );
    }
    s.phone = phone;
    this.phones.set(phone, s);
    const status = this.mirrors.get(phone).status();
    s.conn.send({ type: FrameType.MirrorState, lastSync: status?.checkpoint ?? null, memoryHash: status?.memoryHash ?? null });
  }

  /** Gather an increment's page batches and commit, check it whole, apply it, and acknowledge. */
  private async receiveIncrement(s: Served, phone: string, start: FrameOf<FrameType.IncrementStart>): Promise<void> {
    const t0 = performance.now();
    const pages = await this.gatherPages(s, `increment ${start.id}`, start.id, start.pageCount);
    const record = {
      id: start.id,
      parent: start.parent,
      manifest: start.manifest,
      pageTable: start.pageTable,
      extraHashes: start.extraHashes,
      chain: start.chain === '' ? undefined : start.chain,
      parentChain: start.parentChain ?? undefined,
    };
    let applied;
    try {
      applied = this.mirrors.apply(phone, record, pages);
    } catch (e) {
      if (e instanceof CloneCloudError) throw new ProtocolError(ErrorCode.Mismatch, `${e.message}${e instanceof MirrorError ? '' : '; nothing applied'}`);
      throw e;
    }
    s.inIncrement = false;
    s.conn.send({ type: FrameType.Ack, id: applied.id, memoryHash: applied.memoryHash });
    const bytes = this.count(s, phone, 'syncedAt');
    this.o.log?.({
      kind: 'sync',
      phone,
      checkpoint: applied.id,
      pagesReceived: pages.length,
      pagesBorrowed: applied.pagesBorrowed,
      pagesStaged: applied.pagesStaged,
      bytes,
      memoryHash: applied.memoryHash,
      hostMs: performance.now() - t0,
    });
  }

  /**
   * Run a migrated call from the phone's mirror and send back what the phone lacks of where it
   * stopped: the output, the increment (pages whose content differs from the migration point's,
   * and file blocks the phone did not have), and Returned.
   */
  private migrate(s: Served, phone: string, f: FrameOf<FrameType.Migrate>): void {
    const t0 = performance.now();
    const mirror = this.mirrors.get(phone);
    const at = mirror.status()?.checkpoint ?? null;
    if (at !== f.checkpoint) {
      throw new ProtocolError(ErrorCode.Mismatch, `the mirror of ${phone} is at ${at ?? 'nothing'}, not ${f.checkpoint}: sync before migrating; nothing run`);
    }
    const store = mirror.checkpoints();
    const output: { fd: 1 | 2; data: Uint8Array }[] = [];
    let run;
    try {
      run = this.augmenter.run(
        phone,
        store,
        { checkpoint: f.checkpoint, returnPc: f.returnPc, returnSp: f.returnSp, budget: f.budget ? BigInt(f.budget) : undefined, phoneOnly: f.phoneOnly },
        this.o.profile ?? (store.manifest(f.checkpoint) as { boot: { profile: DeviceProfile } }).boot.profile,
        (fd, data) => output.push({ fd, data }),
      );
    } catch (e) {
      if (e instanceof MigrationError || e instanceof CloneCloudError)
        throw new ProtocolError(ErrorCode.Mismatch, `${(e as Error).message}; the phone runs the call itself`);
      throw e;
    }
    const out0 = s.conn.socket.bytesWritten;
    for (const o of output)
      for (let i = 0; i < o.data.length || i === 0; i += OUTPUT_CHUNK)
        s.conn.send({ type: FrameType.Output, fd: o.fd, data: o.data.subarray(i, i + OUTPUT_CHUNK) });
    const pages = pagesBack(store, f.checkpoint, run.id);
    const record = {
      id: run.id,
      parent: f.checkpoint,
      manifest: store.manifest(run.id),
      pageTable: store.pageTable(run.id),
      extraHashes: store.extraHashes(run.id),
      chain: run.chain,
      parentChain: store.chainOf(f.checkpoint),
    };
    s.conn.send(incrementStart(record, pages.length));
    for (let i = 0; i < pages.length; i += 1024) {
      for (const batch of pageBatches(pages.slice(i, i + 1024).map(([h, b]) => packPage(h, b)))) s.conn.send(batch);
    }
    s.conn.send({ type: FrameType.IncrementCommit, id: run.id, pageCount: pages.length });
    s.conn.send({
      type: FrameType.Returned,
      id: run.id,
      reason: run.reason,
      detail: run.detail,
      memoryHash: run.memoryHash,
      chain: run.chain,
      instructions: run.instructions.toString(),
      cloneSeconds: run.cloneSeconds,
    });
    this.o.log?.({
      kind: 'migration',
      phone,
      from: f.checkpoint,
      to: run.id,
      reason: run.reason,
      detail: run.detail,
      instructions: run.instructions.toString(),
      pagesSent: pages.length,
      bytesSent: s.conn.socket.bytesWritten - out0,
      hostMs: performance.now() - t0,
    });
  }

  /** Gather a file-only sync's blocks and commit, check it whole, keep it, and acknowledge. */
  private async receiveFiles(s: Served, phone: string, start: FrameOf<FrameType.FilesStart>): Promise<void> {
    const t0 = performance.now();
    const pages = await this.gatherPages(s, `file sync ${start.id}`, start.id, start.pageCount);
    let applied;
    try {
      applied = this.mirrors.applyFiles(phone, { id: start.id, manifest: start.manifest, extraHashes: start.extraHashes }, pages);
    } catch (e) {
      if (e instanceof CloneCloudError) throw new ProtocolError(ErrorCode.Mismatch, `${e.message}${e instanceof MirrorError ? '' : '; nothing applied'}`);
      throw e;
    }
    s.inIncrement = false;
    s.conn.send({ type: FrameType.FilesAck, id: applied.id, filesHash: applied.filesHash });
    const bytes = this.count(s, phone, 'filesSyncedAt');
    this.o.log?.({
      kind: 'files',
      phone,
      id: applied.id,
      pagesReceived: pages.length,
      pagesBorrowed: applied.pagesBorrowed,
      bytes,
      filesHash: applied.filesHash,
      hostMs: performance.now() - t0,
    });
  }

  /**
   * The page batches of one increment or file sync up to its IncrementCommit, every page
   * decompressed and checked against the count announced; the connection is inside it meanwhile.
   */
  private async gatherPages(s: Served, what: string, id: string, pageCount: number): Promise<PutPage[]> {
    s.inIncrement = true;
    const pages: PutPage[] = [];
    for (;;) {
      const f = await s.conn.next();
      if (f.type === FrameType.PageBatch) {
        if (pages.length + f.pages.length > pageCount) {
          throw new ProtocolError(ErrorCode.Unexpected, `${what}: more pages than the ${pageCount} announced; nothing applied`);
        }
        for (const p of f.pages) pages.push([p.hash, unpackPage(p)]);
      } else if (f.type === FrameType.IncrementCommit) {
        if (f.id !== id) throw new ProtocolError(ErrorCode.Unexpected, `IncrementCommit for ${f.id} inside ${what}; nothing applied`);
        if (f.pageCount !== pageCount || pages.length !== pageCount) {
          throw new ProtocolError(
            ErrorCode.Unexpected,
            `${what}: ${pages.length} pages received, ${pageCount} announced, ${f.pageCount} committed; nothing applied`,
          );
        }
        return pages;
      } else if (f.type === FrameType.Error) {
        throw new ProtocolError(f.code, `the phone gave up ${what}: ${f.message}`);
      } else throw unexpected(f.type, `inside ${what}`);
    }
  }

  /** Count the bytes read from `phone` since its last sync of either level, and stamp the level's time. */
  private count(s: Served, phone: string, level: 'syncedAt' | 'filesSyncedAt'): number {
    const tally = this.tallies.get(phone) ?? { bytes: 0, syncedAt: null, filesSyncedAt: null };
    const bytes = s.conn.socket.bytesRead - (this.readMark.get(s) ?? 0);
    this.readMark.set(s, s.conn.socket.bytesRead);
    tally.bytes += bytes;
    tally[level] = new Date().toISOString();
    this.tallies.set(phone, tally);
    return bytes;
  }

  /** Bytes read from each connection up to its last sync (the next sync's bytes are counted from there). */
  private readonly readMark = new WeakMap<Served, number>();
}

/** Largest piece of guest output in one Output frame. */
const OUTPUT_CHUNK = 1 << 20;

/**
 * What the phone, standing at checkpoint `from`, lacks of checkpoint `to`: the pages whose
 * content at their address differs (the phone writes them where they go), and the file blocks
 * `from` did not reference.
 */
function pagesBack(store: CheckpointStore, from: string, to: string): PutPage[] {
  const before = store.readTable(from);
  const after = store.readTable(to);
  const had = new Map<number, string>();
  before.pages.forEach((p, i) => had.set(p, hashHex(before.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES))));
  const out = new Map<string, Uint8Array>();
  after.pages.forEach((p, i) => {
    const h = after.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
    const hex = hashHex(h);
    if (had.get(p) !== hex && !out.has(hex)) out.set(hex, h.slice());
  });
  const blocksBefore = new Set<string>();
  const eb = store.extraHashes(from);
  for (let o = 0; o < eb.length; o += HASH_BYTES) blocksBefore.add(hashHex(eb.subarray(o, o + HASH_BYTES)));
  const ea = store.extraHashes(to);
  for (let o = 0; o < ea.length; o += HASH_BYTES) {
    const h = ea.subarray(o, o + HASH_BYTES);
    const hex = hashHex(h);
    if (!blocksBefore.has(hex) && !out.has(hex)) out.set(hex, h.slice());
  }
  return [...out.values()].map((h) => [h, store.readPage(h)]);
}

/** A well-formed frame this point of the conversation does not expect. */
function unexpected(type: FrameType, where: string): ProtocolError {
  return new ProtocolError(ErrorCode.Unexpected, `a ${FrameType[type] ?? type} frame was not expected ${where}; connection closed, nothing applied`);
}
