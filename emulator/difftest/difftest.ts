/**
 * The differential tester: runs a program under clonecloud and under qemu-arm and finds the first
 * instruction at which they differ, in three steps (the DiffTest practice of comparing against a
 * reference model, made fast for long runs):
 *
 *  1. coarse: both sides meet at every syscall (registers and output compared); the first
 *     meeting that differs bounds the divergence to the window since the previous syscall;
 *  2. narrow: while the window is long, clonecloud alone (replaying the recorded syscalls) picks a
 *     rarely executed block near the window's middle, and both sides are stopped there (the
 *     reference by a breakpoint hit the right number of times) and compared, registers, VFP/NEON
 *     registers and the pages written in the window; the window halves each time;
 *  3. fine: both sides are stepped one instruction at a time through the short window, comparing
 *     registers before each instruction and the bytes it stores.
 */
import { Machine } from '../machine/machine';
import { releaseClosedMachines } from '../machine/release-memory';
import { PAGE_SIZE } from '../memory/address-space';
import { AddressWatch, endRarePointFinder, RarePoint, startRarePointFinder } from '../unicorn/probes';
import { InstructionDivergence, stepCompare } from './instruction-step';
import { DiffTarget, KernelDifference, LockstepPass, Meeting, replay } from './lockstep';
import { diffFpRegisters, diffRegisters, RegisterDifference } from './registers';

/** Tuning of the search. */
export interface DifftestOptions {
  /** Windows at most this long (instructions) are stepped one instruction at a time. */
  stepWindow?: number;
  /**
   * A probe whose breakpoint would need more hits than this is not used (default: half the
   * window's length, beyond which stepping through the window costs less).
   */
  maxProbeHits?: number;
  /** Pages compared at a probe at most (the pages clonecloud wrote in the window). */
  maxProbePages?: number;
  /** Compare only this many instructions (clonecloud's count); the rest of the run is not looked at. */
  maxInstructions?: bigint;
  /** Told what is happening, a line at a time. */
  progress?: (line: string) => void;
}

/** What a differential test found. */
export interface DifftestResult {
  same: boolean;
  /** clonecloud's instruction count when the comparison ended. */
  instructions: bigint;
  syscalls: number;
  exitStatus?: number;
  /** Set when the comparison stopped at maxInstructions with no difference so far. */
  limited?: boolean;
  /** The first difference: the instruction when the fine phase found it, else the window. */
  divergence?: {
    reason: string;
    window: [bigint, bigint];
    instruction?: InstructionDivergence;
    atSyscall?: { registers: RegisterDifference[]; dutRegs?: Uint32Array; refRegs?: Uint32Array; pc: number; thumb: boolean };
    lastSyscalls: string[];
  };
  kernelDifferences: KernelDifference[];
  passes: number;
  probes: number;
  seconds: number;
}

/**
 * How to bring a fresh pass to a known point: after `syscalls` syscalls, then from probe point to
 * probe point, each reached after `hits` executions of its address counted from the previous one
 * (so that no breakpoint needs more hits than the probe that found it did).
 */
interface Anchor {
  syscalls: number;
  instructions: bigint;
  steps: { address: number; hits: number; instructions: bigint }[];
}

/** Run the differential test of `target`. */
export async function difftest(target: DiffTarget, opts: DifftestOptions = {}): Promise<DifftestResult> {
  const started = Date.now();
  const say = opts.progress ?? (() => undefined);
  const stepWindow = BigInt(opts.stepWindow ?? 2_000);
  let passes = 1;
  let probes = 0;

  // 1. Coarse: meet at every syscall.
  const first = await LockstepPass.open(target);
  let meeting: Meeting;
  let lastSync: Anchor = { syscalls: 0, instructions: first.instructions, steps: [] };
  for (;;) {
    meeting = await first.advance(opts.maxInstructions);
    if (meeting.kind !== 'syscall') break;
    lastSync = { syscalls: meeting.index + 1, instructions: meeting.instructions, steps: [] };
    if (meeting.index % 1000 === 999) say(`${meeting.index + 1} syscalls met, ${meeting.instructions.toLocaleString('en-US')} instructions`);
  }
  const kernelDifferences = first.kernelDifferences;
  const served = first.served;
  const initial = first.initial!;
  const base = {
    syscalls: first.syscalls,
    kernelDifferences,
    instructions: first.instructions,
  };
  if (meeting.kind === 'exited' || meeting.kind === 'budget') {
    first.close();
    const end = meeting.kind === 'exited' ? { exitStatus: meeting.status } : { limited: true };
    return { ...base, same: true, ...end, passes, probes, seconds: (Date.now() - started) / 1000 };
  }
  const lastSyscalls = first.dut.kernel.trace.recent();
  first.close();
  const reason = meeting.reason;
  const atSyscall = meeting.registers
    ? { registers: meeting.registers, dutRegs: meeting.dutRegs, refRegs: meeting.refRegs, pc: meeting.pc, thumb: meeting.thumb }
    : undefined;
  say(`first difference between ${lastSync.instructions.toLocaleString('en-US')} and ${meeting.instructions.toLocaleString('en-US')} instructions: ${reason}`);

  // 2. Narrow the window [lo, hi): equal at lo, different by hi.
  let lo: Anchor = lastSync;
  let hi = meeting.instructions;
  let open: LockstepPass | undefined;
  const openAt = async (a: Anchor): Promise<LockstepPass> => {
    passes++;
    const p = await LockstepPass.open(target);
    for (let i = 0; i < a.syscalls; i++) {
      const m = await p.advance();
      if (m.kind !== 'syscall') throw new Error(`the run did not repeat: ${describeMeeting(m)} before syscall ${a.syscalls}`);
    }
    for (const step of a.steps) await stopAtProbe(p, step.address, step.hits, step.instructions);
    return p;
  };
  try {
    while (hi - lo.instructions > stepWindow) {
      const span = hi - lo.instructions;
      const point = scout(target, initial, served, lo, lo.instructions + (span * 3n) / 8n, lo.instructions + (span * 5n) / 8n);
      const maxHits = opts.maxProbeHits ?? Number(span / 2n);
      if (!point || point.entries > maxHits) {
        say(`no rarely executed block in the middle of the window (${span.toLocaleString('en-US')} instructions); stepping through it`);
        break;
      }
      probes++;
      open ??= await openAt(lo);
      const hits = countHitsTo(open, point);
      const equal = await probeEqual(open, point, hits, opts.maxProbePages ?? 4096);
      const next: Anchor = {
        ...lo,
        instructions: point.instructions,
        steps: [...lo.steps, { address: point.address, hits, instructions: point.instructions }],
      };
      say(
        `probe at ${point.instructions.toLocaleString('en-US')} instructions (0x${point.address.toString(16)}, after ${hits} executions): ${equal ? 'same' : 'different'}`,
      );
      if (equal) {
        lo = next;
      } else {
        hi = point.instructions;
        open.close();
        open = undefined;
      }
    }
    // 3. Fine: step through [lo, hi].
    open ??= await openAt(lo);
    say(`stepping ${(hi - lo.instructions).toLocaleString('en-US')} instructions from ${lo.instructions.toLocaleString('en-US')}`);
    const limit = Number(hi - lo.instructions) + 64;
    const found = await stepCompare(open, limit, (n) => n % 10000 === 0 && say(`${n.toLocaleString('en-US')} instructions stepped`));
    const recent = open.dut.kernel.trace.recent();
    open.close();
    open = undefined;
    return {
      ...base,
      same: false,
      divergence: { reason, window: [lo.instructions, hi], instruction: found, atSyscall, lastSyscalls: found ? recent : lastSyscalls },
      passes,
      probes,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    open?.close();
  }
}

/**
 * clonecloud alone, replayed to the anchor, picks the least executed block entered between `from`
 * and `to` instructions.
 */
function scout(
  target: DiffTarget,
  initial: Parameters<typeof replay>[1],
  served: Parameters<typeof replay>[2],
  anchor: Anchor,
  from: bigint,
  to: bigint,
): RarePoint | undefined {
  const m = replay(target, initial, served, anchor.syscalls);
  try {
    // Count entries from the anchor on: the hits a breakpoint needs start there.
    if (m.instructions < anchor.instructions) m.run(anchor.instructions);
    startRarePointFinder(m.engine, from);
    m.run(to);
    return endRarePointFinder(m.engine);
  } finally {
    m.close();
    releaseClosedMachines();
  }
}

/** Run `m` to the point with the address watched; the executions before it. */
function runCounting(m: Machine, point: RarePoint): number {
  const watch = new AddressWatch(m.engine, point.address);
  try {
    m.run(point.instructions);
    if ((m.resumeAddress & ~1) >>> 0 !== point.address || m.instructions !== point.instructions) {
      throw new Error(
        `clonecloud did not repeat its run: expected 0x${point.address.toString(16)} at ${point.instructions}, got 0x${m.resumeAddress.toString(16)} at ${m.instructions}`,
      );
    }
    return watch.hits;
  } finally {
    watch.end();
  }
}

/** Move the live pass's clonecloud side to the point; returns the address's executions on the way. */
function countHitsTo(p: LockstepPass, point: RarePoint): number {
  p.dut.rearmDirtyTracking();
  return runCounting(p.dut, point);
}

/** Bring a fresh pass (at its anchor syscall) to a probe point on both sides. */
async function stopAtProbe(p: LockstepPass, address: number, hits: number, instructions: bigint): Promise<void> {
  const got = runCounting(p.dut, { address, entries: 0, instructions });
  if (got !== hits) throw new Error(`clonecloud did not repeat its run: ${got} executions of 0x${address.toString(16)}, expected ${hits}`);
  await refToHit(p, address, hits);
}

/**
 * Continue the reference until `address` is about to run after `hits` executions of it from where
 * it stands (the instruction it stands on counts when it is that address).
 */
async function refToHit(p: LockstepPass, address: number, hits: number): Promise<boolean> {
  // Stepping off a breakpoint runs that instruction without a stop.
  const stops = p.refPc === address ? hits : hits + 1;
  await p.ref.setBreakpoint(address);
  try {
    // No syscall lies in the window, so every stop is this breakpoint: the pc is read once, at the end.
    for (let i = 0; i < stops; i++) {
      const r = await p.ref.cont(p.refPc);
      if (r.kind !== 'trap' || r.signal !== 5) return false;
      p.refPc = address;
    }
    p.refPc = (await p.ref.registers())[15];
    return p.refPc === address;
  } finally {
    await p.ref.clearBreakpoint(address);
  }
}

/** Stop the reference at the probe point too and compare everything cheap enough to compare. */
async function probeEqual(p: LockstepPass, point: RarePoint, hits: number, maxPages: number): Promise<boolean> {
  if (!(await refToHit(p, point.address, hits))) return false;
  const dutRegs = p.dutRegisters();
  dutRegs[15] = point.address;
  if (diffRegisters(dutRegs, await p.ref.registers()).length) return false;
  if (diffFpRegisters(p.dutFpRegisters(), await p.ref.fpRegisters()).length) return false;
  const pages = p.dut.space.dirty.pages();
  for (const page of pages.slice(0, maxPages)) {
    const addr = page * PAGE_SIZE;
    const theirs = await p.ref.read(addr, PAGE_SIZE);
    if (!theirs) return false;
    const mine = p.dut.space.bytes.subarray(addr, addr + PAGE_SIZE);
    for (let i = 0; i < PAGE_SIZE; i++) if (mine[i] !== theirs[i]) return false;
  }
  return true;
}

function describeMeeting(m: Meeting): string {
  return m.kind === 'diverged' ? m.reason : m.kind;
}
