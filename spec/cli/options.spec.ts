/** Options the command line must refuse with one line and a non-zero exit, before any work. */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from '../support/toolchain';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'clonecloud');
const HELLO = path.join(ROOT, 'images', 'hello', 'build', 'hello');

function cli(args: string[]) {
  // A timeout turns "blocks forever" or "grows without bound" into a failure instead of a hang.
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000, input: '' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

function refused(args: string[], re: RegExp): void {
  const r = cli(args);
  assert.equal(r.signal, null, `${args.join(' ')}: did not finish (${r.signal})`);
  assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
  assert.equal(r.stdout, '', args.join(' '));
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, new RegExp('^clonecloud: ' + re.source));
}

describe('cli: options refused with one line', () => {
  let dir: string;
  before(() => {
    dir = tempDir();
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'file'), 'x');
  });

  it("--cwd must be absolute and an existing directory of the guest's tree", () => {
    refused(['boot', '--elf', HELLO, '--root', dir, '--cwd', 'sub'], /--cwd sub: must be an absolute guest path/);
    refused(['boot', '--elf', HELLO, '--root', dir, '--cwd', '/nonexistent'], /working directory \/nonexistent: no such directory/);
    refused(['boot', '--elf', HELLO, '--root', dir, '--cwd', '/file'], /working directory \/file: not a directory/);
    refused(['boot', 'images/hello', '--cwd', '/nonexistent'], /working directory \/nonexistent: no such directory/);
    // An existing one is used, in canonical form.
    const ok = cli(['boot', 'images/hello', '--cwd', '/home/../home/user/', '--no-summary']);
    assert.equal(ok.status, 0, ok.stderr);
  });

  it('--env needs NAME=value with a non-empty name', () => {
    refused(['boot', 'images/hello', '--env', '=x'], /--env =x: expected NAME=value/);
    refused(['boot', 'images/hello', '--env', 'noequals'], /--env noequals: expected NAME=value/);
    const ok = cli(['boot', 'images/hello', '--env', 'LANG==b', '--no-summary']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /env LANG==b\n/);
  });

  it('counts beyond what the counters hold are refused', () => {
    refused(['boot', 'images/hello', '--max-instructions', '99999999999999999999'], /--max-instructions: 99999999999999999999 is too large/);
    refused(['boot', 'images/hello', '--checkpoint-every', '9999999999999999999G', '--store', path.join(dir, 's1')], /--checkpoint-every: .* is too large/);
    refused(['boot', 'images/hello', '--seed', '4294967296'], /--seed: 4294967296 is too large/);
  });

  it('profile files with absurd or non-finite figures are refused by field', () => {
    const base = { id: 'odd', clockHz: 1e9, ipc: 1, cores: 1, ramBytes: 2 ** 28, cpuActiveW: 1, cpuIdleW: 0.1 };
    const cases: [Record<string, unknown>, string][] = [
      [{ clockHz: 1e300 }, 'clockHz'],
      [{ clockHz: 1e-9 }, 'clockHz'],
      [{ ipc: 1e10 }, 'ipc'],
      [{ ramBytes: 1.5 }, 'ramBytes'],
      [{ cpuActiveW: 1e300 }, 'cpuActiveW'],
      [{ cores: 2.5 }, 'cores'],
    ];
    refused(['boot', 'images/hello', '--profile-file', '/dev/zero'], /cannot read profile file \/dev\/zero: not a regular file/);
    for (const [change, field] of cases) {
      const file = path.join(dir, `${field}.json`);
      fs.writeFileSync(file, JSON.stringify({ ...base, ...change }));
      refused(['boot', 'images/hello', '--profile-file', file, '-p', 'odd'], new RegExp(`.*"${field}" must be a number`));
    }
  });

  it('--elf must name a regular file of sane size, checked before reading', () => {
    const fifo = path.join(dir, 'fifo');
    spawnSync('mkfifo', [fifo]);
    refused(['boot', '--elf', '/dev/zero'], /--elf \/dev\/zero: not a regular file/);
    refused(['boot', '--elf', fifo], /--elf .*fifo: not a regular file/);
    refused(['boot', '--elf', dir], /--elf .*: not a regular file/);
    refused(['boot', '--elf', path.join(dir, 'missing')], /--elf .*missing: no such file/);
    const huge = path.join(dir, 'huge');
    fs.writeFileSync(huge, '');
    fs.truncateSync(huge, 2 ** 30 + 1);
    refused(['boot', '--elf', huge], /--elf .*huge: 1073741825 bytes is too large/);
  });

  it('--store that cannot be created is an error, not a busy loop', () => {
    refused(['boot', 'images/hello', '--store', '/proc/x'], /cannot create the checkpoint store folder \/proc\/x/);
    refused(['boot', 'images/hello', '--store', path.join(dir, 'file', 'x')], /cannot create the checkpoint store folder/);
  });

  it('a run stopped by --max-instructions reports exit status 124 as the process does', () => {
    const r = cli(['boot', 'images/compute', '--max-instructions', '1M']);
    assert.equal(r.status, 124);
    assert.match(r.stderr, /exit status +124 \(stopped by --max-instructions\)\n/);
    const j = cli(['boot', 'images/compute', '--max-instructions', '1M', '--json']);
    assert.equal(j.status, 124);
    const s = JSON.parse(j.stderr.trim().split('\n').pop()!);
    assert.equal(s.exitStatus, 124);
    assert.equal(s.stoppedBy, 'max-instructions');
  });
});
