/**
 * One lockstep pass of a differential test: a fresh clonecloud machine (the emulator under test)
 * and a fresh qemu-arm (the reference) run the same program side by side, meeting at every
 * syscall. At each meeting the registers and the bytes a write-type syscall reads are compared;
 * then the reference executes the syscall and clonecloud serves it with its own kernel, placed
 * where the reference placed its mappings, and where results differ by nature (time, ids, random
 * bytes, metadata the modelled device shows differently) clonecloud takes the reference's result
 * and the difference is noted. So the two stay comparable instruction by instruction.
 */
import * as fs from 'fs';
import * as path from 'path';
import { O_RDWR } from '../abi/fcntl';
import { GuestFault } from '../errors';
import { ConsoleStream } from '../kernel/console';
import { bootProgram, BootSpec } from '../machine/boot-spec';
import { silentWiring } from '../machine/host-wiring';
import { Machine } from '../machine/machine';
import { releaseClosedMachines } from '../machine/release-memory';
import { PAGE_SIZE, PROT_READ, PROT_WRITE, pageAlignDown } from '../memory/address-space';
import { NR, syscallName } from '../abi/syscall-names';
import { CPSR_T, Reg } from '../unicorn/constants';
import { EngineOptions } from '../unicorn/engine';
import { DeviceProfile } from '../model/profiles';
import { QemuReference } from './qemu-reference';
import { diffRegisters, RegisterDifference } from './registers';
import { StopReply } from './gdb-remote';
import { syscallOutputs } from './syscall-outputs';

/** The program both sides run. */
export interface DiffTarget {
  elfPath: string;
  /** Host folder served as the guest's root (and passed to qemu-arm as -L). */
  root?: string;
  argv: string[];
  env: string[];
  /** Guest working directory (absolute). */
  cwd: string;
  stdinPath?: string;
  profile: DeviceProfile;
  seed: number;
  engine?: EngineOptions;
}

/** A syscall whose result clonecloud took from the reference. */
export interface KernelDifference {
  index: number;
  syscall: string;
  instructions: bigint;
  what: string;
}

/** The reference's process start, as clonecloud adopts it. */
export interface InitialState {
  regs: Uint32Array;
  /** Page-aligned start of the copied stack bytes, and the stack's top. */
  low: number;
  top: number;
  bytes: Uint8Array;
  /** The reference's pid, which clonecloud's process takes too (so a tgkill to itself reaches it). */
  pid: number;
}

/** How one syscall was served, so that clonecloud alone can replay it later. */
export interface ServedSyscall {
  nr: number;
  refResult: number;
  /** Bytes taken from the reference after clonecloud served it. */
  copies: [number, Uint8Array][];
}

/** Where a pass stands after advancing. */
export type Meeting =
  | { kind: 'syscall'; index: number; nr: number; instructions: bigint }
  | { kind: 'exited'; status: number; instructions: bigint }
  | { kind: 'budget'; instructions: bigint }
  | {
      kind: 'diverged';
      instructions: bigint;
      reason: string;
      registers?: RegisterDifference[];
      dutRegs?: Uint32Array;
      refRegs?: Uint32Array;
      pc: number;
      thumb: boolean;
    };

const MAP_FIXED = 0x10;
const MREMAP_MAYMOVE = 1;
const MREMAP_FIXED = 2;
/** Page-aligned results above this are negative errnos. */
const ERRNO_FLOOR = 0xfffff001;

/** Syscalls whose input buffer holds what the program outputs: compared byte for byte. */
const OUTPUT_SYSCALLS = new Set([NR.write, NR.pwrite64, NR.writev, NR.pwritev]);

/** A clonecloud machine and a qemu-arm reference meeting at syscalls. */
export class LockstepPass {
  readonly kernelDifferences: KernelDifference[] = [];
  /** Every syscall served so far, in order (for replay). */
  readonly served: ServedSyscall[] = [];
  /** The reference's process start. */
  initial: InitialState | undefined;
  /** Syscalls met so far. */
  syscalls = 0;
  private exited: number | undefined;
  /** Where the reference stands (it is stopped whenever no request is in flight). */
  refPc = 0;

  private constructor(
    readonly dut: Machine,
    readonly ref: QemuReference,
    readonly target: DiffTarget,
  ) {}

  /** Start both sides and give clonecloud the reference's initial stack and registers. */
  static async open(target: DiffTarget): Promise<LockstepPass> {
    const dut = buildMachine(target);
    let ref: QemuReference | undefined;
    try {
      ref = await QemuReference.start({
        elfPath: target.elfPath,
        argv: target.argv,
        env: target.env,
        root: target.root,
        hostCwd: target.root ? path.join(target.root, target.cwd) : process.cwd(),
        stdinPath: target.stdinPath,
        seed: target.seed,
      });
      const pass = new LockstepPass(dut, ref, target);
      await pass.adoptInitialState();
      return pass;
    } catch (e) {
      ref?.close();
      dut.close();
      throw e;
    }
  }

  /** Release both sides. */
  close(): void {
    this.ref.close();
    this.dut.close();
    releaseClosedMachines();
  }

  /** Instructions clonecloud has executed. */
  get instructions(): bigint {
    return this.dut.instructions;
  }

  /**
   * Run both sides to the next syscall (or exit, or clonecloud's instruction count `until`,
   * where only clonecloud stops) and compare them there; a met syscall is served on both sides.
   */
  async advance(until?: bigint): Promise<Meeting> {
    if (this.exited !== undefined) return { kind: 'exited', status: this.exited, instructions: this.instructions };
    this.dut.beforeSyscall = () => true;
    let outcome: string;
    let fault: GuestFault | undefined;
    const started = Date.now();
    try {
      outcome = this.dut.run(until);
    } catch (e) {
      if (!(e instanceof GuestFault)) throw e;
      fault = e;
      outcome = 'fault';
    }
    if (outcome === 'budget') return { kind: 'budget', instructions: this.instructions };
    // qemu-arm runs the same stretch faster than clonecloud: far longer means it went elsewhere.
    this.ref.continueTimeoutMs = 10_000 + 50 * (Date.now() - started);
    const thumb = (this.dut.engine.readReg(Reg.CPSR) & CPSR_T) !== 0;
    if (fault) {
      const reply = await this.ref.cont(this.refPc);
      const signal = fault.info.signal ?? 11;
      // Both sides stopped by the same signal at the same instruction: the program crashes alike.
      if (reply.kind === 'trap' && reply.signal === signal && (await this.ref.registers())[15] === fault.info.pc) {
        return this.diesOf(signal);
      }
      const what = reply.kind === 'killed' || reply.kind === 'trap' ? `the reference got signal ${reply.signal}` : `the reference ${describeStop(reply)}`;
      return this.diverged(`clonecloud's guest faulted (${fault.message}); ${what}`, fault.info.pc, thumb);
    }
    if (outcome === 'exited') {
      // Only a fault-free exit without a syscall stop gets here (a signal from the kernel).
      const reply = await this.ref.cont(this.refPc);
      const status = this.dut.kernel.exitState?.status ?? -1;
      if (reply.kind === 'exited' && reply.status === status) return this.finish(status);
      return this.diverged(`clonecloud's guest ended (status ${status}); the reference ${describeStop(reply)}`, this.dut.engine.readReg(Reg.PC), thumb);
    }
    // Stopped before serving a syscall: the SVC is behind the PC.
    const svcPc = (this.dut.engine.readReg(Reg.PC) - (thumb ? 2 : 4)) >>> 0;
    const nr = this.dut.engine.r(7);
    await this.ref.setBreakpoint(svcPc);
    const reply = await this.ref.cont(this.refPc);
    if (reply.kind === 'trap') this.refPc = svcPc;
    if (reply.kind !== 'trap' || reply.signal !== 5) {
      return this.diverged(`clonecloud reached syscall ${syscallName(nr)} at ${hex(svcPc)}; the reference ${describeStop(reply)} first`, svcPc, thumb);
    }
    const refRegs = await this.ref.registers();
    this.refPc = refRegs[15];
    const dutRegs = this.dutRegisters();
    dutRegs[15] = svcPc;
    const regDiff = diffRegisters(dutRegs, refRegs);
    if (regDiff.length) {
      return {
        kind: 'diverged',
        instructions: this.instructions,
        reason: `registers differ at syscall ${syscallName(nr)}`,
        registers: regDiff,
        dutRegs,
        refRegs,
        pc: svcPc,
        thumb,
      };
    }
    const outputDiff = await this.compareOutput(nr);
    if (outputDiff) return this.diverged(outputDiff, svcPc, thumb);
    const ended = await this.serveBoth(nr, svcPc, thumb);
    if (ended) return ended;
    if (this.exited !== undefined) return { kind: 'exited', status: this.exited, instructions: this.instructions };
    return { kind: 'syscall', index: this.syscalls - 1, nr, instructions: this.instructions };
  }

  /** clonecloud's r0..r15 and cpsr now. */
  dutRegisters(): Uint32Array {
    const out = new Uint32Array(17);
    for (let i = 0; i < 16; i++) out[i] = this.dut.engine.r(i);
    out[16] = this.dut.engine.readReg(Reg.CPSR);
    return out;
  }

  /** clonecloud's d0..d31 and FPSCR now. */
  dutFpRegisters(): BigUint64Array {
    const out = new BigUint64Array(33);
    for (let i = 0; i < 32; i++) out[i] = this.dut.engine.readD(i);
    out[32] = BigInt(this.dut.engine.readReg(Reg.FPSCR));
    return out;
  }

  private diverged(reason: string, pc: number, thumb: boolean): Meeting {
    return { kind: 'diverged', instructions: this.instructions, reason, pc, thumb };
  }

  /** Deliver `signal` to the reference and end the pass with how the program ended there. */
  private async diesOf(signal: number): Promise<Meeting> {
    const end = await this.ref.deliver(signal);
    const status = end.kind === 'killed' ? 128 + end.signal : end.kind === 'exited' ? end.status : -1;
    return this.finish(status);
  }

  private async finish(status: number): Promise<Meeting> {
    this.exited = status;
    await this.ref.finished();
    return { kind: 'exited', status, instructions: this.instructions };
  }

  /** Compare what an output syscall is about to write; a description when it differs. */
  private async compareOutput(nr: number): Promise<string | undefined> {
    if (!OUTPUT_SYSCALLS.has(nr)) return undefined;
    const a = [0, 1, 2].map((i) => this.dut.engine.r(i));
    const ranges: [number, number][] = [];
    if (nr === NR.write || nr === NR.pwrite64) ranges.push([a[1], a[2]]);
    else {
      for (let i = 0; i < Math.min(a[2], 1024); i++) {
        if (!this.dut.space.isMapped(a[1] + i * 8, 8, PROT_READ)) break;
        ranges.push([this.dut.space.readU32(a[1] + i * 8), this.dut.space.readU32(a[1] + i * 8 + 4)]);
      }
    }
    let offset = 0;
    for (const [addr, len] of ranges) {
      const n = Math.min(len, 1 << 20);
      if (!this.dut.space.isMapped(addr, n, PROT_READ)) continue;
      const mine = this.dut.space.bytes.subarray(addr, addr + n);
      const theirs = await this.ref.read(addr, n);
      if (!theirs) continue;
      const at = firstDifference(mine, theirs);
      if (at >= 0) {
        return `the data ${syscallName(nr)}(fd ${a[0]}) is about to write differs at byte ${offset + at}: clonecloud 0x${mine[at].toString(16).padStart(2, '0')}, reference 0x${theirs[at].toString(16).padStart(2, '0')}`;
      }
      offset += n;
    }
    return undefined;
  }

  /**
   * The reference executes the syscall, then clonecloud serves it following the reference. Returns
   * a meeting when the syscall ended the comparison (a signal it raised).
   */
  private async serveBoth(nr: number, svcPc: number, thumb: boolean): Promise<Meeting | undefined> {
    const index = this.syscalls++;
    const name = syscallName(nr);
    // qemu's single step does not stop right after an SVC (it runs on to a later block), so the
    // reference runs to a breakpoint on the next instruction instead.
    const next = this.dut.engine.readReg(Reg.PC);
    const reply = await this.ref.runTo(this.refPc, next);
    this.refPc = next;
    if (reply.kind === 'exited') {
      this.dut.completeSyscall();
      const status = this.dut.kernel.exitState?.status;
      if (status !== reply.status) this.note(index, name, `exit status ${status} here, ${reply.status} on the reference`);
      await this.finish(reply.status);
      return undefined;
    }
    if (reply.kind !== 'trap') throw new Error(`the reference ${describeStop(reply)} inside ${name}`);
    if (reply.signal !== 5) {
      // The syscall sent the program a signal (abort's tgkill, say): it is about to act on it.
      this.dut.completeSyscall();
      const mine = this.dut.kernel.exitState?.signal;
      if (mine !== reply.signal) {
        return this.diverged(
          `${name} brought the reference signal ${reply.signal}; on clonecloud it ${mine ? `ended the process with signal ${mine}` : 'did not end the process'}`,
          svcPc,
          thumb,
        );
      }
      return this.diesOf(reply.signal);
    }
    const refResult = (await this.ref.registers())[0];
    const args = [0, 1, 2, 3, 4, 5].map((i) => this.dut.engine.r(i));
    const writes: [number, number][] = syscallOutputs(nr, args, refResult);
    this.dut.kernel.interposer = followPlacement(refResult);
    this.dut.space.kernelWriteListener = (addr, len) => writes.push([addr, len]);
    try {
      this.dut.completeSyscall();
    } finally {
      this.dut.kernel.interposer = undefined;
      this.dut.space.kernelWriteListener = undefined;
    }
    if (this.dut.kernel.exitState) {
      return this.diverged(`${name} ended the process on clonecloud; on the reference it did not`, svcPc, thumb);
    }
    const mine = this.dut.engine.r(0);
    if (mine !== refResult) {
      this.note(index, name, `returned ${signed(mine)} here, ${signed(refResult)} on the reference`);
      this.dut.engine.setR(0, refResult);
    }
    const copies = await this.followWrites(index, name, writes);
    this.served.push({ nr, refResult, copies });
    return undefined;
  }

  /** Take the reference's bytes wherever clonecloud's kernel wrote something else. */
  private async followWrites(index: number, name: string, writes: [number, number][]): Promise<[number, Uint8Array][]> {
    let differing = 0;
    const copies: [number, Uint8Array][] = [];
    for (const [addr, len] of mergeRanges(writes)) {
      if (!this.dut.space.isMapped(addr, len)) continue;
      const theirs = await this.ref.read(addr, len);
      if (!theirs) continue;
      const mine = this.dut.space.bytes.subarray(addr, addr + len);
      if (firstDifference(mine, theirs) < 0) continue;
      differing += countDifferences(mine, theirs);
      this.dut.space.poke(addr, theirs);
      copies.push([addr, theirs]);
    }
    if (differing) this.note(index, name, `${differing} byte(s) of its output differ (the reference's were taken)`);
    return copies;
  }

  private note(index: number, syscall: string, what: string): void {
    this.kernelDifferences.push({ index, syscall, instructions: this.instructions, what });
  }

  /**
   * Give clonecloud the reference's process start: its stack (argv, environment, auxv, AT_RANDOM
   * bytes), at the same addresses, and its registers. The loaded program itself is the same ELF
   * at the same addresses on both sides.
   */
  private async adoptInitialState(): Promise<void> {
    const regs = await this.ref.registers();
    this.refPc = regs[15];
    const low = pageAlignDown(regs[13]);
    let top = low;
    while (top - low < 256 * PAGE_SIZE && (await this.ref.read(top, 4))) top += PAGE_SIZE;
    const bytes = await this.ref.read(low, top - low);
    if (!bytes) throw new Error("cannot read the reference's initial stack");
    this.initial = { regs, low, top, bytes, pid: this.ref.pid };
    applyInitialState(this.dut, this.initial);
  }
}

/** Give a freshly built machine the reference's stack (same addresses) and registers. */
export function applyInitialState(m: Machine, init: InitialState): void {
  const space = m.space;
  for (const r of space.regions().filter((x) => x.kind === 'stack')) space.unmap(r.start, r.end - r.start);
  const stackSize = 8 << 20;
  space.map(init.top - stackSize, stackSize, PROT_READ | PROT_WRITE, 'stack', '[stack]');
  space.poke(init.low, init.bytes);
  for (let i = 0; i < 15; i++) m.engine.setR(i, init.regs[i]);
  m.engine.writeReg(Reg.CPSR, init.regs[16]);
  m.resumeAddress = (init.regs[16] & CPSR_T ? init.regs[15] | 1 : init.regs[15]) >>> 0;
  if (init.pid) m.kernel.group.pid = m.kernel.task.tid = init.pid;
  m.rearmDirtyTracking();
}

/** An interposer placing mmap2/mremap results where the reference placed them. */
export function followPlacement(refResult: number): (nr: number, args: number[], serve: (a: number[]) => number) => number {
  return (n, args, serve) => {
    const a = args.slice();
    const refOk = refResult < ERRNO_FLOOR;
    if (n === NR.mmap2 && refOk) {
      a[0] = refResult;
      a[3] |= MAP_FIXED;
    } else if (n === NR.mremap && refOk && refResult !== args[0]) {
      a[3] |= MREMAP_FIXED | MREMAP_MAYMOVE;
      a[4] = refResult;
    }
    return serve(a);
  };
}

/**
 * Run clonecloud alone through the first `count` syscalls of a recorded pass, serving each as
 * the pass did (placement, the reference's results and bytes); stops before syscall `count`.
 */
export function replay(t: DiffTarget, init: InitialState, served: readonly ServedSyscall[], count: number): Machine {
  const m = buildMachine(t);
  applyInitialState(m, init);
  m.beforeSyscall = () => true;
  for (let i = 0; i < count; i++) {
    const outcome = m.run();
    if (outcome !== 'syscall-entry') throw new Error(`replay ended (${outcome}) before syscall ${i}`);
    const s = served[i];
    m.kernel.interposer = followPlacement(s.refResult);
    try {
      m.completeSyscall();
    } finally {
      m.kernel.interposer = undefined;
    }
    m.engine.setR(0, s.refResult);
    for (const [addr, bytes] of s.copies) m.space.poke(addr, bytes);
  }
  return m;
}

/**
 * File descriptors qemu-arm's gdbstub holds in the reference process (its listening socket and
 * the connection), so the program's first open() there returns 5. clonecloud's side keeps the
 * same numbers taken, so that descriptors compare equal.
 */
const REFERENCE_OWN_FDS = [3, 4];

/** Build clonecloud's side: the ELF over the root folder, as `boot --elf` does. */
export function buildMachine(t: DiffTarget): Machine {
  const root = t.root ? path.resolve(t.root) : undefined;
  let exePath = '/' + path.basename(t.elfPath);
  if (root) {
    const rel = path.relative(root, path.resolve(t.elfPath));
    if (!rel.startsWith('..') && !path.isAbsolute(rel)) exePath = '/' + rel.split(path.sep).join('/');
  }
  const elf = new Uint8Array(fs.readFileSync(t.elfPath));
  const spec: BootSpec = {
    name: path.basename(t.elfPath),
    program: bootProgram(exePath, elf, path.resolve(t.elfPath)),
    argv: t.argv,
    env: t.env,
    cwd: t.cwd,
    profile: t.profile,
    rootfs: root ? [{ type: 'host', source: root, target: '/' }] : [],
    rootfsBase: process.cwd(),
    seed: t.seed,
  };
  const m = new Machine(spec, silentWiring({ elf, stdin: t.stdinPath ? new Uint8Array(fs.readFileSync(t.stdinPath)) : undefined, engine: t.engine }));
  for (const fd of REFERENCE_OWN_FDS) {
    m.kernel.fds.installAt(fd, { file: new ConsoleStream('socket:[reference]', null, null, 0), offset: 0, flags: O_RDWR, dirCursor: 0 }, false);
  }
  return m;
}

function describeStop(r: StopReply): string {
  if (r.kind === 'exited') return `exited with status ${r.status}`;
  if (r.kind === 'killed') return `was killed by signal ${r.signal}`;
  if (r.signal === 2) return 'did not get there in time (it was interrupted)';
  return r.signal === 5 ? 'stopped at a breakpoint' : `got signal ${r.signal}`;
}

/** Index of the first differing byte, or -1. */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function countDifferences(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

/** Sort and merge overlapping or touching [address, length] ranges. */
export function mergeRanges(ranges: [number, number][]): [number, number][] {
  const sorted = ranges.filter((r) => r[1] > 0).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, n] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[0] + last[1]) last[1] = Math.max(last[1], a + n - last[0]);
    else out.push([a, n]);
  }
  return out;
}

function hex(v: number): string {
  return '0x' + (v >>> 0).toString(16);
}

function signed(v: number): string {
  return String(v | 0);
}
