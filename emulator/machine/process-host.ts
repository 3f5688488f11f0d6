/**
 * How the machine makes and ends processes for the kernel (its ProcessHost): a child's memory
 * (a copy-on-write fork, or the parent's own with CLONE_VM) and engine slot, register access,
 * execve's loading of a new image once the engine has stopped, and the release of a reaped
 * process's engine and memory.
 */
import { ELIBBAD, ENOEXEC, ErrnoError } from '../abi/errno';
import { ElfImage, parseElf } from '../elf/elf-parser';
import { ExecFile, loadExec, PIE_SLIDES } from '../elf/exec-layout';
import { buildInitialStack } from '../elf/initial-stack';
import { Kernel } from '../kernel/kernel';
import { mapKuserHelpers } from '../kernel/kuser-helpers';
import { ProcessHost, ProgramFile, ProgramImage } from '../kernel/process-table';
import { Task } from '../kernel/task';
import { ThreadGroup } from '../kernel/thread-group';
import { AddressSpace } from '../memory/address-space';
import { CPSR_T, Reg } from '../unicorn/constants';
import { CpuContextState } from '../unicorn/cpu-context';
import { Engine } from '../unicorn/engine';
import { NO_ENGINE, ProcessSlot, slotOf, startRegisters, taskCpu } from './process-slots';

export { MMAP_BASE } from '../elf/exec-layout';

/** What a program image is loaded with: its arguments, environment, name and AT_RANDOM bytes. */
export interface ImageArgs {
  argv: readonly (string | Uint8Array)[];
  envp: readonly (string | Uint8Array)[];
  execfn: string;
  random: Uint8Array;
}

/** A program to run: the file, and its dynamic loader when it names one. */
export interface ExecProgram {
  program: ExecFile;
  interpreter?: ExecFile;
}

/**
 * Load `exec` into `g`'s memory (already empty), build its initial stack, set its heap and mmap
 * bounds and map the kernel helpers; returns where the program starts, its stack pointer and the
 * program's load bias.
 * `slide` moves a PIE's base (elf/exec-layout.ts).
 */
export function loadImage(g: ThreadGroup, exec: ExecProgram, args: ImageArgs, slide: number): { entry: number; sp: number; bias: number } {
  const loaded = loadExec(g.space, exec.program, exec.interpreter, slide);
  const stack = buildInitialStack(g.space, {
    ...args,
    image: loaded.program,
    interpreterBase: loaded.interpreter?.loadBias,
    uid: g.uid,
    euid: g.uid,
    gid: g.gid,
    egid: g.gid,
  });
  Object.assign(g, { brkStart: loaded.brkStart, brk: loaded.brkStart, mmapBase: loaded.mmapBase, mmapTop: stack.stackStart });
  mapKuserHelpers(g.space);
  return { entry: loaded.entry, sp: stack.sp, bias: loaded.program.loadBias };
}

/**
 * The program at `file` with its dynamic loader, read through `read` (the guest's file system),
 * for execve: a file that is no program is ENOEXEC, a missing loader ENOENT (read's own error),
 * a loader that is no program ELIBBAD, as Linux says.
 */
export function execProgram(image: ProgramImage, read: (path: string) => ProgramFile): ExecProgram {
  const elf = parseOr(image.bytes, image.path, ENOEXEC);
  const program = { elf, bytes: image.bytes, path: image.path, mapped: image.open?.() };
  if (elf.interpreter === undefined) return { program };
  const f = read(elf.interpreter);
  const interp = parseOr(f.bytes, elf.interpreter, ELIBBAD);
  if (interp.interpreter !== undefined) throw new ErrnoError(ELIBBAD);
  return { program, interpreter: { elf: interp, bytes: f.bytes, path: f.canonical, mapped: f.open?.() } };
}

function parseOr(bytes: Uint8Array, path: string, errno: number): ElfImage {
  try {
    return parseElf(bytes, path);
  } catch {
    throw new ErrnoError(errno);
  }
}

/** A PIE slide (0 to PIE_SLIDES-1) from a random source. */
export function pieSlide(fill: (out: Uint8Array) => void): number {
  const b = new Uint8Array(4);
  fill(b);
  return new DataView(b.buffer).getUint32(0, true) % PIE_SLIDES;
}

/** What the host needs of its machine. */
export interface HostedMachine {
  /** The first process's memory (kept for the machine's whole life). */
  readonly space: AddressSpace;
  kernel(): Kernel;
  /** The engine inside a run, if any. */
  running(): Engine | undefined;
  /** `engine` leaves the machine (its process was reaped): its instructions stay counted. */
  retireEngine(engine: Engine): void;
  /** A program file from the guest's file system, as `t` names it (execve's errors). */
  readProgram(t: Task, path: string): ProgramFile;
}

/** The machine's ProcessHost. */
export class MachineProcesses implements ProcessHost {
  /** Engines and memory of reaped processes, freed once the engine that reaped them has stopped. */
  private readonly releases: { engine: Engine; space: AddressSpace }[] = [];
  /** Programs execve accepted, loaded once the engine has stopped (see loadProgram). */
  private readonly execs: (() => void)[] = [];

  constructor(private readonly m: HostedMachine) {}

  attachProcess(child: ThreadGroup, parent: ThreadGroup, shareVm: boolean): void {
    if (shareVm) {
      child.space = parent.space;
      child.host = parent.host;
      return;
    }
    child.space = parent.space.fork();
    child.host = { engine: NO_ENGINE, loaded: undefined } satisfies ProcessSlot;
  }

  cpuFor(t: Task): ReturnType<typeof taskCpu> {
    return taskCpu(t);
  }

  liveContext(t: Task): CpuContextState {
    const e = slotOf(t.group).engine;
    const regs = t.cpu.save();
    const thumb = (e.readReg(Reg.CPSR) & CPSR_T) !== 0;
    regs.pc = (e.readReg(Reg.PC) | (thumb ? 1 : 0)) >>> 0;
    return regs;
  }

  /**
   * execve's loading. The program is checked now (execve's errors), and replaces the process's
   * memory once the engine has stopped: code must not be unmapped under the block that is
   * executing the SVC (QEMU would leave the hook to retranslate it). The memory is fresh, with a
   * fresh engine, when the process shared it with its parent (after vfork).
   */
  loadProgram(t: Task, image: ProgramImage, argv: Uint8Array[], envp: Uint8Array[]): void {
    const exec = execProgram(image, (p) => this.m.readProgram(t, p));
    const path = image.path;
    this.execs.push(() => {
      const g = t.group;
      if (t.run === 'exited') return;
      const old = slotOf(g);
      const oldSpace = g.space;
      if (old.loaded === t) old.loaded = undefined;
      if (this.m.kernel().tasks.some((o) => o.group !== g && o.space === oldSpace)) {
        g.space = new AddressSpace();
        g.host = { engine: NO_ENGINE, loaded: undefined } satisfies ProcessSlot;
      } else {
        oldSpace.restore([]);
      }
      const random = new Uint8Array(16);
      const rng = this.m.kernel().rng;
      rng.fill(random);
      const slide = exec.program.elf.kind === 'pie' ? pieSlide((out) => rng.fill(out)) : 0;
      const start = loadImage(g, exec, { argv, envp, execfn: path, random }, slide);
      t.parked = startRegisters(start.entry, start.sp);
      t.pc = t.parked.pc;
    });
    const running = this.m.running();
    if (running) running.stop();
    else this.afterRun();
  }

  releaseProcess(g: ThreadGroup, space: AddressSpace): void {
    if (space === this.m.space) return;
    this.m.kernel().procs.futexes.dropSpace(space);
    const slot = slotOf(g);
    const engine = slot.engine !== NO_ENGINE && slot.engine.space === space ? slot.engine : undefined;
    if (engine) this.m.retireEngine(engine);
    // An engine cannot be closed (nor its memory freed) from inside its own run.
    if (engine && this.m.running() === engine) this.releases.push({ engine, space });
    else {
      engine?.close();
      space.release();
    }
  }

  reschedule(): void {
    this.m.running()?.stop();
  }

  /** The engine has stopped: free what reaped processes left, load the programs execve accepted. */
  afterRun(): void {
    for (const { engine, space } of this.releases.splice(0)) {
      engine.close();
      space.release();
    }
    for (const load of this.execs.splice(0)) load();
  }
}
