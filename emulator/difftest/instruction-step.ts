/**
 * The fine phase of a differential test: from a point where both sides agree, clonecloud records
 * every instruction (registers before it, memory it writes) and the reference is single-stepped
 * through the same instructions, until the first one whose state or stores differ.
 */
import { GuestFault } from '../errors';
import { InstructionTrace, TraceRecord } from '../unicorn/probes';
import { CPSR_T } from '../unicorn/constants';
import { LockstepPass } from './lockstep';
import { diffRegisters, RegisterDifference } from './registers';

/** A store whose value or bytes differ. */
export interface WriteDifference {
  address: number;
  size: number;
  dut: bigint;
  ref: bigint | undefined;
}

/** The first instruction at which the two sides differ. */
export interface InstructionDivergence {
  /** Instructions executed before it (clonecloud's count). */
  instructions: bigint;
  pc: number;
  thumb: boolean;
  /** 'state': registers differ before it runs; 'store': it wrote something else; 'flow': the reference went elsewhere. */
  kind: 'state' | 'store' | 'flow';
  registers: RegisterDifference[];
  dutRegs: Uint32Array;
  refRegs: Uint32Array;
  writes: WriteDifference[];
  /** The instructions just before, oldest first, for context. */
  previous: { pc: number; thumb: boolean }[];
  /**
   * The instruction that made the difference: for 'store' the instruction itself, otherwise the
   * last one executed before the differing state. `traced` is false for an instruction only the
   * reference was seen to execute (clonecloud's trace skips instructions an IT block turns off,
   * so one it wrongly skipped looks the same).
   */
  culprit: { pc: number; thumb: boolean; traced: boolean };
}

/** Most Thumb instructions an IT block makes conditional. */
const IT_MAX = 4;

/**
 * Step both sides through at most `limit` instructions from where `pass` stands (both sides equal),
 * stopping before the next syscall. Returns the first difference, or undefined when none was seen;
 * `onProgress` hears the number of instructions compared now and then.
 */
export async function stepCompare(pass: LockstepPass, limit: number, onProgress?: (n: number) => void): Promise<InstructionDivergence | undefined> {
  const dut = pass.dut;
  const start = dut.instructions;
  const trace = new InstructionTrace(dut.engine, limit + 1100);
  let records: TraceRecord[];
  try {
    dut.beforeSyscall = () => true;
    try {
      dut.run(start + BigInt(limit));
    } catch (e) {
      // A guest fault ends clonecloud's side; the instructions before it are still compared.
      if (!(e instanceof GuestFault)) throw e;
    }
    records = trace.take();
  } finally {
    trace.end();
  }
  const history: { pc: number; thumb: boolean }[] = [];
  let steps = 0n;
  let lastThumb = false;
  for (let i = 0; i < records.length; i++) {
    const rec = records[i];
    let refRegs = await pass.ref.registers();
    pass.refPc = refRegs[15];
    const thumb = (rec.regs[16] & CPSR_T) !== 0;
    // Instructions an IT block skips are not seen by clonecloud's trace hook: step over them.
    let untraced: number | undefined;
    for (let k = 0; k < IT_MAX && refRegs[15] !== rec.pc; k++) {
      untraced ??= refRegs[15];
      await pass.ref.step(refRegs[15]);
      steps++;
      refRegs = await pass.ref.registers();
    }
    const prev = history[history.length - 1];
    const culprit =
      untraced !== undefined ? { pc: untraced, thumb: lastThumb, traced: false } : prev ? { ...prev, traced: true } : { pc: rec.pc, thumb, traced: true };
    const here = { instructions: start + steps, pc: rec.pc, thumb, dutRegs: rec.regs, refRegs, previous: history.slice(-8), culprit };
    if (refRegs[15] !== rec.pc) return { ...here, kind: 'flow', registers: diffRegisters(rec.regs, refRegs), writes: [] };
    const regDiff = diffRegisters(rec.regs, refRegs);
    if (regDiff.length) return { ...here, kind: 'state', registers: regDiff, writes: [] };
    lastThumb = thumb;
    // The last record may be the SVC clonecloud stopped before: the reference must not run it.
    if (i === records.length - 1) break;
    const reply = await pass.ref.step(rec.pc);
    steps++;
    if (reply.kind !== 'trap') return { ...here, kind: 'flow', registers: [], writes: [] };
    const writes: WriteDifference[] = [];
    for (const w of rec.writes) {
      const bytes = await pass.ref.read(w.address, w.size);
      const ref = bytes ? littleEndian(bytes) : undefined;
      const mask = w.size >= 8 ? (1n << 64n) - 1n : (1n << BigInt(w.size * 8)) - 1n;
      if (ref !== (w.value & mask)) writes.push({ address: w.address, size: w.size, dut: w.value & mask, ref });
    }
    if (writes.length) return { ...here, kind: 'store', registers: [], writes, culprit: { pc: rec.pc, thumb, traced: true } };
    history.push({ pc: rec.pc, thumb });
    if (onProgress && i % 1000 === 999) onProgress(i + 1);
  }
  return undefined;
}

function littleEndian(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
}
