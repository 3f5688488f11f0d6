/**
 * The cores experiment: the parallel sample image on one device whose core count varies, so the
 * modelled time shows what more cores buy a program that sizes its thread pool from the device
 * (sysconf(_SC_NPROCESSORS_ONLN)), as the paper's clone does with "the number of virtual CPU
 * cores". Every run must print the same result; the speedup and parallel efficiency are against
 * the one-core run.
 */
import * as path from 'path';
import { createHash } from 'crypto';
import { ImageError } from '../errors';
import { DeviceProfile } from '../model/profiles';
import { runImage } from './image-run';

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
  const run = runImage(imageDir, { ...profile, cores }, (spec) => spec, progress);
  const s = run.summary;
  if (s.exitStatus !== 0) throw new ImageError(`parallel exited with status ${s.exitStatus} on ${cores} cores: ${run.stderr.trim().split('\n').pop()}`);
  return {
    cores,
    threads: Number(/threads (\d+)/.exec(run.stderr)?.[1] ?? NaN),
    instructions: s.instructions,
    modelledSeconds: s.modelledSeconds,
    energyJoules: s.energyJoules,
    hostSeconds: s.hostSeconds,
    outputHash: createHash('sha256').update(run.stdout).digest('hex'),
    output: run.stdout,
  };
}

/** Speedup and efficiency of each row against the first (one core). */
export function withScaling(rows: Omit<CoresResult, 'speedup' | 'efficiency'>[]): CoresResult[] {
  const base = rows[0]?.modelledSeconds ?? 0;
  return rows.map((r) => {
    const speedup = r.modelledSeconds > 0 ? base / r.modelledSeconds : 0;
    return { ...r, speedup, efficiency: speedup / (r.cores / (rows[0]?.cores ?? 1)) };
  });
}
