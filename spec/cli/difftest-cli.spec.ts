/** `clonecloud difftest` as a user drives it. */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { assemble, compileC, tempDir } from '../support/toolchain';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'clonecloud');

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cli: difftest', function () {
  this.timeout(120_000);

  it('has --help', () => {
    const r = cli(['difftest', '--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /--elf <file>/);
    assert.match(r.stdout, /--step-window/);
  });

  it('exits 0 and says so when a program with files, output and syscalls agrees with qemu-arm', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'in.txt'), 'one\ntwo\nthree\n');
    const src = path.join(dir, 'wc.c');
    fs.writeFileSync(
      src,
      `#include <stdio.h>
int main(int argc, char **argv) { FILE *f = fopen(argv[1], "r"); int c, n = 0, l = 0;
  while ((c = fgetc(f)) != EOF) { n++; l += c == '\\n'; } printf("%d %d\\n", l, n); return l; }\n`,
    );
    const elf = compileC(src);
    const r = cli(['difftest', '--elf', elf, '--root', dir, '--quiet', '--', 'in.txt']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^same: [\d,]+ instructions and \d+ syscalls agree with qemu-arm; exit status 3/);
  });

  it('exits 1 with the culprit instruction, disassembled, when the sides differ; --json carries the same', () => {
    const elf = assemble('it-tlb');
    const r = cli(['difftest', '--elf', elf, '--no-it-state-fix', '--quiet']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^DIFFERENT: /);
    assert.match(r.stdout, /adds r4, #1 +\(thumb\) +<- executed by qemu-arm/);
    assert.match(r.stdout, /r4 +0x00000001 +0x00000002 +<-/);
    const j = cli(['difftest', '--elf', elf, '--no-it-state-fix', '--json']);
    assert.equal(j.status, 1, j.stderr);
    const report = JSON.parse(j.stdout);
    assert.equal(report.same, false);
    assert.equal(report.divergence.culprit.text, 'adds r4, #1');
    assert.equal(report.divergence.culprit.tracedByClonecloud, false);
  });

  it('refuses bad input with one line and exit code 2', () => {
    const missing = cli(['difftest', '--elf', '/nonexistent/prog']);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^clonecloud: --elf \/nonexistent\/prog: not a file\n$/);
    const badRoot = cli(['difftest', '--elf', assemble('it-tlb'), '--root', '/nonexistent']);
    assert.equal(badRoot.status, 2);
    assert.match(badRoot.stderr, /--root \/nonexistent: not a folder/);
    const badEnv = cli(['difftest', '--elf', assemble('it-tlb'), '--env', 'novalue']);
    assert.equal(badEnv.status, 2);
    assert.match(badEnv.stderr, /expected NAME=value/);
    const noElf = cli(['difftest']);
    assert.notEqual(noElf.status, 0);
    assert.match(noElf.stderr, /--elf/);
  });
});

describe('cli: difftest-random', function () {
  this.timeout(120_000);

  it('compares a short campaign and says so; refuses an unknown category', () => {
    const r = cli(['difftest-random', '--sequences', '200', '--categories', 'arm,vfp', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.divergences.length, 0);
    const bad = cli(['difftest-random', '--categories', 'x86']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--categories takes a comma-separated list/);
  });
});
