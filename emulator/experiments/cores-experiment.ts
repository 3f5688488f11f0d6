/**
 * The cores experiment: the parallel sample image on one device whose core count varies, so the
 * modelled time shows what more cores buy a program that sizes its thread pool from the device
 * (sysconf(_SC_NPROCESSORS_ONLN)), as the paper's clone does with "the number of virtual CPU
 * cores". Every run must print the same result; the speedup and parallel efficiency are against
 * the one-core run.
 */
import * as fs from 'fs';
import * as path from 'path';
import { createHash } from 'crypto';
import { ImageError } from '../errors';
import { imageBootSpec, loadImage } from '../image/manifest';
import { Machine } from '../machine/machine';
import { DeviceProfile } from '../model/profiles';

/** The core counts the bench runs by default. */
export const DEFAULT_CORE_COUNTS = [1, 2, 4, 8, 16];

/** One run of the parallel image. */
export interface CoresResult {
  cores: number;
  /** Threads the program started (what it printed on stderr). */
  threads: number;
  instructions: number;
  modelledSeconds: number;
  energyJoules: number;
  /** Against the one-core run (the first row). */
  speedup: number;
  /** speedup / cores. */
  efficiency: number;
  /** Host time the simulation took. */
  hostSeconds: number;
  /** SHA-256 of the program's standard output (equal on every row). */
  outputHash: string;
  output: string;
}

/** Where the parallel image is. */
export function parallelImageDir(): string {
  return path.resolve(__dirname, '..', '..', '..', 'images', 'parallel');
}

/** Run the image on `profile` with `cores` cores; `progress` hears the instruction count now and then. */
export function runOnCores(
  profile: DeviceProfile,
  cores: number,
  imageDir: string,
  progress?: (n: bigint) => void,
): Omit<CoresResult, 'speedup' | 'efficiency'> {
  const img = loadImage(imageDir);
  if (!fs.existsSync(img.elfPath)) throw new ImageError(`${imageDir}: program not built: run 'bash scripts/setup.sh'`);
  const elf = new Uint8Array(fs.readFileSync(img.elfPath));
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const machine = new Machine(imageBootSpec(img, { ...profile, cores }, elf), {
    elf,
    stdout: (b) => out.push(Buffer.from(b)),
    stderr: (b) => err.push(Buffer.from(b)),
    warn: () => undefined,
  });
  try {
    const step = 100_000_000n;
    while (machine.run(machine.instructions + step) === 'budget') progress?.(machine.instructions);
    const s = machine.summary();
    const stderr = Buffer.concat(err).toString();
    if (s.exitStatus !== 0) throw new ImageError(`parallel exited with status ${s.exitStatus} on ${cores} cores: ${stderr.trim().split('\n').pop()}`);
    const threads = Number(/threads (\d+)/.exec(stderr)?.[1] ?? NaN);
    const output = Buffer.concat(out).toString();
    return {
      cores,
      threads,
      instructions: s.instructions,
      modelledSeconds: s.modelledSeconds,
      energyJoules: s.energyJoules,
      hostSeconds: s.hostSeconds,
      outputHash: createHash('sha256').update(output).digest('hex'),
      output,
    };
  } finally {
    machine.close();
  }
}

/** Speedup and efficiency of each row against the first (one core). */
export function withScaling(rows: Omit<CoresResult, 'speedup' | 'efficiency'>[]): CoresResult[] {
  const base = rows[0]?.modelledSeconds ?? 0;
  return rows.map((r) => {
    const speedup = r.modelledSeconds > 0 ? base / r.modelledSeconds : 0;
    return { ...r, speedup, efficiency: speedup / (r.cores / (rows[0]?.cores ?? 1)) };
  });
}
