/** Instruction counts and similar numbers given on the command line. */
import { UsageError } from '../errors';

/** Largest count accepted: what the engine's signed 64-bit instruction counters can hold. */
export const MAX_COUNT = 2n ** 63n - 1n;

/** Parse a count such as 5000000, 50M, 2G or 120k, at most `max`. */
export function parseCount(text: string, what: string, max = MAX_COUNT): bigint {
  const m = /^(\d+)([kKmMgG]?)$/.exec(text.trim());
  if (!m) throw new UsageError(`${what}: expected a count like 5000000 or 50M, got "${text}"`);
  const mult = { '': 1n, k: 1000n, m: 1000000n, g: 1000000000n }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  const n = BigInt(m[1]) * mult;
  if (n > max) throw new UsageError(`${what}: ${text} is too large (at most ${max})`);
  return n;
}
