/**
 * Running one test program on both sides: under clonecloud's own machine (in this process) and
 * under qemu-arm, the reference.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GuestFault } from '../errors';
import { bootProgram, BootSpec } from '../machine/boot-spec';
import { Machine } from '../machine/machine';
import { findProfile } from '../model/profiles';
import { runReference } from './toolchain';

/** What one side printed and how it ended. */
export interface SideRun {
  stdout: Buffer;
  status: number;
  /** Why the run ended abnormally, in words (a guest fault, qemu-arm's message). */
  note?: string;
}

/** Run `elfPath` to its end on a clonecloud machine with no files, no arguments and no environment. */
export function runOnMachine(elfPath: string): SideRun {
  const out: Buffer[] = [];
  const notes: string[] = [];
  const name = path.basename(elfPath);
  const elf = new Uint8Array(fs.readFileSync(elfPath));
  const spec: BootSpec = {
    name,
    program: bootProgram('/' + name, elf, path.resolve(elfPath)),
    argv: [name],
    env: [],
    cwd: '/',
    profile: findProfile('htc-g1'),
    rootfs: [],
    rootfsBase: process.cwd(),
    seed: 1,
  };
  const machine = new Machine(spec, {
    elf,
    stdout: (b) => out.push(Buffer.from(b)),
    stderr: (b) => notes.push(Buffer.from(b).toString()),
    warn: (m) => notes.push(m),
  });
  let fault: GuestFault | undefined;
  try {
    machine.run();
  } catch (e) {
    if (!(e instanceof GuestFault)) throw e;
    fault = e;
  }
  const status = machine.summary(fault).exitStatus;
  machine.close();
  // Each machine reserves 4 GiB; collect it now so later forks (assembler, qemu-arm) are not refused.
  (globalThis as { gc?: () => void }).gc?.();
  if (fault) notes.push(fault.message);
  return { stdout: Buffer.concat(out), status, note: notes.length ? notes.join('; ') : undefined };
}

/** Run `elfPath` under qemu-arm. */
export function runOnReference(elfPath: string): SideRun {
  const r = runReference(elfPath);
  return { stdout: r.stdout, status: r.status, note: r.stderr.trim() || undefined };
}
