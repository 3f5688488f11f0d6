/** The progress bar of long benchmarks, counting millions of guest instructions. */
import type { SingleBar } from 'cli-progress';

/** A bar on a terminal's stderr, or undefined when stderr is not one (the caller prints lines instead). */
export async function instructionBar(): Promise<SingleBar | undefined> {
  if (!process.stderr.isTTY) return undefined;
  // Loaded only here: most commands never draw a bar, and loading it slows every start.
  const { SingleBar } = await import('cli-progress');
  return new SingleBar({ format: '{label} |{bar}| {value}M instructions', clearOnComplete: true, hideCursor: true });
}
