/**
 * What a random test program is made of: units (one random instruction with its set-up lines)
 * grouped into sequences, each with its own starting state. Shared by the generator and the
 * program text, which is rendered from them.
 */
import { SequenceInit } from './initial-state';

/** One random instruction (or Thumb IT block) with its set-up lines; the unit sequences are made of. */
export interface Unit {
  /** Names of the templates drawn (several for an IT block). */
  templates: string[];
  /** Assembly lines, in order. */
  lines: string[];
  /** Random instructions in the unit (set-up lines and the IT instruction not counted). */
  count: number;
}

/** One sequence: its starting state and its instructions. */
export interface Sequence {
  init: SequenceInit;
  units: Unit[];
}
