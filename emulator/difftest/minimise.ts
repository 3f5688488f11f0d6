/**
 * Narrowing a divergent sequence down to one instruction: the sequence is re-run as prefixes of
 * growing length from the same starting state; the first prefix whose record differs (or is
 * missing, when one side faulted) ends with the culprit. Then the culprit alone is run from the state just before it (as the reference
 * computed it) to confirm the difference reproduces in isolation.
 */
import { firstDivergence } from './compare-runs';
import { SequenceInit } from './initial-state';
import { programText, Sequence, TestProgram, Unit } from './random-insns';
import { FieldDifference, RECORD_D, splitRecords } from './record';
import { runOnMachine, runOnReference, SideRun } from './run-program';
import { assembleProgram } from './toolchain';

/** One instruction (or IT block) that behaves differently, and the state it ran from. */
export interface Culprit {
  /** Its lines, with any set-up lines before it. */
  lines: string[];
  /** Index of the unit within the sequence. */
  position: number;
  /** Values of the registers the lines name, just before it ran (from the reference). */
  inputs: Record<string, string>;
  /** What differs just after it. */
  fields: FieldDifference[];
  /** How the two runs ended, when one side stopped early (a fault, a signal). */
  detail?: string;
  /** Whether the culprit alone, started from those inputs, differs again. */
  reproduced: boolean;
  /** The one-instruction program's source, to keep as a regression case. */
  source: string;
}

/** The state in a record, as a sequence's starting state (r11 is reset by the program anyway). */
function initFromRecord(rec: Uint8Array): SequenceInit {
  const v = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  return {
    core: Array.from({ length: 13 }, (_, i) => v.getUint32(i * 4, true)),
    apsr: (v.getUint32(52, true) & 0xf80f0000) >>> 0,
    fpscr: v.getUint32(56, true),
    d: Array.from({ length: 32 }, (_, i) => v.getBigUint64(RECORD_D + i * 8, true)),
  };
}

function hex(v: number | bigint, digits: number): string {
  return '0x' + v.toString(16).padStart(digits, '0');
}

/** Values of the registers `lines` name, taken from `init`. */
function inputsOf(lines: string[], init: SequenceInit): Record<string, string> {
  const out: Record<string, string> = { apsr: hex(init.apsr, 8), fpscr: hex(init.fpscr, 8) };
  // Operands only: skip each line's mnemonic and data type (the 's32' of 'vcvt.f32.s32').
  const operands = lines.map((l) => l.slice(l.indexOf(' ') + 1)).join(' ');
  for (const m of operands.matchAll(/\b([rdsq])(\d+)\b/g)) {
    const n = Number(m[2]);
    const name = m[0];
    if (m[1] === 'r' && n < 13) out[name] = hex(init.core[n], 8);
    if (m[1] === 'd') out[name] = hex(init.d[n], 16);
    if (m[1] === 's') out[name] = hex((init.d[n >> 1] >> BigInt(32 * (n & 1))) & 0xffffffffn, 8);
    if (m[1] === 'q') out[name] = hex(init.d[2 * n + 1], 16) + hex(init.d[2 * n], 16).slice(2);
  }
  return out;
}

/** Assemble `program` and run it on both sides. */
export function runBoth(program: TestProgram, dir: string, name: string): { ours: SideRun; ref: SideRun; source: string } {
  const source = programText(program);
  const elf = assembleProgram(source, dir, name);
  return { ours: runOnMachine(elf), ref: runOnReference(elf), source };
}

/** Find the instruction of `program.sequences[index]` where the two sides first disagree; undefined if the prefixes all agree. */
export function minimise(program: TestProgram, index: number, dir: string): Culprit | undefined {
  const seq = program.sequences[index];
  const prefixes: Sequence[] = seq.units.map((_, i) => ({ init: seq.init, units: seq.units.slice(0, i + 1) }));
  const run = runBoth({ ...program, sequences: prefixes }, dir, 'prefixes');
  const d = firstDivergence({ ...program, sequences: prefixes }, run.ours, run.ref);
  if (!d) return undefined;
  const position = d.sequence;
  const unit: Unit = seq.units[position];
  const before = position === 0 ? seq.init : initFromRecord(splitRecords(run.ref.stdout)[position - 1]);
  const alone: TestProgram = { ...program, sequences: [{ init: before, units: [unit] }] };
  const again = runBoth(alone, dir, 'culprit');
  return {
    lines: unit.lines,
    position,
    inputs: inputsOf(unit.lines, before),
    fields: d.fields,
    detail: d.detail,
    reproduced: firstDivergence(alone, again.ours, again.ref) !== undefined,
    source: again.source,
  };
}
