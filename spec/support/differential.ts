/**
 * One program run under qemu-arm and under clonecloud over the same folder, compared byte for
 * byte (stdout, stderr, exit status), with the first difference described precisely.
 */
import * as path from 'path';
import { Machine } from '../../emulator/machine/machine';
import { runElf, TestRun } from './boot';
import { ProcessResult, runQemu } from './toolchain';
import { guestTreeDigest, hostTreeDigest } from './tree-digest';

/** What to run: a host ELF, its whole argv (argv[0] included), environment, stdin. */
export interface DiffRun {
  elf: string;
  argv: string[];
  env: Record<string, string>;
  /** Host folder: clonecloud's "/" and cwd, qemu-arm's cwd (so relative paths mean the same file). */
  root: string;
  stdin?: Buffer;
  /** Called before each side runs, e.g. to put back files that the first side changed. */
  prepare?: () => void;
  /** A folder (relative to root) whose contents after the run are compared too (tree-digest.ts). */
  effects?: string;
}

/** Both sides' results and, when they are not byte-identical, what differs first. */
export interface DiffOutcome {
  qemu: ProcessResult;
  clone: TestRun;
  /** Undefined when stdout, stderr, exit status (and the effects folder, if asked) are identical. */
  difference?: string;
}

const SHOW = 48;

function excerpt(b: Buffer, at: number): string {
  return JSON.stringify(b.subarray(at, at + SHOW).toString('latin1'));
}

/** Where two byte strings first differ, with a little of each side from there; undefined if equal. */
export function firstDifference(stream: string, qemu: Buffer, clone: Buffer): string | undefined {
  if (Buffer.compare(qemu, clone) === 0) return undefined;
  let i = 0;
  while (i < qemu.length && i < clone.length && qemu[i] === clone[i]) i++;
  return `${stream} differs at byte ${i} (lengths ${qemu.length} vs ${clone.length}): ` + `qemu-arm ${excerpt(qemu, i)}, clonecloud ${excerpt(clone, i)}`;
}

/** Everything that differs, plus clonecloud's own diagnosis (fault, unimplemented syscalls). */
function describe(qemu: ProcessResult, clone: TestRun, trees?: [string, string]): string | undefined {
  const parts = [
    trees && firstDifference('folder afterwards', Buffer.from(trees[0]), Buffer.from(trees[1])),
    firstDifference('stdout', qemu.stdout, clone.stdout),
    firstDifference('stderr', qemu.stderr, clone.stderr),
    qemu.status === clone.status ? undefined : `exit status: qemu-arm ${qemu.status}, clonecloud ${clone.status}`,
  ].filter((p): p is string => p !== undefined);
  if (!parts.length) return undefined;
  if (clone.fault) parts.push(`clonecloud: ${clone.fault.message}`);
  parts.push(...clone.warnings.map((w) => `clonecloud: ${w}`));
  return parts.join('\n');
}

/** clonecloud's process starts with umask 022 (emulator/machine/machine.ts); qemu-arm inherits ours. */
function withUmask<T>(mask: number, f: () => T): T {
  const old = process.umask(mask);
  try {
    return f();
  } finally {
    process.umask(old);
  }
}

/** Run under qemu-arm, then under clonecloud in-process, and compare. */
export function runBoth(r: DiffRun): DiffOutcome {
  // qemu first: forking is refused once several 4 GiB guest address spaces await collection.
  r.prepare?.();
  const qemu = withUmask(0o022, () => runQemu(r.elf, r.argv, r.env, r.root, r.stdin));
  const qemuTree = r.effects === undefined ? undefined : hostTreeDigest(path.join(r.root, r.effects));
  r.prepare?.();
  let cloneTree = '';
  const inspect =
    r.effects === undefined
      ? undefined
      : (m: Machine): void => {
          cloneTree = guestTreeDigest(m.vfs, `/${r.effects}`);
        };
  const clone = runElf(r.elf, { argv: r.argv, env: r.env, cwd: '/', root: r.root, stdin: r.stdin }, inspect);
  return { qemu, clone, difference: describe(qemu, clone, qemuTree === undefined ? undefined : [qemuTree, cloneTree]) };
}
