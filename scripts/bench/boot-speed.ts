/**
 * Boot-speed benchmark: the compute image with the native hooks (instruction counting and dirty
 * tracking) on and off, and the same ELF under qemu-arm, measured alternately in one run so that
 * machine noise hits all three alike. Reports medians and ratios.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Machine } from '../../emulator/machine/machine';
import { findProfile } from '../../emulator/model/profiles';
import { EngineOptions } from '../../emulator/unicorn/engine';

/** Figures of one configuration. */
export interface SpeedRow {
  config: string;
  medianSeconds: number;
  mips: number;
  runs: number[];
}

/** Result of the boot-speed benchmark. */
export interface BootSpeedResult {
  elf: string;
  args: string[];
  instructions: number;
  rows: SpeedRow[];
  hooksOverhead: number;
  speedVsQemu: number;
}

/** The median of `xs`. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function runGuest(root: string, elf: Uint8Array, args: string[], engine: EngineOptions): { seconds: number; instructions: number; out: string } {
  const profile = findProfile('htc-g1');
  const chunks: Buffer[] = [];
  const m = new Machine(
    { name: 'compute', program: { path: '/bin/compute' }, argv: ['compute', ...args], env: [], cwd: '/', profile, rootfs: [], rootfsBase: root, seed: 1 },
    { elf, stdout: (b) => chunks.push(Buffer.from(b)), stderr: () => undefined, warn: () => undefined, engine },
  );
  const t0 = process.hrtime.bigint();
  m.run();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const instructions = Number(m.instructions);
  m.close();
  return { seconds, instructions, out: Buffer.concat(chunks).toString() };
}

function runQemu(elfPath: string, args: string[]): { seconds: number; out: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('qemu-arm', ['-0', 'compute', elfPath, ...args], { encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.error || r.status !== 0) throw new Error(`qemu-arm failed: ${r.error?.message ?? r.stderr}`);
  return { seconds, out: r.stdout };
}

/** Run the compute image with `args`, `repeats` times per configuration, interleaved. */
export function bootSpeed(root: string, repeats: number, args: string[], progress: (msg: string) => void): BootSpeedResult {
  const elfPath = path.join(root, 'images', 'compute', 'build', 'compute');
  const elf = new Uint8Array(fs.readFileSync(elfPath));
  const on: number[] = [];
  const off: number[] = [];
  const qemu: number[] = [];
  let instructions = 0;
  let expected: string | undefined;
  for (let i = 0; i < repeats; i++) {
    progress(`boot speed: compute ${args.join(' ')}: round ${i + 1}/${repeats}`);
    // qemu first: forking is refused once several 4 GiB guest address spaces await collection.
    const q = runQemu(elfPath, args);
    qemu.push(q.seconds);
    const a = runGuest(root, elf, args, {});
    on.push(a.seconds);
    instructions = a.instructions;
    const b = runGuest(root, elf, args, { countInstructions: false, trackDirty: false });
    off.push(b.seconds);
    expected ??= q.out;
    if (a.out !== expected || b.out !== expected) throw new Error('guest output differs from qemu-arm: the benchmark would compare different work');
    (globalThis as { gc?: () => void }).gc?.();
  }
  const row = (config: string, runs: number[]): SpeedRow => ({
    config,
    medianSeconds: median(runs),
    mips: instructions / median(runs) / 1e6,
    runs,
  });
  const rows = [row('clonecloud, counting + dirty tracking on', on), row('clonecloud, hooks off', off), row('qemu-arm 7.2 (same ELF)', qemu)];
  return {
    elf: path.relative(root, elfPath),
    args,
    instructions,
    rows,
    hooksOverhead: median(on) / median(off),
    speedVsQemu: median(qemu) / median(on),
  };
}
