/**
 * Comparing the two sides' outputs record by record, and describing the first difference with
 * the sequence that caused it.
 */
import { compareRecords, FieldDifference, RECORD_SIZE, splitRecords } from './record';
import { Sequence, sequenceText, TestProgram } from './random-insns';
import { SideRun } from './run-program';

/** The first point at which clonecloud and the reference disagree. */
export interface Divergence {
  /** 'state': a record differs; 'output': one side wrote fewer records; 'exit': the exit statuses differ. */
  kind: 'state' | 'output' | 'exit';
  /** Index of the sequence within its program. */
  sequence: number;
  /** Its instructions, as assembled. */
  lines: string[];
  fields: FieldDifference[];
  /** Exit statuses and notes of both sides when they matter. */
  detail?: string;
}

function describeEnds(ours: SideRun, ref: SideRun): string {
  const side = (name: string, r: SideRun): string => `${name}: exit ${r.status}, ${r.stdout.length} bytes${r.note ? `, ${r.note}` : ''}`;
  return `${side('clonecloud', ours)}; ${side('qemu-arm', ref)}`;
}

/** The first divergence between `ours` and `ref` for `program`, or undefined when they agree. */
export function firstDivergence(program: TestProgram, ours: SideRun, ref: SideRun): Divergence | undefined {
  const a = splitRecords(ours.stdout);
  const b = splitRecords(ref.stdout);
  const seqAt = (i: number): Sequence | undefined => program.sequences[i];
  const linesAt = (i: number): string[] => (seqAt(i) ? sequenceText(seqAt(i)!) : []);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const fields = compareRecords(a[i], b[i]);
    if (fields.length) return { kind: 'state', sequence: i, lines: linesAt(i), fields };
  }
  if (a.length !== b.length || ours.stdout.length % RECORD_SIZE !== 0 || ours.stdout.length !== ref.stdout.length) {
    const i = Math.min(a.length, b.length);
    return { kind: 'output', sequence: i, lines: linesAt(i), fields: [], detail: describeEnds(ours, ref) };
  }
  if (ours.status !== ref.status) {
    return { kind: 'exit', sequence: program.sequences.length, lines: [], fields: [], detail: describeEnds(ours, ref) };
  }
  return undefined;
}
