/**
 * Processes, threads and signals against the independent truth: each case of process-cases.ts
 * runs under qemu-arm and under clonecloud over the same folder, compared on stdout, stderr and
 * exit status. The cases in EXPECTED_TO_PASS are tests; the others are run and counted, not
 * failed, so the list grows as the kernel learns to fork, wait, run threads and deliver signals.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import { bootElf } from '../support/boot';
import { firstDifference } from '../support/differential';
import { resetScratch } from '../support/realprog-inputs';
import { ProcessResult, runQemu, tempDir } from '../support/toolchain';
import { EXPECTED_TO_PASS, PROCESS_CASES, ProcessCase } from './process-cases';
import { BUDGET, command, ENV, layOut } from './process-harness';

/** The truth: qemu-arm's run, with umask 022 as clonecloud's process starts. */
function truth(c: ProcessCase, root: string): ProcessResult {
  const { elf, argv } = command(c, true);
  if (c.writes) resetScratch(root);
  const old = process.umask(0o022);
  try {
    return runQemu(elf, argv, ENV, root);
  } finally {
    process.umask(old);
  }
}

/** clonecloud's run, with how it ended when that was not an exit. */
function clonecloud(c: ProcessCase, root: string): ProcessResult & { problem?: string; warnings: string[] } {
  const { elf, argv } = command(c);
  if (c.writes) resetScratch(root);
  // Release finished machines' address space reservations first (see hooks.ts).
  (globalThis as { gc?: () => void }).gc?.();
  const b = bootElf(elf, { argv, env: ENV, cwd: '/', root });
  let problem: string | undefined;
  try {
    const outcome = b.machine.run(BUDGET);
    if (outcome !== 'exited') problem = `stopped (${outcome}) after ${b.machine.instructions} instructions`;
  } catch (e) {
    problem = e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
  }
  let status = -1;
  try {
    status = b.machine.summary().exitStatus;
  } catch {
    // A run that did not end has no exit status.
  }
  b.machine.close();
  return { stdout: b.stdout(), stderr: b.stderr(), status, problem, warnings: b.warnings };
}

/** Everything that differs between the truth and clonecloud; undefined when they match. */
function compare(c: ProcessCase, root: string): string | undefined {
  const want = truth(c, root);
  const got = clonecloud(c, root);
  const parts = [
    got.problem && `clonecloud: ${got.problem}`,
    firstDifference('stdout', want.stdout, got.stdout),
    firstDifference('stderr', want.stderr, got.stderr),
    want.status === got.status ? undefined : `exit status: expected ${want.status}, clonecloud ${got.status}`,
  ].filter((p): p is string => !!p);
  if (!parts.length) return undefined;
  return [...parts, ...got.warnings.map((w) => `clonecloud: ${w}`)].join('\n');
}

describe('processes, threads and signals match qemu-arm', function () {
  this.timeout(600_000);
  let root = '';

  before(function () {
    root = tempDir('cc-processes-');
    layOut(root);
  });

  after(function () {
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it(`names every case once, and EXPECTED_TO_PASS only names cases (${PROCESS_CASES.length} cases)`, function () {
    const names = PROCESS_CASES.map((c) => c.name);
    assert.equal(new Set(names).size, names.length, 'distinct names');
    for (const n of EXPECTED_TO_PASS) assert.ok(names.includes(n), `EXPECTED_TO_PASS names no case ${n}`);
  });

  for (const c of PROCESS_CASES.filter((k) => EXPECTED_TO_PASS.includes(k.name))) {
    it(c.name, function () {
      const difference = compare(c, root);
      assert.ok(!difference, difference);
    });
  }

  it('reports how many of the other cases match today (never fails on them)', function () {
    const rest = PROCESS_CASES.filter((k) => !EXPECTED_TO_PASS.includes(k.name));
    const matching: string[] = [];
    const differing: string[] = [];
    for (const c of rest) {
      const difference = compare(c, root);
      if (difference) differing.push(`${c.name}: ${difference.split('\n')[0]}`);
      else matching.push(c.name);
    }
    console.log(`      ${EXPECTED_TO_PASS.length} cases expected to pass; of the other ${rest.length}, ${matching.length} match qemu-arm today`);
    if (matching.length) console.log(`        now matching (add to EXPECTED_TO_PASS): ${matching.join(', ')}`);
    for (const d of differing) console.log(`        ${d}`);
  });
});
