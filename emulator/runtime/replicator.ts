/**
 * The phone's Replicator: keeps a clone's mirror of the running machine current. At the points a
 * run yields, the sync policy decides; a sync captures an increment at once (the guest is stopped
 * only for that), then sends it in the background: it asks the clone which of the captured pages
 * it already holds, sends the increment with only the others, and checks that the mirror's memory
 * hash in the clone's answer is the phone's. One sync is in flight at a time. A sync that fails
 * (the clone is unreachable, the connection drops, the hashes differ) is reported in one line and
 * the next one is a full capture, so nothing the clone has not acknowledged is ever assumed; the
 * clone's answers about the pages it holds keep that from resending what it has. Every sync is
 * priced on its link (transfer time, radio energy with tails); the phone does not wait for these
 * background syncs, so they add energy, not modelled time.
 *
 * The two levels: a memory sync is a whole increment (memory, registers, kernel state and the
 * changed file blocks), so the mirror is always one moment of the phone; a file-only sync, when
 * the policy asks for files more often than memory, sends the writable layer alone. The clone
 * keeps the last one beside the mirror, and its blocks then count as held, so the next increment
 * carries fewer.
 *
 * What the clone holds is only assumed from what it acknowledged: when it reports a mirror other
 * than the last acknowledged one on reconnecting, or refuses an increment as not matching its
 * state, the pages believed held are forgotten and the next sync asks about every page again.
 */
import { ErrorCode, ProtocolError } from '../link/errors';
import { Machine } from '../machine/machine';
import { LinkMeter } from '../model/link-meter';
import { LinkProfile } from '../model/links';
import { Checkpointer } from '../snapshot/capture';
import { newRunPart } from '../snapshot/checkpoint-id';
import { captureFiles, FilesCapture } from '../snapshot/files-capture';
import { filesDigest } from '../snapshot/files-record';
import { CheckpointManifest } from '../snapshot/manifest';
import { tableDigest } from '../snapshot/memory-digest';
import { HASH_BYTES, hashHex } from '../snapshot/page-hash';
import { applyDelta, decodeDelta, decodePageTable, isDelta, PageTable } from '../snapshot/page-table';
import { ParentBaseline, PutPage, SnapshotRecord, SnapshotSink } from '../snapshot/sink';
import { LastSync, SyncLevel, SyncPolicy } from './sync-policy';
import { meanStaleness, MirrorUpdate } from './staleness';

/** What the Replicator needs of a connection to the clone (link/clone-client.ts provides it). */
export interface CloneConnection {
  /** The checkpoint the clone's mirror of this phone was at when the connection opened (null: none). */
  readonly position: { checkpoint: string | null };
  have(hashes: Uint8Array[]): Promise<boolean[]>;
  sendIncrement(record: SnapshotRecord, pages: PutPage[]): Promise<{ id: string; memoryHash: string }>;
  sendFiles(sync: { id: string; manifest: object; extraHashes: Uint8Array }, pages: PutPage[]): Promise<{ id: string; filesHash: string }>;
  /** Run a migrated call on the clone (link/clone-client.ts). */
  migrate(
    request: MigrateRequestFrame,
    onOutput: (fd: 1 | 2, data: Uint8Array) => void,
    timeoutMs: number,
  ): Promise<Omit<MigrationBackResult, 'bytesUp' | 'bytesDown'>>;
  /** Bytes the connection has written and read so far. */
  readonly bytesOut: number;
  readonly bytesIn: number;
  close(): Promise<void>;
}

/** A sync the clone acknowledged, waited for: its checkpoint id, full page table, and report. */
export interface AcknowledgedSync {
  id: string;
  table: PageTable;
  report: SyncReport;
}

/** A migration request (link/frames.ts Migrate, without its type). */
export interface MigrateRequestFrame {
  checkpoint: string;
  returnPc: number;
  returnSp: number;
  budget: string;
  phoneOnly: string[];
}

/** What a migration brought back (link/clone-client.ts MigrationBack) and the bytes it took each way. */
export interface MigrationBackResult {
  record: SnapshotRecord;
  pages: PutPage[];
  returned: { id: string; reason: string; detail: string; memoryHash: string; chain: string; instructions: string; cloneSeconds: number };
  bytesUp: number;
  bytesDown: number;
}

/** One sync, as reported. */
export interface SyncReport {
  /** 'memory': a whole increment (files included); 'files': the writable layer alone. */
  level: 'memory' | 'files';
  id: string;
  link: string;
  reason: string;
  instructions: bigint;
  /** Modelled second the sync was taken at. */
  atSeconds: number;
  /** Pages (or file blocks) the capture found changed and not known to be on the clone; those the clone lacked and were sent. */
  pagesCaptured: number;
  pagesSent: number;
  bytesUp: number;
  bytesDown: number;
  /** Modelled transfer time and radio energy. */
  transferSeconds: number;
  radioJoules: number;
  /** Host milliseconds the guest was stopped for the capture. */
  stoppedMs: number;
  /** Of those, the Checkpointer's capture alone (the rest is taking the increment from the sink). */
  captureMs: number;
  /** The mirror's memory hash (memory syncs) or the files digest (file syncs), equal on both sides. */
  memoryHash: string;
}

/** What all syncs of a run came to. */
export interface ReplicationTotals {
  /** Memory syncs acknowledged (each carries the files too), and file-only syncs acknowledged. */
  syncs: number;
  fileSyncs: number;
  failed: number;
  bytesUp: number;
  bytesDown: number;
  transferSeconds: number;
  /** Radio energy, final tails included. */
  radioJoules: number;
  /** The last acknowledged sync: checkpoint id and modelled second. */
  lastSync: { id: string; atSeconds: number } | null;
  /** The mirror's age averaged over the run's modelled time, each sync counting from when its bytes reached the clone over the modelled link. */
  meanStalenessSeconds: number;
  /** The same for the clone's copy of the files, which memory syncs and file-only syncs both refresh. */
  meanFilesStalenessSeconds: number;
}

/** How to replicate. */
export interface ReplicatorOptions {
  /** Open a connection to the clone (authenticated, this phone named). */
  connect: () => Promise<CloneConnection>;
  policy: SyncPolicy;
  /** The link profile of a link id the policy names. */
  link: (id: string) => LinkProfile;
  onSync?: (report: SyncReport) => void;
  /** A sync that failed, or the clone out of reach, in one line. */
  onWarning?: (message: string) => void;
  /**
   * Wait for each sync's acknowledgement before the guest goes on: the phone's modelled time then
   * includes every transfer (idle CPU meanwhile), and which points sync no longer depends on how
   * fast the host is, so the run's figures are reproducible.
   */
  wait?: boolean;
}

/**
 * The clone as capture sees it: the pages it is known to hold (acknowledged, or named in its
 * answers) count as held, so an increment copies only the rest; a captured increment is kept for
 * the Replicator to send instead of being stored.
 */
class CloneSide implements SnapshotSink {
  readonly held = new Set<string>();
  private baselines = new Map<string, ParentBaseline>();
  private staged: { record: SnapshotRecord; pages: PutPage[] } | undefined;

  hasPage(hash: Uint8Array): boolean {
    return this.held.has(hashHex(hash));
  }

  has(id: string): boolean {
    return this.baselines.has(id);
  }

  baseline(id: string): ParentBaseline {
    const b = this.baselines.get(id);
    if (!b) throw new Error(`no baseline for ${id}`);
    return b;
  }

  commit(record: SnapshotRecord, pages: PutPage[]): void {
    this.staged = { record, pages };
  }

  /** Know checkpoint `id` (one the clone made) as a baseline increments may be taken against. */
  adopt(id: string, baseline: ParentBaseline): void {
    this.baselines.clear();
    this.baselines.set(id, baseline);
  }

  commitAsync(record: SnapshotRecord, pages: PutPage[]): Promise<void> {
    this.commit(record, pages);
    return Promise.resolve();
  }

  /** The increment the last capture produced. */
  take(): { record: SnapshotRecord; pages: PutPage[] } {
    const s = this.staged;
    if (!s) throw new Error('nothing captured');
    this.staged = undefined;
    return s;
  }
}

/** Connection attempts, and milliseconds between them, while the clone still holds a connection of this phone. */
const BUSY_ATTEMPTS = 10;
const BUSY_RETRY_MS = 100;

/** Keeps one phone's clone mirror current while its machine runs. */
export class Replicator {
  private readonly side = new CloneSide();
  private checkpointer: Checkpointer | undefined;
  /** The full page table of the last capture (what a delta applies to). */
  private lastTable: PageTable | undefined;
  private fullNext = true;
  private requested = false;
  private inFlight: Promise<void> | undefined;
  private conn: CloneConnection | undefined;
  private unreachable = false;
  private readonly meters = new Map<string, LinkMeter>();
  private readonly last: Partial<Record<SyncLevel, LastSync>> = {};
  private readonly acked: MirrorUpdate[] = [];
  private readonly filesAcked: MirrorUpdate[] = [];
  private totals = { syncs: 0, fileSyncs: 0, failed: 0, bytesUp: 0, bytesDown: 0, transferSeconds: 0 };
  /** File-only syncs are named `<run>-f<n>`, apart from the checkpoints' `<run>-<n>`. */
  private readonly filesRun = newRunPart();
  private filesNumber = 0;
  private lastSync: ReplicationTotals['lastSync'] = null;

  constructor(
    private readonly machine: Machine,
    private readonly opts: ReplicatorOptions,
  ) {}

  /** The link the policy would sync over now (null: no connectivity). */
  currentLink(): string | null {
    const m = this.machine;
    return this.opts.policy.decide({ seconds: m.clock.seconds(), instructions: m.instructions, requested: true }, this.last).link;
  }

  /** Sync at the next point, whatever the policy's periods say (SIGUSR1, or code that needs the clone current). */
  request(): void {
    this.requested = true;
  }

  /**
   * A point where the run has stopped and may sync: decide, capture if due, send in the
   * background; with `wait`, the returned promise settles once the sync is done.
   */
  atPoint(): Promise<void> | undefined {
    this.offer();
    return this.opts.wait ? this.inFlight : undefined;
  }

  private offer(): void {
    if (this.inFlight) return;
    const m = this.machine;
    const point = { seconds: m.clock.seconds(), instructions: m.instructions, requested: this.requested };
    const decision = this.opts.policy.decide(point, this.last);
    if (decision.levels.length === 0 || decision.link === null) return;
    if (!this.conn && this.lastSync) {
      // The connection was lost after the clone had acknowledged a sync: learn where its mirror
      // stands before capturing against it (the sync itself then goes at the next point).
      this.inFlight = this.connection().then(
        () => undefined,
        () => undefined,
      );
      void this.inFlight.finally(() => (this.inFlight = undefined));
      return;
    }
    this.requested = false;
    const link = decision.link;
    const t0 = process.hrtime.bigint();
    const at = { seconds: point.seconds, instructions: point.instructions };
    if (!decision.levels.includes('memory')) {
      let files: FilesCapture;
      try {
        files = captureFiles(m, `${this.filesRun}-f${++this.filesNumber}`, (h) => this.side.hasPage(h));
      } catch (e) {
        this.fail(`no file sync at ${m.instructions.toLocaleString('en-US')} instructions: ${(e as Error).message}`);
        return;
      }
      const stoppedMs = Number(process.hrtime.bigint() - t0) / 1e6;
      this.inFlight = this.sendFiles(files, at, link, decision.reason, stoppedMs).finally(() => {
        this.inFlight = undefined;
      });
      return;
    }
    const captured = this.captureIncrement(t0);
    if (!captured) return;
    const { record, pages, manifest, stoppedMs } = captured;
    this.inFlight = this.send(record, pages, manifest, at, link, decision.reason, stoppedMs)
      .then(() => undefined)
      .finally(() => {
        this.inFlight = undefined;
      });
  }

  /** Capture an increment of the stopped machine for the clone; undefined (said in one line) when the state cannot be captured now. */
  private captureIncrement(t0: bigint): { record: SnapshotRecord; pages: PutPage[]; manifest: CheckpointManifest; stoppedMs: number } | undefined {
    const m = this.machine;
    if (this.fullNext || !this.checkpointer) {
      this.checkpointer?.close();
      this.checkpointer = new Checkpointer(this.side, m);
      this.fullNext = false;
    }
    let manifest: CheckpointManifest;
    try {
      manifest = this.checkpointer.captureAsync().manifest;
    } catch (e) {
      // The state cannot be captured now (an open file was deleted, say): no sync this time,
      // the guest runs on, and the next sync is a full one.
      this.fail(`no sync at ${m.instructions.toLocaleString('en-US')} instructions: ${(e as Error).message}`);
      return undefined;
    }
    const { record, pages } = this.side.take();
    return { record, pages, manifest, stoppedMs: Number(process.hrtime.bigint() - t0) / 1e6 };
  }

  /**
   * Sync now over `link` and wait for the clone's acknowledgement, so that its mirror is this
   * machine as it stands (a migration runs from there). Undefined, said in one line, when that
   * cannot be done; the caller then goes on locally.
   */
  async syncAndWait(link: string, reason: string): Promise<AcknowledgedSync | undefined> {
    await this.inFlight;
    if (!(await this.connection())) return undefined;
    const m = this.machine;
    const captured = this.captureIncrement(process.hrtime.bigint());
    if (!captured) return undefined;
    const at = { seconds: m.clock.seconds(), instructions: m.instructions };
    const { record, pages, manifest, stoppedMs } = captured;
    const report = await this.send(record, pages, manifest, at, link, reason, stoppedMs);
    if (!report) return undefined;
    return { id: record.id, table: this.lastTable!, report };
  }

  /**
   * Ask the clone to run the migrated call from its mirror (which must be the last acknowledged
   * sync) and bring back where it stopped; the connection is dropped on any failure, which
   * rejects. The bytes each way are priced on `link` by the caller (see price()).
   */
  async migrate(request: MigrateRequestFrame, onOutput: (fd: 1 | 2, data: Uint8Array) => void, timeoutMs: number): Promise<MigrationBackResult> {
    const conn = await this.connection();
    if (!conn) throw new Error('the clone cannot be reached');
    const out0 = conn.bytesOut;
    const in0 = conn.bytesIn;
    try {
      const back = await conn.migrate(request, onOutput, timeoutMs);
      return { ...back, bytesUp: conn.bytesOut - out0, bytesDown: conn.bytesIn - in0 };
    } catch (e) {
      await this.dropConnection();
      this.fullNext = true;
      throw e;
    }
  }

  /**
   * The machine was brought to checkpoint `id`, which the clone committed as its mirror (a
   * migrated call's return): the next increment is taken against it, and all its pages count as
   * held. `arrivedAt` is the modelled second its last byte reached the phone.
   */
  adopt(id: string, table: PageTable, depth: number, chain: string, extraHashes: Uint8Array, arrivedAt: number): void {
    this.side.adopt(id, { table, depth, chain });
    for (let i = 0; i < table.pages.length; i++) this.side.held.add(hashHex(table.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES)));
    for (let o = 0; o < extraHashes.length; o += HASH_BYTES) this.side.held.add(hashHex(extraHashes.subarray(o, o + HASH_BYTES)));
    this.checkpointer?.close();
    this.checkpointer = new Checkpointer(this.side, this.machine, id);
    this.fullNext = false;
    this.lastTable = table;
    const at = { seconds: arrivedAt, instructions: this.machine.instructions };
    this.last.memory = at;
    this.last.files = at;
    this.acked.push({ capturedAt: arrivedAt, arrivedAt });
    this.filesAcked.push({ capturedAt: arrivedAt, arrivedAt });
    this.lastSync = { id, atSeconds: arrivedAt };
  }

  /** Price a transfer the phone waited for on `link`'s meter (a migration's request and return), counted in the totals. */
  priceWaited(link: string, atSeconds: number, up: number, down: number): { seconds: number; joules: number } {
    return this.price(link, atSeconds, up, down, 1);
  }

  /** Close the connection at once (the run failed: no totals are wanted). */
  async abort(): Promise<void> {
    this.checkpointer?.close();
    await this.dropConnection();
  }

  /** Wait for the sync in flight, add the radios' final tails at `atSeconds`, and close the connection. */
  async finish(atSeconds: number): Promise<ReplicationTotals> {
    await this.inFlight;
    let radioJoules = 0;
    for (const meter of this.meters.values()) {
      // The last tail is charged whole, even past the run's end: the radio stays up that long.
      meter.finish(atSeconds);
      radioJoules += meter.totals().joules;
    }
    this.checkpointer?.close();
    await this.dropConnection();
    return {
      ...this.totals,
      radioJoules,
      lastSync: this.lastSync,
      meanStalenessSeconds: meanStaleness(this.acked, atSeconds),
      meanFilesStalenessSeconds: meanStaleness(this.filesAcked, atSeconds),
    };
  }

  private async send(
    record: SnapshotRecord,
    pages: PutPage[],
    manifest: CheckpointManifest,
    at: { seconds: number; instructions: bigint },
    link: string,
    reason: string,
    stoppedMs: number,
  ): Promise<SyncReport | undefined> {
    let conn: CloneConnection | undefined;
    let out0 = 0;
    let in0 = 0;
    try {
      conn = await this.connection();
      if (!conn) {
        this.fullNext = true;
        return undefined;
      }
      out0 = conn.bytesOut;
      in0 = conn.bytesIn;
      const missing = await this.lacking(conn, pages);
      const ack = await conn.sendIncrement(record, missing);
      // The full table (the phone's side of the hash check, and the base of the next delta) is
      // rebuilt here, while the guest runs on, not while it is stopped for the capture: it costs
      // time in proportion to resident memory, not to what changed.
      const phoneHash = tableDigest(manifest.state.regions, this.fullTable(record));
      for (const [h] of missing) this.side.held.add(hashHex(h));
      const cost = this.price(link, at.seconds, conn.bytesOut - out0, conn.bytesIn - in0);
      this.waited(cost.seconds);
      if (ack.memoryHash !== phoneHash) {
        this.side.held.clear();
        this.fail(`sync ${record.id}: the clone's mirror has memory hash ${ack.memoryHash}, the phone ${phoneHash}; the next sync is a full one`);
        return undefined;
      }
      this.last.memory = at;
      this.last.files = at;
      // The clone holds this state once the bytes have crossed the modelled link.
      const update = { capturedAt: at.seconds, arrivedAt: at.seconds + cost.seconds };
      this.acked.push(update);
      this.filesAcked.push(update);
      this.lastSync = { id: record.id, atSeconds: at.seconds };
      this.totals.syncs++;
      const report: SyncReport = {
        level: 'memory',
        id: record.id,
        link,
        reason,
        instructions: at.instructions,
        atSeconds: at.seconds,
        pagesCaptured: pages.length,
        pagesSent: missing.length,
        bytesUp: conn.bytesOut - out0,
        bytesDown: conn.bytesIn - in0,
        transferSeconds: cost.seconds,
        radioJoules: cost.joules,
        stoppedMs,
        captureMs: manifest.stats.captureMs,
        memoryHash: phoneHash,
      };
      this.opts.onSync?.(report);
      return report;
    } catch (e) {
      await this.failed(e, conn, link, at.seconds, out0, in0, `sync ${record.id}`);
      return undefined;
    }
  }

  /** Send a file-only sync: the blocks the clone lacks, then check the files digest it acknowledges. */
  private async sendFiles(files: FilesCapture, at: { seconds: number; instructions: bigint }, link: string, reason: string, stoppedMs: number): Promise<void> {
    const id = files.manifest.id;
    let conn: CloneConnection | undefined;
    let out0 = 0;
    let in0 = 0;
    try {
      conn = await this.connection();
      if (!conn) return;
      out0 = conn.bytesOut;
      in0 = conn.bytesIn;
      const missing = await this.lacking(conn, files.pages);
      const ack = await conn.sendFiles({ id, manifest: files.manifest, extraHashes: files.extraHashes }, missing);
      const phoneHash = filesDigest(files.manifest.vfs);
      for (const [h] of missing) this.side.held.add(hashHex(h));
      const cost = this.price(link, at.seconds, conn.bytesOut - out0, conn.bytesIn - in0);
      this.waited(cost.seconds);
      if (ack.filesHash !== phoneHash) {
        this.side.held.clear();
        this.fail(`file sync ${id}: the clone holds files ${ack.filesHash}, the phone ${phoneHash}; the next sync is a full one`);
        return;
      }
      this.last.files = at;
      this.filesAcked.push({ capturedAt: at.seconds, arrivedAt: at.seconds + cost.seconds });
      this.totals.fileSyncs++;
      this.opts.onSync?.({
        level: 'files',
        id,
        link,
        reason,
        instructions: at.instructions,
        atSeconds: at.seconds,
        pagesCaptured: files.pages.length,
        pagesSent: missing.length,
        bytesUp: conn.bytesOut - out0,
        bytesDown: conn.bytesIn - in0,
        transferSeconds: cost.seconds,
        radioJoules: cost.joules,
        stoppedMs,
        captureMs: stoppedMs,
        memoryHash: phoneHash,
      });
    } catch (e) {
      await this.failed(e, conn, link, at.seconds, out0, in0, `file sync ${id}`);
    }
  }

  /** The pages the clone says it lacks (those it holds are remembered as held). */
  private async lacking(conn: CloneConnection, pages: PutPage[]): Promise<PutPage[]> {
    const answers = pages.length ? await conn.have(pages.map(([h]) => h)) : [];
    for (const [i, [h]] of pages.entries()) if (answers[i]) this.side.held.add(hashHex(h));
    return pages.filter((_, i) => !answers[i]);
  }

  /** A sync that threw: price what went out, drop the connection, and say so. */
  private async failed(e: unknown, conn: CloneConnection | undefined, link: string, atSeconds: number, out0: number, in0: number, what: string): Promise<void> {
    // The radio was on for whatever went out before the failure.
    if (conn) this.price(link, atSeconds, conn.bytesOut - out0, conn.bytesIn - in0);
    // The clone's state is not what the phone believed: nothing it was thought to hold is assumed any more.
    if (e instanceof ProtocolError && e.code === ErrorCode.Mismatch) this.side.held.clear();
    await this.dropConnection();
    this.fail(`${what} failed: ${(e as Error).message}; the phone runs on and the next sync resends what the clone lacks`);
  }

  /** With `wait`, the phone sat idle for the transfer: its modelled time moves on by it. */
  private waited(seconds: number): void {
    if (this.opts.wait) this.machine.clock.sleep(BigInt(Math.round(seconds * 1e9)));
  }

  /** The open connection, opening one if needed; undefined (with one warning per outage) when the clone is out of reach. */
  private async connection(): Promise<CloneConnection | undefined> {
    if (this.conn) return this.conn;
    try {
      this.conn = await this.connectPatiently();
      this.unreachable = false;
      if (this.lastSync && this.conn.position.checkpoint !== this.lastSync.id) {
        // The mirror is not the one last acknowledged (the clone lost it, or was reset): start over.
        this.side.held.clear();
        this.fullNext = true;
      }
      return this.conn;
    } catch (e) {
      if (!this.unreachable) this.opts.onWarning?.(`${(e as Error).message}; the phone runs on locally and retries at the next sync`);
      this.unreachable = true;
      return undefined;
    }
  }

  /**
   * Connect; while the clone says this phone is still connected (it has not yet seen the close of
   * a connection that was just cut), try again a few times before giving up.
   */
  private async connectPatiently(): Promise<CloneConnection> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.opts.connect();
      } catch (e) {
        if (!(e instanceof ProtocolError && e.code === ErrorCode.Busy) || attempt >= BUSY_ATTEMPTS) throw e;
        await new Promise((resolve) => setTimeout(resolve, BUSY_RETRY_MS));
      }
    }
  }

  private async dropConnection(): Promise<void> {
    const c = this.conn;
    this.conn = undefined;
    if (c) await c.close().catch(() => undefined);
  }

  private fail(message: string): void {
    this.totals.failed++;
    this.fullNext = true;
    this.opts.onWarning?.(message);
  }

  /** Price a transfer on `link`'s meter and count it (a sync: two exchanges, which pages are held, then the increment and its acknowledgement). */
  private price(link: string, atSeconds: number, up: number, down: number, roundTrips = 2): { seconds: number; joules: number } {
    let meter = this.meters.get(link);
    if (!meter) {
      meter = new LinkMeter(this.opts.link(link));
      this.meters.set(link, meter);
    }
    const cost = meter.transfer(atSeconds, up, down, roundTrips);
    this.totals.bytesUp += up;
    this.totals.bytesDown += down;
    this.totals.transferSeconds += cost.seconds;
    return cost;
  }

  /** The captured increment's full page table. */
  private fullTable(record: SnapshotRecord): PageTable {
    const table =
      isDelta(record.pageTable) && this.lastTable
        ? applyDelta(this.lastTable, decodeDelta(record.pageTable, `increment ${record.id}`))
        : decodePageTable(record.pageTable, `increment ${record.id}`);
    this.lastTable = table;
    return table;
  }
}
