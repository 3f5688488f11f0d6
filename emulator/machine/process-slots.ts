/**
 * What the machine keeps per process and per task beside the kernel's records: the engine a
 * process's threads run on and which of them is loaded there, register access that follows a
 * task between its engine and its parked copy, and the registers a program starts with.
 */
import { CloneCloudError } from '../errors';
import { TaskCpu } from '../kernel/context';
import { Task } from '../kernel/task';
import { ThreadGroup } from '../kernel/thread-group';
import { CPSR_T } from '../unicorn/constants';
import { CpuContext, CpuContextState } from '../unicorn/cpu-context';
import { Engine } from '../unicorn/engine';

/** CPSR for user mode (ARM state; the Thumb bit comes from the entry address). */
export const CPSR_USER = 0x10;

/** What the machine keeps per process: the engine its threads run on and which one is loaded. */
export interface ProcessSlot {
  engine: Engine;
  loaded: Task | undefined;
}

/**
 * A process whose engine is not made yet: engines are made outside Unicorn's callbacks (koffi
 * refuses callbacks of an engine registered from inside another engine's callback).
 */
export const NO_ENGINE = null as unknown as Engine;

/** The slot of process `g` (set when the process was made). */
export function slotOf(g: ThreadGroup): ProcessSlot {
  return g.host as ProcessSlot;
}

/**
 * Register access for task `t`: on its process's engine while it is loaded there, else on its
 * parked registers (exec leaves the new program's registers parked until the task runs again).
 */
export function taskCpu(t: Task): TaskCpu {
  const resume = { get: () => t.pc, set: (pc: number) => void (t.pc = pc >>> 0) };
  const loaded = () => slotOf(t.group).loaded === t && slotOf(t.group).engine !== NO_ENGINE;
  const ctx = () => new CpuContext(slotOf(t.group).engine, resume);
  const parked = (): CpuContextState => {
    if (!t.parked) throw new CloneCloudError(`internal: task ${t.tid} is neither loaded nor parked`);
    return t.parked;
  };
  return {
    r: (n) => (loaded() ? slotOf(t.group).engine.r(n) : n === 15 ? t.pc : parked().r[n]),
    setR: (n, v) => {
      if (loaded()) slotOf(t.group).engine.setR(n, v);
      else if (n === 15) t.pc = v >>> 0;
      else parked().r[n] = v >>> 0;
    },
    setTls: (v) => (loaded() ? ctx().setTls(v) : void (parked().tls = v >>> 0)),
    save: () => (loaded() ? ctx().save() : { ...parked(), r: [...parked().r], d: [...parked().d], pc: t.pc }),
    restore: (st) => {
      if (loaded()) ctx().restore(st);
      else {
        t.parked = { ...st, r: [...st.r], d: [...st.d] };
        t.pc = st.pc;
      }
    },
  };
}

/** The registers a program starts with at `entry` with its stack at `sp`. */
export function startRegisters(entry: number, sp: number): CpuContextState {
  const r = new Array<number>(15).fill(0);
  r[13] = sp;
  return {
    r,
    cpsr: CPSR_USER | (entry & 1 ? CPSR_T : 0),
    fpscr: 0,
    fpexc: 0x40000000,
    tls: 0,
    tlsRw: 0,
    d: new Array<string>(32).fill('0'.repeat(16)),
    pc: entry,
  };
}
