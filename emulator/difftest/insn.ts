/**
 * The shape of one generated instruction and of the templates that make them. An instruction is
 * kept as parts (not one string) so a condition can be placed where unified syntax wants it:
 * after the mnemonic and its flag-setting 's', before any '.dt' data-type suffix.
 */
import { Rand } from './rand';

/** Instruction set a program is assembled for. */
export type IsaMode = 'arm' | 'thumb';

/** One instruction, and any unconditional set-up lines that must precede it. */
export interface Insn {
  /** Mnemonic without condition or data type (e.g. 'adds', 'smlabt', 'vadd'). */
  op: string;
  /** Data-type suffix without the dot ('f32', 'i16', 's32.f64'), if any. */
  dt?: string;
  args: string;
  /** Whether a condition may be attached (ARM condition field, or a Thumb IT block). */
  conditional: boolean;
  /** Lines that set the reserved work register before the instruction (never conditional). */
  pre?: string[];
  /** The FPSCR this instruction sets, when it sets one (the generator tracks the rounding mode). */
  setsFpscr?: number;
}

/** What a template may look at while drawing operands. */
export interface GenContext {
  r: Rand;
  mode: IsaMode;
  /** The FPSCR in force at this point of the sequence (set at its start and by drawn vmsr). */
  fpscr: number;
}

/** A family of instructions with random operands. */
export interface Template {
  name: string;
  gen(c: GenContext): Insn;
}

/** ARM condition codes a generated instruction may carry ('al' is implied by none). */
export const CONDITIONS = ['eq', 'ne', 'cs', 'cc', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le'] as const;

/** The inverse of each condition, for the 'e' slots of a Thumb IT block. */
export function invertCondition(cond: string): string {
  const i = CONDITIONS.indexOf(cond as (typeof CONDITIONS)[number]);
  return CONDITIONS[i ^ 1];
}

/** Assembly text of `insn` with condition `cond` ('' for none). */
export function renderInsn(insn: Insn, cond = ''): string {
  return `${insn.op}${cond}${insn.dt ? '.' + insn.dt : ''} ${insn.args}`;
}

/** Shorthand for a template. */
export function template(name: string, gen: (c: GenContext) => Insn): Template {
  return { name, gen };
}
