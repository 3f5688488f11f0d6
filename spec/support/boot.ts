/** Booting ARM programs in-process for tests, with output captured. */
import * as fs from 'fs';
import * as path from 'path';
import { GuestFault } from '../../emulator/errors';
import { bootProgram, BootSpec } from '../../emulator/machine/boot-spec';
import { Machine } from '../../emulator/machine/machine';
import { DeviceProfile, findProfile } from '../../emulator/model/profiles';
import { RunSummary } from '../../emulator/model/run-summary';
import { EngineOptions } from '../../emulator/unicorn/engine';

/** How to boot a test program: a short form of a BootSpec plus host-side options (stdin, engine). */
export interface TestBoot {
  argv?: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Host folder served as the guest's root. */
  root?: string;
  rootfs?: unknown[];
  stdin?: Uint8Array;
  profile?: string;
  /** A profile not in the built-in list (e.g. a built-in one with other RAM); wins over `profile`. */
  profileObject?: DeviceProfile;
  seed?: number;
  engine?: EngineOptions;
}

/** A booted machine and what it has printed so far. */
export interface BootedMachine {
  machine: Machine;
  stdout(): Buffer;
  stderr(): Buffer;
  warnings: string[];
}

/** The boot record of `elfPath` under `opts`, as `clonecloud boot --elf` would make it (program hash included). */
export function testBootSpec(elfPath: string, opts: TestBoot = {}): BootSpec {
  const name = path.basename(elfPath);
  return {
    name,
    program: bootProgram('/' + name, new Uint8Array(fs.readFileSync(elfPath)), path.resolve(elfPath)),
    argv: opts.argv ?? [name],
    env: Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`),
    cwd: opts.cwd ?? '/',
    profile: opts.profileObject ?? findProfile(opts.profile ?? 'htc-g1'),
    rootfs: opts.rootfs ?? (opts.root ? [{ type: 'host', source: opts.root, target: '/' }] : []),
    rootfsBase: process.cwd(),
    seed: opts.seed ?? 1,
  };
}

/** Boot `elfPath` without running it. */
export function bootElf(elfPath: string, opts: TestBoot = {}): BootedMachine {
  return bootSpec(testBootSpec(elfPath, opts), new Uint8Array(fs.readFileSync(elfPath)), opts);
}

/** Boot the record `spec` with program bytes `elf`, capturing output (host-side options from `opts`). */
export function bootSpec(spec: BootSpec, elf: Uint8Array, opts: Pick<TestBoot, 'stdin' | 'engine'> = {}): BootedMachine {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const warnings: string[] = [];
  const machine = new Machine(spec, {
    elf,
    stdin: opts.stdin,
    stdout: (b) => out.push(Buffer.from(b)),
    stderr: (b) => err.push(Buffer.from(b)),
    warn: (m) => warnings.push(m),
    engine: opts.engine,
  });
  return { machine, stdout: () => Buffer.concat(out), stderr: () => Buffer.concat(err), warnings };
}

/** Result of running a program to its end. */
export interface TestRun {
  stdout: Buffer;
  stderr: Buffer;
  status: number;
  summary: RunSummary;
  fault?: GuestFault;
  warnings: string[];
}

/** Boot and run `elfPath` to the end, let `inspect` look at the stopped machine, then release it. */
export function runElf(elfPath: string, opts: TestBoot = {}, inspect?: (m: Machine) => void): TestRun {
  return runBooted(bootElf(elfPath, opts), inspect);
}

/** Run a booted machine to the end (a guest fault ends it too), let `inspect` look, then release it. */
export function runBooted(b: BootedMachine, inspect?: (m: Machine) => void): TestRun {
  let fault: GuestFault | undefined;
  try {
    b.machine.run();
  } catch (e) {
    if (!(e instanceof GuestFault)) throw e;
    fault = e;
  }
  const summary = b.machine.summary(fault);
  try {
    inspect?.(b.machine);
  } finally {
    b.machine.close();
  }
  return { stdout: b.stdout(), stderr: b.stderr(), status: summary.exitStatus, summary, fault, warnings: b.warnings };
}
