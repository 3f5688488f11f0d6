/**
 * Offloading calls to the clone (CloneCloud's migration and re-integration). The run stops at the
 * entry of a function chosen for offloading; the phone syncs its clone and waits for the
 * acknowledgement, asks the clone to run the call from its mirror until it returns to the caller,
 * takes back the increment where the clone stopped (only the pages whose content changed, and the
 * file blocks it lacked), checks it whole, brings its live machine to it, replays the guest's
 * output in order, and goes on. The phone's CPU sits idle for the whole exchange: its modelled
 * time grows by the link's time both ways plus the clone's compute time, its CPU energy by idle
 * power over that, and the radio's energy is priced on the link. Anything that goes wrong before
 * the machine is touched (no link, the clone gone, a refusal, an increment that does not check)
 * leaves the phone where it stopped, and the call runs locally: the output is the same.
 */
import { Machine } from '../machine/machine';
import { LinkProfile } from '../model/links';
import { CheckpointManifest, checkManifest } from '../snapshot/manifest';
import { applyCheckpointLive } from '../snapshot/live-apply';
import { profileMismatch } from '../snapshot/restore';
import { tableDigest } from '../snapshot/memory-digest';
import { HASH_BYTES, hashBytes, hashHex } from '../snapshot/page-hash';
import { applyDelta, decodeDelta, decodePageTable, isDelta, PageTable } from '../snapshot/page-table';
import { PutPage } from '../snapshot/sink';
import { SnapshotSource } from '../snapshot/source';
import { MigrationBackResult, Replicator } from './replicator';

/** A function calls to which are offloaded. */
export interface OffloadTarget {
  name: string;
  /** Entry address without the Thumb bit. */
  address: number;
}

/** One stretch of an augmented run's timeline, in modelled seconds. */
export interface TimelineSegment {
  lane: 'phone' | 'link' | 'clone';
  what: string;
  from: number;
  to: number;
}

/** What happened to one call at a migration point. */
export interface OffloadedCall {
  target: string;
  /** 'offloaded': ran on the clone; 'local': ran on the phone, and why. */
  outcome: 'offloaded' | 'local';
  why?: string;
  atSeconds: number;
  /** For an offloaded call: why the clone stopped, its instructions and modelled seconds, the phone's wait, and bytes each way (the sync included). */
  stop?: string;
  cloneInstructions?: number;
  cloneSeconds?: number;
  waitSeconds?: number;
  bytesUp?: number;
  bytesDown?: number;
  radioJoules?: number;
}

/** What offloading came to over a run. */
export interface OffloadTotals {
  calls: number;
  offloaded: number;
  local: number;
  cloneInstructions: number;
  cloneSeconds: number;
  waitSeconds: number;
  bytesUp: number;
  bytesDown: number;
  timeline: TimelineSegment[];
  log: OffloadedCall[];
  /**
   * The same run on the phone alone, estimated: the offloaded instructions priced on the phone's
   * CPU instead of the waits, no radio. Exact for a program whose work does not depend on time.
   */
  localEstimate: { modelledSeconds: number; energyJoules: number };
}

/** How to offload. */
export interface OffloaderOptions {
  replicator: Replicator;
  targets: OffloadTarget[];
  /** The link of each migration (the sync policy's). */
  link: () => { id: string; profile: LinkProfile } | null;
  /** Paths only the phone has: a syscall on one sends the run back. */
  phoneOnly: string[];
  /** Host milliseconds to wait for the clone's run (default 30 minutes). */
  timeoutMs?: number;
  /** The guest's output as the clone produced it, written where the phone's goes. */
  write: (fd: 1 | 2, data: Uint8Array) => void;
  /** One line per call decided. */
  onCall?: (call: OffloadedCall) => void;
  /** Decide this call (the partitioner's cost model with the state to ship now); absent: offload every call. */
  decide?: (target: OffloadTarget, link: LinkProfile) => { offload: boolean; why: string };
}

/** ARM registers the migration reads at a function's entry. */
const SP = 13;
const LR = 14;

/** Decides and carries out each call to an offloaded function. */
export class Offloader {
  private readonly byAddress = new Map<number, OffloadTarget>();
  private readonly log: OffloadedCall[] = [];
  private readonly timeline: TimelineSegment[] = [];
  /** Where the phone's own compute stretch began. */
  private phoneFrom = 0;

  constructor(
    private readonly machine: Machine,
    private readonly o: OffloaderOptions,
  ) {
    for (const t of o.targets) this.byAddress.set(t.address, t);
  }

  /** Addresses the run must stop at. */
  breakpoints(): number[] {
    return [...this.byAddress.keys()];
  }

  /** The run stopped at `address`, the entry of an offloaded function: offload this call, or let it run locally. */
  async atEntry(address: number): Promise<void> {
    const target = this.byAddress.get(address);
    if (!target) return;
    const m = this.machine;
    const t0 = m.clock.seconds();
    const local = (why: string, waitSeconds?: number) => this.record({ target: target.name, outcome: 'local', why, atSeconds: t0, waitSeconds });
    /** An attempt that failed after the phone had waited: the wait is the phone's, idle, before it runs the call itself. */
    const gaveUp = (why: string, waited: number) => {
      m.clock.sleep(BigInt(Math.round(waited * 1e9)));
      return local(why, waited);
    };
    // The clone runs a call on one task; the others would have to move with it (not done).
    if (m.kernel.tasks.length > 1) return local(`the program runs ${m.kernel.tasks.length} tasks: a call moves with a single-task program only`);
    const link = this.o.link();
    if (!link) return local('no link to the clone');
    const verdict = this.o.decide?.(target, link.profile);
    if (verdict && !verdict.offload) return local(verdict.why);
    const returnPc = m.engine.r(LR) >>> 0;
    const returnSp = m.engine.r(SP) >>> 0;
    const clockBefore = m.clock.save();
    const instructionsBefore = m.instructions;
    const sync = await this.o.replicator.syncAndWait(link.id, `migration of ${target.name}`);
    if (!sync) return local('the sync before it did not go through');
    const output: { fd: 1 | 2; data: Uint8Array }[] = [];
    let back: MigrationBackResult;
    try {
      back = await this.o.replicator.migrate(
        { checkpoint: sync.id, returnPc, returnSp, budget: '', phoneOnly: this.o.phoneOnly },
        (fd, data) => output.push({ fd, data }),
        this.o.timeoutMs ?? 30 * 60_000,
      );
    } catch (e) {
      // How long the clone ran before it failed is not known: the sync up is what the phone surely waited.
      return gaveUp(`the clone did not run it: ${(e as Error).message}`, sync.report.transferSeconds);
    }
    // Priced in the order things happen: the sync, the request, the clone's run, the return.
    const upSeconds = sync.report.transferSeconds;
    const ret = back.returned;
    const request = this.o.replicator.priceWaited(link.id, t0 + upSeconds, back.bytesUp, 0);
    const cloneFrom = t0 + upSeconds + request.seconds;
    const down = this.o.replicator.priceWaited(link.id, cloneFrom + ret.cloneSeconds, 0, back.bytesDown);
    const end = cloneFrom + ret.cloneSeconds + down.seconds;
    let checked: Checked;
    try {
      checked = check(back, sync.id, sync.table, () => layerBlocks(m));
      // A call that grew memory on the clone beyond the phone's RAM cannot come back.
      const tooBig = profileMismatch(checkManifest(back.record.manifest, back.record.id), checked.table.pages.length, m.spec.profile);
      if (tooBig) throw new Error(`${tooBig}: it does not fit the phone`);
    } catch (e) {
      return gaveUp(`the increment back did not check: ${(e as Error).message}`, end - t0);
    }
    applyCheckpointLive(m, checked.source, back.record.id, { since: sync.id });
    m.clock.continueAfterWait(clockBefore, instructionsBefore, BigInt(Math.round((end - t0) * 1e9)));
    for (const o of output) this.o.write(o.fd, o.data);
    this.o.replicator.adopt(back.record.id, checked.table, checked.depth, ret.chain, back.record.extraHashes, end);
    this.timeline.push(
      { lane: 'phone', what: 'compute', from: this.phoneFrom, to: t0 },
      { lane: 'link', what: `sync up (${target.name})`, from: t0, to: t0 + upSeconds + request.seconds },
      { lane: 'clone', what: `${target.name}`, from: cloneFrom, to: cloneFrom + ret.cloneSeconds },
      { lane: 'link', what: `return (${ret.reason})`, from: cloneFrom + ret.cloneSeconds, to: end },
    );
    this.phoneFrom = end;
    this.record({
      target: target.name,
      outcome: 'offloaded',
      atSeconds: t0,
      stop: `${ret.reason}: ${ret.detail}`,
      cloneInstructions: Number(ret.instructions),
      cloneSeconds: ret.cloneSeconds,
      waitSeconds: end - t0,
      bytesUp: sync.report.bytesUp + back.bytesUp,
      bytesDown: sync.report.bytesDown + back.bytesDown,
      radioJoules: sync.report.radioJoules + request.joules + down.joules,
    });
  }

  /** What offloading came to, the run having ended at `endSeconds` with `cpuJoules` of CPU energy (the radio's not included). */
  totals(endSeconds: number, cpuJoules: number): OffloadTotals {
    const done = this.log.filter((c) => c.outcome === 'offloaded');
    const sum = (f: (c: OffloadedCall) => number | undefined) => done.reduce((n, c) => n + (f(c) ?? 0), 0);
    // The phone also waited for attempts that failed.
    const waited = this.log.reduce((n, c) => n + (c.waitSeconds ?? 0), 0);
    const timeline = [...this.timeline];
    if (endSeconds > this.phoneFrom) timeline.push({ lane: 'phone', what: 'compute', from: this.phoneFrom, to: endSeconds });
    const p = this.machine.spec.profile;
    const wait = waited;
    const cloneBusy = sum((c) => c.cloneInstructions) / (p.clockHz * p.ipc);
    return {
      calls: this.log.length,
      offloaded: done.length,
      local: this.log.length - done.length,
      cloneInstructions: sum((c) => c.cloneInstructions),
      cloneSeconds: sum((c) => c.cloneSeconds),
      waitSeconds: waited,
      bytesUp: sum((c) => c.bytesUp),
      bytesDown: sum((c) => c.bytesDown),
      timeline,
      log: [...this.log],
      localEstimate: { modelledSeconds: endSeconds - wait + cloneBusy, energyJoules: cpuJoules - wait * p.cpuIdleW + cloneBusy * p.cpuActiveW },
    };
  }

  private record(call: OffloadedCall): void {
    this.log.push(call);
    this.o.onCall?.(call);
  }
}

/** The blocks of `machine`'s writable layer by hash (their bytes are the layer's frozen blocks). */
function layerBlocks(machine: Machine): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const n of machine.vfs.save().nodes) if (n.kind === 'file') for (const b of n.blocks) out.set(hashHex(hashBytes(b.data)), b.data);
  return out;
}

/** An increment back that checked: the source to apply it from, and its full table and depth. */
interface Checked {
  source: SnapshotSource;
  table: PageTable;
  depth: number;
}

/**
 * Check an increment back whole before anything of the phone changes: a readable manifest, a
 * table that resolves against the migration point's, every page whose content differs from the
 * phone's there sent and matching its hash, and the memory hash the clone claims.
 */
function check(back: MigrationBackResult, since: string, sinceTable: PageTable, phoneBlocks: () => Map<string, Uint8Array>): Checked {
  const { record } = back;
  const manifest: CheckpointManifest = checkManifest(record.manifest, record.id);
  let table: PageTable;
  let depth = 0;
  if (isDelta(record.pageTable)) {
    const d = decodeDelta(record.pageTable, `increment back ${record.id}`);
    if (d.base !== since) throw new Error(`it builds on ${d.base}, not ${since}`);
    table = applyDelta(sinceTable, d);
    depth = d.depth;
  } else table = decodePageTable(record.pageTable, `increment back ${record.id}`);
  const sent = new Map<string, Uint8Array>();
  for (const [h, b] of back.pages as PutPage[]) {
    const hex = hashHex(h);
    if (hashHex(hashBytes(b)) !== hex) throw new Error(`a page sent as ${hex} does not match its hash`);
    sent.set(hex, b);
  }
  const had = new Map<number, string>();
  sinceTable.pages.forEach((p, i) => had.set(p, hashHex(sinceTable.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES))));
  table.pages.forEach((p, i) => {
    const hex = hashHex(table.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES));
    if (had.get(p) !== hex && !sent.has(hex)) throw new Error(`page ${p} (${hex}) changed on the clone but was not sent`);
  });
  const digest = tableDigest(manifest.state.regions, table);
  if (digest !== back.returned.memoryHash) throw new Error(`its pages make memory hash ${digest}, the clone says ${back.returned.memoryHash}`);
  // File blocks not sent must be ones the phone's writable layer holds now (unchanged on the clone).
  let blocks = new Map<string, Uint8Array>();
  const wanted = record.extraHashes;
  for (let o = 0, read = false; o < wanted.length; o += HASH_BYTES) {
    const hex = hashHex(wanted.subarray(o, o + HASH_BYTES));
    if (sent.has(hex)) continue;
    if (!read) {
      blocks = phoneBlocks();
      read = true;
    }
    if (!blocks.has(hex)) throw new Error(`file block ${hex} is neither sent back nor on the phone`);
  }
  return { source: new ReturnSource(since, sinceTable, record.id, manifest, table, sent, blocks), table, depth };
}

/**
 * The increment back as live-apply reads it: the migration point's table (what the phone stands
 * at), the new checkpoint, the pages sent, and file blocks the phone holds in its writable layer.
 */
class ReturnSource implements SnapshotSource {
  constructor(
    private readonly since: string,
    private readonly sinceTable: PageTable,
    private readonly id: string,
    private readonly manifestOf: CheckpointManifest,
    private readonly table: PageTable,
    private readonly sent: Map<string, Uint8Array>,
    private readonly blocks: Map<string, Uint8Array>,
  ) {}

  ids(): string[] {
    return [this.since, this.id];
  }

  manifest(id: string): object {
    if (id !== this.id) throw new Error(`no manifest of ${id} here`);
    return this.manifestOf;
  }

  readTable(id: string): PageTable {
    if (id === this.since) return this.sinceTable;
    if (id === this.id) return this.table;
    throw new Error(`no table of ${id} here`);
  }

  readPage(hash: Uint8Array): Uint8Array {
    const hex = hashHex(hash);
    const b = this.sent.get(hex) ?? this.blocks.get(hex);
    if (!b) throw new Error(`page ${hex} of ${this.id} was neither sent back nor held by the phone`);
    return b;
  }
}
