/**
 * Runs one real-program workload once in this process, for a profiler attached from outside:
 * `node dist/scripts/bench/real-run.js KEY on|off WORKDIR` (KEY as in real-speed.ts). Prints the
 * guest's instruction and block counts as JSON on stderr; the guest's output goes nowhere.
 */
import * as path from 'path';
import { runClone, workloads } from './real-speed';

function main(): void {
  const [key, mode, work] = process.argv.slice(2);
  if (!key || (mode !== 'on' && mode !== 'off') || !work) throw new Error('usage: real-run KEY on|off WORKDIR');
  const root = path.resolve(__dirname, '..', '..', '..');
  const w = workloads(root, work, { repeats: 1, awkIterations: Number(process.env.AWK_ITERATIONS ?? 2_000_000), shaMb: Number(process.env.SHA_MB ?? 32) }).find(
    (x) => x.key === key,
  );
  if (!w) throw new Error(`real-run: no workload ${key}`);
  const r = runClone(w, work, mode === 'on' ? {} : { countInstructions: false, trackDirty: false });
  process.stderr.write(JSON.stringify({ seconds: r.seconds, instructions: r.instructions, blocks: r.blocks }) + '\n');
}

main();
