/**
 * Differential runs for kernel fidelity: the same static ARM program under qemu-arm and under
 * clonecloud, with qemu-arm placed as clonecloud's guest is (no controlling terminal, and an
 * unprivileged user when the tests run as root), so that Linux's answers for an ordinary process
 * are the reference.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runElf, TestBoot, TestRun } from './boot';
import { compileC, ProcessResult, tempDir } from './toolchain';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'spec', 'fixtures');

/** Build spec/fixtures/<name>.c (cached); returns the ELF path. */
export function fixtureElf(name: string): string {
  return compileC(path.join(FIXTURES, `${name}.c`));
}

/** The user qemu-arm runs as when the tests run as root (nobody). */
const UNPRIVILEGED = 65534;

/** Run `elf` under qemu-arm in `cwd` (a folder `nobody` may write when we are root). */
export function runQemuAsUser(elf: string, argv: string[], cwd: string, env: Record<string, string> = {}): ProcessResult {
  const qemu = ['qemu-arm', '-0', argv[0], elf, ...argv.slice(1)];
  const root = process.getuid?.() === 0;
  if (root) fs.chownSync(cwd, UNPRIVILEGED, UNPRIVILEGED);
  const drop = root ? ['setpriv', `--reuid=${UNPRIVILEGED}`, `--regid=${UNPRIVILEGED}`, '--clear-groups'] : [];
  const cmd = ['setsid', '--wait', ...drop, ...qemu];
  const r = spawnSync(cmd[0], cmd.slice(1), { cwd, env, maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) throw new Error(`${cmd[0]} is not available (${r.error.message}): run 'bash scripts/setup.sh'`);
  // A program killed by a signal reports 128 + its number, as the CLI and shells do.
  const status = r.status ?? 128 + (r.signal ? os.constants.signals[r.signal] : 0);
  return { stdout: r.stdout, stderr: r.stderr, status };
}

/** Build a small C program given as text (cached by content); returns the ELF path. */
export function snippetElf(name: string, code: string): string {
  const src = path.join(tempDir(), `${name}.c`);
  fs.writeFileSync(src, code);
  return compileC(src);
}

/**
 * Run under both and require the same stdout and exit status; returns clonecloud's run.
 * clonecloud goes first: it never changes the host folder, while qemu-arm's writes land in it.
 */
export function sameAsQemu(elf: string, argv: string[], root: string, opts: TestBoot = {}): TestRun {
  const c = runElf(elf, { ...opts, argv, root });
  // Release the finished machine's 4 GiB reservation before forking qemu-arm (see hooks.ts).
  (globalThis as { gc?: () => void }).gc?.();
  const q = runQemuAsUser(elf, argv, root, opts.env);
  assert.equal(c.fault, undefined, c.fault?.message);
  assert.equal(c.stdout.toString(), q.stdout.toString(), `${argv.join(' ')}: stdout differs`);
  assert.equal(c.status, q.status, `${argv.join(' ')}: exit status (qemu stderr: ${q.stderr})`);
  assert.deepEqual(c.warnings, [], 'no unimplemented syscalls');
  return c;
}
