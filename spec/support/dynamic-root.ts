/**
 * Dynamically linked Debian programs run from the test root (vendor/rootfs, which set-up builds
 * with `clonecloud rootfs add`) under qemu-arm -L and under clonecloud over the same root, with a
 * work folder both see as their working directory.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { bootProgram, BootSpec } from '../../emulator/machine/boot-spec';
import { findProfile } from '../../emulator/model/profiles';
import { bootSpec, runBooted, TestRun } from './boot';
import { firstDifference } from './differential';
import { ProcessResult } from './toolchain';

/** The test root set-up unpacks the Debian packages into. */
export const TEST_ROOT = path.resolve(__dirname, '..', '..', '..', 'vendor', 'rootfs');
/** Where the work folder appears in clonecloud's guest (qemu-arm runs in it on the host). */
export const GUEST_WORK = '/work';

/** The test root, or a clear error naming the set-up step that makes it. */
export function testRoot(): string {
  if (!fs.existsSync(path.join(TEST_ROOT, 'lib', 'ld-linux-armhf.so.3'))) {
    throw new Error(`${TEST_ROOT} holds no Debian root: run 'bash scripts/setup.sh' (it builds the root with 'clonecloud rootfs add')`);
  }
  return TEST_ROOT;
}

/** One run of a program of the root. */
export interface DynamicRun {
  /** Guest path of the program, e.g. /usr/bin/lua5.4. */
  program: string;
  args: string[];
  /** Host folder both sides work in (the guest's /work). */
  work: string;
  env: Record<string, string>;
  stdin?: Buffer;
  /** Instruction-level seed of clonecloud's run (PIE slide, AT_RANDOM, getrandom). */
  seed?: number;
}

/** Both sides' results and, when they differ, what differs first. */
export interface DynamicOutcome {
  qemu: ProcessResult & { ms: number };
  clone: TestRun & { ms: number };
  difference?: string;
}

/** Run under qemu-arm -L. */
export function runDynamicQemu(root: string, r: DynamicRun): ProcessResult & { ms: number } {
  const argv0 = path.basename(r.program);
  // qemu-user reverses the environment's order (see toolchain.ts runQemu).
  const env = Object.fromEntries(Object.entries(r.env).reverse());
  const t0 = process.hrtime.bigint();
  const p = spawnSync('qemu-arm', ['-L', root, '-0', argv0, path.join(root, r.program), ...r.args], {
    cwd: r.work,
    env,
    input: r.stdin,
    maxBuffer: 256 << 20,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (p.error) throw new Error(`qemu-arm is not available (${p.error.message}): run 'bash scripts/setup.sh'`);
  return { stdout: p.stdout, stderr: p.stderr, status: p.status ?? 128 + (p.signal ? os.constants.signals[p.signal] : 0), ms };
}

/** The boot record clonecloud runs `r` with: the root at /, the work folder at /work. */
export function dynamicBootSpec(root: string, r: DynamicRun): BootSpec {
  const bytes = new Uint8Array(fs.readFileSync(path.join(root, r.program)));
  return {
    name: path.basename(r.program),
    program: bootProgram(r.program, bytes, path.join(root, r.program)),
    argv: [path.basename(r.program), ...r.args],
    env: Object.entries(r.env).map(([k, v]) => `${k}=${v}`),
    cwd: GUEST_WORK,
    profile: findProfile('htc-g1'),
    rootfs: [
      { type: 'host', source: root, target: '/' },
      { type: 'host', source: r.work, target: GUEST_WORK },
    ],
    rootfsBase: process.cwd(),
    seed: r.seed ?? 1,
  };
}

/** Run under clonecloud, in this process. */
export function runDynamicClone(root: string, r: DynamicRun): TestRun & { ms: number } {
  const spec = dynamicBootSpec(root, r);
  // Timed from the boot, as qemu-arm's time includes its start.
  const t0 = process.hrtime.bigint();
  const run = runBooted(bootSpec(spec, new Uint8Array(fs.readFileSync(path.join(root, r.program))), { stdin: r.stdin ?? new Uint8Array(0) }));
  return { ...run, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

/** Run both and compare stdout, stderr and exit status byte for byte. */
export function runDynamicBoth(root: string, r: DynamicRun): DynamicOutcome {
  const qemu = runDynamicQemu(root, { ...r, stdin: r.stdin ?? Buffer.alloc(0) });
  const clone = runDynamicClone(root, r);
  const parts = [
    firstDifference('stdout', qemu.stdout, clone.stdout),
    firstDifference('stderr', qemu.stderr, clone.stderr),
    qemu.status === clone.status ? undefined : `exit status: qemu-arm ${qemu.status}, clonecloud ${clone.status}`,
  ].filter((p): p is string => p !== undefined);
  if (parts.length && clone.fault) parts.push(`clonecloud: ${clone.fault.message}`);
  if (parts.length) parts.push(...clone.warnings.map((w) => `clonecloud: ${w}`));
  return { qemu, clone, difference: parts.length ? parts.join('\n') : undefined };
}
