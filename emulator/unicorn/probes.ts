/**
 * Instruction-level probes for differential testing: a per-instruction register trace with the
 * memory writes of each instruction, an execution counter for one address, and a finder of rarely
 * executed blocks. They slow the engine down (the trace a lot) and are never used by normal runs.
 */
import { UnicornError } from '../errors';
import { Engine } from './engine';

/** Words per trace record: pc, r0..r12, sp, lr, cpsr (keep in step with native/cchooks.c). */
export const TRACE_WORDS = 17;
/** Words per memory-write record: record index, address, size, value low, value high. */
export const WRITE_WORDS = 5;

/** One instruction as the trace saw it, before it ran. */
export interface TraceRecord {
  pc: number;
  /** r0..r15 (r15 = pc) and cpsr at index 16. */
  regs: Uint32Array;
  writes: { address: number; size: number; value: bigint }[];
}

/** Records every instruction's registers and memory writes into bounded buffers. */
export class InstructionTrace {
  private readonly recs: Uint32Array;
  private readonly writes: Uint32Array;
  private readonly counts = new BigUint64Array(new SharedArrayBuffer(24));
  private handle: unknown;

  /** Attach to `engine`; the engine stops by itself when the record buffer is nearly full. */
  constructor(
    private readonly engine: Engine,
    readonly capacity: number,
    writeCapacity = capacity * 2,
  ) {
    this.recs = new Uint32Array(new SharedArrayBuffer(capacity * TRACE_WORDS * 4));
    this.writes = new Uint32Array(new SharedArrayBuffer(writeCapacity * WRITE_WORDS * 4));
    const { lib, uc } = engine.probeTarget();
    this.handle = lib.cc_trace_begin(uc, this.recs, BigInt(capacity), this.writes, BigInt(writeCapacity));
    if (!this.handle) throw new UnicornError('uc_hook_add(trace)', 0, 'could not add the trace hooks');
    engine.flushCode();
  }

  /** Take the records gathered so far and empty the buffers. */
  take(): TraceRecord[] {
    const { lib } = this.engine.probeTarget();
    lib.cc_trace_counts(this.handle, this.counts);
    const n = Number(this.counts[0]);
    const nw = Number(this.counts[1]);
    if (this.counts[2] > 0n) throw new UnicornError('trace', 0, `${this.counts[2]} memory writes did not fit the trace buffer`);
    const out: TraceRecord[] = [];
    for (let i = 0; i < n; i++) {
      const r = this.recs.slice(i * TRACE_WORDS, (i + 1) * TRACE_WORDS);
      // Reorder to r0..r15, cpsr: the native record starts with the pc.
      const regs = new Uint32Array(17);
      regs.set(r.subarray(1, 16), 0);
      regs[15] = r[0];
      regs[16] = r[16];
      out.push({ pc: r[0], regs, writes: [] });
    }
    for (let i = 0; i < nw; i++) {
      const w = this.writes.subarray(i * WRITE_WORDS, (i + 1) * WRITE_WORDS);
      out[w[0]]?.writes.push({ address: w[1], size: w[2], value: (BigInt(w[4]) << 32n) | BigInt(w[3]) });
    }
    lib.cc_trace_reset(this.handle);
    return out;
  }

  /** Remove the hooks. */
  end(): void {
    if (!this.handle) return;
    const { lib, uc } = this.engine.probeTarget();
    lib.cc_trace_end(uc, this.handle);
    this.handle = null;
    this.engine.flushCode();
  }
}

/** Counts how many times the instruction at one address runs. */
export class AddressWatch {
  private handle: unknown;

  /** Start counting executions of `address` (without the Thumb bit). */
  constructor(
    private readonly engine: Engine,
    readonly address: number,
  ) {
    const { lib, uc } = engine.probeTarget();
    this.handle = lib.cc_watch_begin(uc, BigInt(address >>> 0));
    if (!this.handle) throw new UnicornError('uc_hook_add(watch)', 0, 'could not add the watch hook');
    engine.flushCode();
  }

  /** Executions so far. */
  get hits(): number {
    return Number(this.engine.probeTarget().lib.cc_watch_hits(this.handle));
  }

  /** Remove the hook. */
  end(): void {
    if (!this.handle) return;
    const { lib, uc } = this.engine.probeTarget();
    lib.cc_watch_end(uc, this.handle);
    this.handle = null;
    this.engine.flushCode();
  }
}

/** A block chosen by the rare-point finder. */
export interface RarePoint {
  address: number;
  /** Block entries at this address up to and including the chosen one. */
  entries: number;
  /** Instruction count when the chosen entry happened (the block had not run yet). */
  instructions: bigint;
}

/** Start noting block entries; candidates are blocks entered at or after instruction `from`. */
export function startRarePointFinder(engine: Engine, from: bigint): void {
  const { lib, state } = engine.probeTarget();
  if (lib.cc_finder_begin(state, from) !== 0) throw new UnicornError('finder', 0, 'out of memory');
}

/** Stop the finder and return its choice (undefined when no block was entered after `from`). */
export function endRarePointFinder(engine: Engine): RarePoint | undefined {
  const { lib, state } = engine.probeTarget();
  const out = new BigUint64Array(new SharedArrayBuffer(24));
  if (!lib.cc_finder_end(state, out)) return undefined;
  return { address: Number(out[0]), entries: Number(out[1]), instructions: out[2] };
}
