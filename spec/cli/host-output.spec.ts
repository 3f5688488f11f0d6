/**
 * Failures of the host's standard output reach the guest as Linux delivers them: a closed pipe is
 * SIGPIPE (or EPIPE when the guest ignores or blocks it), /dev/full is ENOSPC. Compared with
 * qemu-arm given the same standard output.
 */
import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fixtureElf } from '../support/oracle';
import { compileC } from '../support/toolchain';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'clonecloud');

interface Ended {
  status: number;
  stderr: string;
}

/** Run a command whose stdout is a pipe we close before it writes, or a file descriptor we give. */
function runWithStdout(cmd: string[], stdout: 'closed-pipe' | number): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', stdout === 'closed-pipe' ? 'pipe' : stdout, 'pipe'] });
    // Our end goes away before the program has even started, so every write meets a broken pipe.
    child.stdout?.destroy();
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ status: code ?? 128 + (signal ? os.constants.signals[signal] : 0), stderr }));
  });
}

async function both(args: string[], stdout: () => 'closed-pipe' | number): Promise<{ cc: Ended; qemu: Ended }> {
  const elf = fixtureElf('hostout');
  const cc = await runWithStdout([process.execPath, BIN, 'boot', '--elf', elf, '--no-summary', '--', ...args], stdout());
  const qemu = await runWithStdout(['qemu-arm', '-0', 'hostout', elf, ...args], stdout());
  return { cc, qemu };
}

describe('cli: guest output to a failing host stdout', () => {
  it('a closed pipe kills the guest with SIGPIPE (exit 141), as under qemu-arm', async () => {
    const { cc, qemu } = await both([], () => 'closed-pipe');
    assert.equal(qemu.status, 141);
    assert.equal(cc.status, 141, cc.stderr);
    assert.equal(cc.stderr, qemu.stderr);
  });

  for (const mode of ['ignore', 'block']) {
    it(`a closed pipe gives EPIPE when SIGPIPE is ${mode === 'ignore' ? 'ignored' : 'blocked'}, as under qemu-arm`, async () => {
      const { cc, qemu } = await both([mode], () => 'closed-pipe');
      assert.equal(cc.stderr, 'write 0: EPIPE\nwrite 1: EPIPE\nwrite 2: EPIPE\n');
      assert.equal(cc.stderr, qemu.stderr);
      assert.equal(cc.status, 0);
      assert.equal(qemu.status, 0);
    });
  }

  it('/dev/full gives ENOSPC to every write, as under qemu-arm', async () => {
    const fds: number[] = [];
    const full = () => {
      fds.push(fs.openSync('/dev/full', 'w'));
      return fds[fds.length - 1];
    };
    try {
      const { cc, qemu } = await both([], full);
      assert.equal(cc.stderr, 'write 0: ENOSPC\nwrite 1: ENOSPC\nwrite 2: ENOSPC\n');
      assert.equal(cc.stderr, qemu.stderr);
      assert.equal(cc.status, 0);
      assert.equal(qemu.status, 0);
    } finally {
      fds.forEach((fd) => fs.closeSync(fd));
    }
  });
});

describe('cli: guest output to a slow, non-blocking host stdout', function () {
  this.timeout(60_000);

  it('delivers every byte when the shared stdout pipe is non-blocking and its reader lags', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-nonblock-'));
    const src = path.join(dir, 'spew.c');
    // 4 MiB in 64 KiB writes: far more than a pipe holds while nobody reads.
    fs.writeFileSync(
      src,
      `#include <string.h>
#include <unistd.h>
int main(void) { static char b[65536]; for (int i = 0; i < 64; i++) { memset(b, 'a' + i % 26, sizeof b); if (write(1, b, sizeof b) != sizeof b) return 1; } return 0; }\n`,
    );
    const elf = compileC(src);
    // The descriptor is shared with whoever made it non-blocking (here a small launcher).
    const launcher =
      'import fcntl, os, sys; fcntl.fcntl(1, fcntl.F_SETFL, fcntl.fcntl(1, fcntl.F_GETFL) | os.O_NONBLOCK); os.execvp(sys.argv[1], sys.argv[1:])';
    const child = spawn('python3', ['-c', launcher, process.execPath, BIN, 'boot', '--elf', elf, '--no-summary'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pause();
    await new Promise((r) => setTimeout(r, 500));
    const chunks: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => chunks.push(b));
    child.stdout!.resume();
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    assert.equal(status, 0, stderr);
    const out = Buffer.concat(chunks);
    assert.equal(out.length, 64 * 65536);
    for (let i = 0; i < 64; i++) assert.equal(out[i * 65536 + 12345], 'a'.charCodeAt(0) + (i % 26), `block ${i}`);
  });
});
