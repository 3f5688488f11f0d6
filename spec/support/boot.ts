/** Booting ARM programs in-process for tests, with output captured. */
import * as fs from 'fs';
import * as path from 'path';
import { GuestFault } from '../../emulator/errors';
import { Machine } from '../../emulator/machine/machine';
import { DeviceProfile, findProfile } from '../../emulator/model/profiles';
import { RunSummary } from '../../emulator/model/run-summary';
import { EngineOptions } from '../../emulator/unicorn/engine';

/** How to boot a test program. */
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

/** Boot `elfPath` without running it. */
export function bootElf(elfPath: string, opts: TestBoot = {}): BootedMachine {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const warnings: string[] = [];
  const profile = opts.profileObject ?? findProfile(opts.profile ?? 'htc-g1');
  const rootfs: unknown[] = opts.rootfs ?? (opts.root ? [{ type: 'host', source: opts.root, target: '/' }] : []);
  const exePath = '/' + path.basename(elfPath);
  const machine = new Machine({
    name: path.basename(elfPath),
    elf: new Uint8Array(fs.readFileSync(elfPath)),
    exePath,
    argv: opts.argv ?? [path.basename(elfPath)],
    env: Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`),
    cwd: opts.cwd ?? '/',
    profile,
    rootfs,
    rootfsBase: process.cwd(),
    seed: opts.seed ?? 1,
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
  const b = bootElf(elfPath, opts);
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
