/**
 * One task's CPU context on the engine: core registers, status, VFP/NEON, both TLS registers, the
 * exclusive monitor and where execution resumes. Saving and restoring it is what a checkpoint
 * does today and what switching between guest threads on one core will do.
 */
import { Persist } from '../persist';
import { Reg } from './constants';
import { Engine } from './engine';

/**
 * A CPU context as plain data. Part of the snapshot format: changing it needs a bump of the
 * snapshot version (snapshot/version.ts).
 */
export interface CpuContextState {
  /** r0..r14 (the program counter is `pc`). */
  r: number[];
  cpsr: number;
  fpscr: number;
  fpexc: number;
  /** TPIDRURO (set_tls) and TPIDRURW. */
  tls: number;
  tlsRw: number;
  /** d0..d31 as 16 hex digits each. */
  d: string[];
  /** The exclusive monitor (an LDREX waiting for its STREX): address and loaded value as hex; absent when clear. */
  exclusive?: { address: string; value: string };
  /** Where execution resumes, with bit 0 set in Thumb state. */
  pc: number;
}

/** Where the machine keeps the resume address (it is not an engine register between runs). */
export interface ResumePoint {
  get(): number;
  set(pc: number): void;
}

/** TPIDRURW, the user read/write thread register (CP15 c13, c0, 0, 2). */
const TPIDRURW = [13, 0, 0, 2] as const;

/** The CPU context of the task running on `engine`. */
export class CpuContext implements Persist<CpuContextState> {
  constructor(
    private readonly engine: Engine,
    private readonly resume: ResumePoint,
  ) {}

  /** Register `n` (r0..r15). */
  r(n: number): number {
    return this.engine.r(n);
  }

  /** Set register `n`. */
  setR(n: number, value: number): void {
    this.engine.setR(n, value);
  }

  /** Set TPIDRURO, what __ARM_NR_set_tls does. */
  setTls(value: number): void {
    this.engine.writeReg(Reg.C13_C0_3, value);
  }

  /** The context as plain data. */
  save(): CpuContextState {
    const e = this.engine;
    const s: CpuContextState = {
      r: Array.from({ length: 15 }, (_, i) => e.r(i)),
      cpsr: e.readReg(Reg.CPSR),
      fpscr: e.readReg(Reg.FPSCR),
      fpexc: e.readReg(Reg.FPEXC),
      tls: e.readReg(Reg.C13_C0_3),
      tlsRw: e.readCp15(...TPIDRURW),
      d: Array.from({ length: 32 }, (_, i) => e.readD(i).toString(16).padStart(16, '0')),
      pc: this.resume.get(),
    };
    const monitor = e.exclusiveMonitor();
    if (monitor) s.exclusive = { address: monitor.address.toString(16), value: monitor.value.toString(16) };
    return s;
  }

  /** Load every register of `s` into the engine, replacing what it held. */
  restore(s: CpuContextState): void {
    const e = this.engine;
    // Mode first: banked registers (SP, LR) belong to the mode CPSR selects.
    e.writeReg(Reg.CPSR, s.cpsr);
    s.r.forEach((v, i) => e.setR(i, v));
    e.writeReg(Reg.FPEXC, s.fpexc);
    e.writeReg(Reg.FPSCR, s.fpscr);
    e.writeReg(Reg.C13_C0_3, s.tls);
    e.writeCp15(...TPIDRURW, s.tlsRw);
    s.d.forEach((hex, i) => e.writeD(i, BigInt('0x' + hex)));
    const x = s.exclusive;
    e.setExclusiveMonitor(x ? { address: BigInt('0x' + x.address), value: BigInt('0x' + x.value) } : undefined);
    this.resume.set(s.pc);
  }
}
