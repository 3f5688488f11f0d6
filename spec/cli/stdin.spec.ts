/** The guest's standard input through the command line: the host's by default, --stdin otherwise. */
import { strict as assert } from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { compileC, tempDir } from '../support/toolchain';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'clonecloud');
const FIXTURES = path.join(ROOT, 'spec', 'fixtures');

describe('cli: guest standard input', () => {
  let elf: string;
  let dir: string;
  let text: string;
  before(() => {
    elf = compileC(path.join(FIXTURES, 'echo-stdin.c'));
    dir = tempDir();
    text = 'first line\nsecond line\n'.repeat(100);
    fs.writeFileSync(path.join(dir, 'in.txt'), text);
  });

  it("is the host's standard input by default, as under qemu-arm (a file, then a pipe)", () => {
    const fd = fs.openSync(path.join(dir, 'in.txt'), 'r');
    try {
      const r = spawnSync(process.execPath, [BIN, 'boot', '--elf', elf, '--no-summary'], { stdio: [fd, 'pipe', 'pipe'] });
      const q = spawnSync('qemu-arm', [elf], { stdio: [fs.openSync(path.join(dir, 'in.txt'), 'r'), 'pipe', 'pipe'] });
      assert.equal(r.status, 0, r.stderr.toString());
      assert.equal(r.stdout.toString(), text);
      assert.deepEqual(r.stdout, q.stdout);
      assert.deepEqual(r.stderr, q.stderr);
    } finally {
      fs.closeSync(fd);
    }
    const p = spawnSync(process.execPath, [BIN, 'boot', '--elf', elf, '--no-summary'], { input: 'piped\n' });
    assert.equal(p.stdout.toString(), 'piped\n');
    assert.equal(p.stderr.toString(), '6 bytes\n');
  });

  it('hands piped data to the guest as it arrives, not after the pipe closes', async () => {
    const child = spawn(process.execPath, [BIN, 'boot', '--elf', elf, '--no-summary'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdin.write('one\n');
    // The pipe is still open: the guest must echo the first line before the second is sent.
    const deadline = Date.now() + 30_000;
    while (!out.includes('one\n')) {
      assert.ok(child.exitCode === null && Date.now() < deadline, `no echo of the first line; got ${JSON.stringify(out)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.stdin.end('two\n');
    assert.equal(await closed, 0);
    assert.equal(out, 'one\ntwo\n');
  });

  it('is never read by a guest that does not ask, even when the pipe never closes', async () => {
    const child = spawn(process.execPath, [BIN, 'boot', '--elf', elf, '--no-summary', '--', 'x'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.stdin.destroy();
    assert.equal(code, 0);
    assert.equal(out, 'not reading: x\n');
  });

  it('comes from --stdin FILE when given; --stdin /dev/null is empty', () => {
    const run = (stdinFile: string) =>
      spawnSync(process.execPath, [BIN, 'boot', '--elf', elf, '--no-summary', '--stdin', stdinFile], { input: 'ignored host input\n' });
    const f = run(path.join(dir, 'in.txt'));
    assert.equal(f.status, 0, f.stderr.toString());
    assert.equal(f.stdout.toString(), text);
    const n = run('/dev/null');
    assert.equal(n.status, 0, n.stderr.toString());
    assert.equal(n.stdout.toString(), '');
    assert.equal(n.stderr.toString(), '0 bytes\n');
    const missing = run(path.join(dir, 'nope'));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr.toString(), /^clonecloud: --stdin .*nope: no such file\n$/);
  });

  it("is the host's standard input for restore too", () => {
    const store = path.join(dir, 'store');
    // A checkpoint during start-up, before the program reads anything.
    const b = spawnSync(process.execPath, [BIN, 'boot', '--elf', elf, '--no-summary', '--checkpoint-at', '100', '--store', store], { input: 'at boot\n' });
    assert.equal(b.status, 0, b.stderr.toString());
    assert.equal(b.stdout.toString(), 'at boot\n');
    const r = spawnSync(process.execPath, [BIN, 'restore', '1', '--store', store, '--no-summary'], { input: 'after restore\n' });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(r.stdout.toString(), 'after restore\n');
    assert.equal(r.stderr.toString(), '14 bytes\n');
  });
});
