/**
 * One program run under qemu-arm and under clonecloud over the same folder, compared byte for
 * byte (stdout, stderr, exit status), with the first difference described precisely.
 */
import { runElf, TestRun } from './boot';
import { ProcessResult, runQemu } from './toolchain';

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
}

/** Both sides' results and, when they are not byte-identical, what differs first. */
export interface DiffOutcome {
  qemu: ProcessResult;
  clone: TestRun;
  /** Undefined when stdout, stderr and exit status are identical. */
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
  return `${stream} differs at byte ${i} (lengths ${qemu.length} vs ${clone.length}): ` +
    `qemu-arm ${excerpt(qemu, i)}, clonecloud ${excerpt(clone, i)}`;
}

/** Everything that differs, plus clonecloud's own diagnosis (fault, unimplemented syscalls). */
function describe(qemu: ProcessResult, clone: TestRun): string | undefined {
  const parts = [
    firstDifference('stdout', qemu.stdout, clone.stdout),
    firstDifference('stderr', qemu.stderr, clone.stderr),
    qemu.status === clone.status ? undefined : `exit status: qemu-arm ${qemu.status}, clonecloud ${clone.status}`,
  ].filter((p): p is string => p !== undefined);
  if (!parts.length) return undefined;
  if (clone.fault) parts.push(`clonecloud: ${clone.fault.message}`);
  parts.push(...clone.warnings.map((w) => `clonecloud: ${w}`));
  return parts.join('\n');
}

/** Run under qemu-arm, then under clonecloud in-process, and compare. */
export function runBoth(r: DiffRun): DiffOutcome {
  // qemu first: forking is refused once several 4 GiB guest address spaces await collection.
  r.prepare?.();
  const qemu = runQemu(r.elf, r.argv, r.env, r.root, r.stdin);
  r.prepare?.();
  const clone = runElf(r.elf, { argv: r.argv, env: r.env, cwd: '/', root: r.root, stdin: r.stdin });
  return { qemu, clone, difference: describe(qemu, clone) };
}
