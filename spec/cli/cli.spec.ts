/** The command line as a user drives it: exit codes, one-line errors, JSON output. */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { assemble, tempDir } from '../support/toolchain';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'clonecloud');

function cli(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cli', () => {
  it('boots a sample image, passing guest output through and ending with a summary', () => {
    const r = cli(['boot', 'images/hello']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^hello from an ARM phone image\n/);
    assert.match(r.stderr, /instructions +[\d,]+\n/);
    assert.match(r.stderr, /modelled time +[\d.]+ (s|ms|µs)/);
  });

  it('ends quietly, as a program killed by SIGPIPE does, when its reader has gone', () => {
    // `true` exits at once, so every write of the listing meets a closed pipe.
    for (const args of ['syscalls', 'profiles', 'images']) {
      const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" ${args} | true; echo "status \${PIPESTATUS[0]}"`], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(r.stderr, '', args);
      assert.equal(r.stdout, 'status 141\n', args);
    }
  });

  it('prints one JSON summary with --json and honours --profile', () => {
    const r = cli(['boot', 'images/hello', '--profile', 'dell-t7400', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stderr.trim().split('\n').pop()!);
    assert.equal(s.profile, 'dell-t7400');
    assert.equal(s.exitStatus, 0);
    for (const k of ['instructions', 'modelledSeconds', 'energyJoules', 'hostSeconds', 'mips', 'pagesDirtied', 'syscalls']) {
      assert.equal(typeof s[k], 'number', k);
    }
    // Same program, same instructions; the faster machine takes less modelled time.
    const g1 = JSON.parse(cli(['boot', 'images/hello', '--json']).stderr.trim().split('\n').pop()!);
    assert.equal(g1.instructions, s.instructions);
    assert.ok(g1.modelledSeconds > s.modelledSeconds);
  });

  it('boots a bare ELF over a host folder, with arguments after --', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'motd.txt'), 'from the host folder\n');
    const elf = path.join(ROOT, 'images', 'hello', 'build', 'hello');
    const r = cli(['boot', '--elf', elf, '--root', dir, '--no-summary', '--', 'x', 'y']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /argv\[1\]=x\nargv\[2\]=y\n/);
    assert.match(r.stdout, /from the host folder/);
    assert.equal(r.stderr, '');
    assert.ok(!fs.existsSync(path.join(dir, 'hello.tmp')), 'guest writes stay in the writable layer');
  });

  it('exits with the guest status, and 139 with a one-line report on a fault', () => {
    const r = cli(['boot', '--elf', assemble('fault'), '--no-summary']);
    assert.equal(r.status, 139);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(
      lines[0],
      /^clonecloud: guest fault: segmentation fault at pc 0x[0-9a-f]{8} \(arm\); address 0x00000010; instruction e5901000 \(arm\); read of unmapped memory \(SIGSEGV\); last syscalls: getpid\(/,
    );
  });

  it('gives a one-line error and a non-zero exit for bad input', () => {
    const dir = tempDir();
    const truncated = path.join(dir, 'truncated');
    fs.writeFileSync(truncated, fs.readFileSync(path.join(ROOT, 'images', 'hello', 'build', 'hello')).subarray(0, 40));
    const cases: [string[], RegExp][] = [
      [['boot', '--elf', truncated], /truncated/],
      [['boot', 'images/nope'], /no such image folder/],
      [['boot', 'images/hello', '--profile', 'nokia-3310'], /unknown profile "nokia-3310"/],
      [['boot'], /nothing to boot/],
      [['boot', 'images/hello', '--max-instructions', 'lots'], /expected a count/],
    ];
    for (const [args, re] of cases) {
      const r = cli(args);
      assert.notEqual(r.status, 0, args.join(' '));
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });

  it('stops at --max-instructions with exit code 124', () => {
    const r = cli(['boot', 'images/compute', '--max-instructions', '1M', '--json']);
    assert.equal(r.status, 124);
    const s = JSON.parse(r.stderr.trim().split('\n').pop()!);
    assert.ok(s.instructions <= 1_000_000 && s.instructions > 990_000, String(s.instructions));
  });

  it('lists profiles and images, as tables and as JSON', () => {
    const p = cli(['profiles', '--json']);
    assert.equal(p.status, 0);
    assert.ok(JSON.parse(p.stdout).some((x: { id: string }) => x.id === 'htc-g1'));
    assert.match(cli(['profiles']).stdout, /htc-g1 \*/);
    const i = cli(['images', '--json']);
    assert.deepEqual(
      JSON.parse(i.stdout)
        .map((x: { name: string }) => x.name)
        .filter((n: string) => ['compute', 'hello', 'syscalls'].includes(n)),
      ['compute', 'hello', 'syscalls'],
    );
  });

  it('has --help on every command', () => {
    for (const c of [[], ['boot'], ['profiles'], ['images']]) {
      const r = cli([...c, '--help']);
      assert.equal(r.status, 0);
      assert.match(r.stdout, /Usage: clonecloud/);
    }
  });
});
