/**
 * Checkpoint ids: a run part drawn at random when a run starts checkpointing, then the run's
 * sequence number, e.g. `kq7m3x-4`. The run part makes ids unique across stores (a phone's and
 * its clone's) and across runs writing into one store at once, without asking any store; the
 * sequence keeps them short and ordered within a run. Ids are plain strings to the store, so
 * stores written with the older `c0001` form are read as they are.
 */
import * as crypto from 'crypto';
import { StoreError } from './errors';

/** Letters and digits that cannot be misread for one another (no i, l, o, 0, 1). */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
/** Characters in a run part: 31^6, about 2^30 run parts. */
const RUN_LENGTH = 6;

/** A fresh random run part; it starts with a letter so that an id never reads as a number. */
export function newRunPart(): string {
  const bytes = crypto.randomBytes(RUN_LENGTH);
  let out = '';
  for (let i = 0; i < RUN_LENGTH; i++) {
    const letters = i === 0 ? 23 : ALPHABET.length;
    out += ALPHABET[bytes[i] % letters];
  }
  return out;
}

/** The id of checkpoint number `seq` (from 1) of the run `run`. */
export function checkpointId(run: string, seq: number): string {
  return `${run}-${seq}`;
}

/** The sequence number of an id of the run-and-sequence form, or undefined for other ids. */
export function sequenceOf(id: string): number | undefined {
  const m = /^[a-z][a-z0-9]*-(\d+)$/.exec(id);
  return m ? Number(m[1]) : undefined;
}

/** `ids` for a one-line message (at most `max` of them). */
function shortList(ids: string[], max = 20): string {
  return ids.length > max ? `${ids.slice(0, max).join(', ')}, ... (${ids.length} in all)` : ids.join(', ');
}

/**
 * The id among `ids` that `text` names: the id itself, a bare sequence number when only one run
 * has that number, or a prefix only one id starts with. StoreError (one line) for none or several.
 */
export function resolveCheckpointId(ids: string[], text: string): string {
  if (ids.includes(text)) return text;
  let matches: string[] = [];
  if (/^\d+$/.test(text)) matches = ids.filter((id) => sequenceOf(id) === Number(text));
  if (!matches.length && text.length) matches = ids.filter((id) => id.startsWith(text));
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) throw new StoreError(`checkpoint ${text} is ambiguous: it could be ${shortList(matches)}; give more of the id`);
  throw new StoreError(`unknown checkpoint ${text}; known: ${shortList(ids) || 'none'}`);
}
