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
