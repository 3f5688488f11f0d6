/** Signals a process sends itself behave as on Linux: ignored ones vanish, blocked ones wait. */
import { compileC, tempDir } from '../support/toolchain';
import { sameAsQemu } from '../support/oracle';
import * as path from 'path';
import { strict as assert } from 'assert';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'spec', 'fixtures');

describe('kernel: signals sent to itself', () => {
  const elf = () => compileC(path.join(FIXTURES, 'selfsignal.c'));
  const cases: [string, number][] = [
    ['ignored', 0], // SIG_IGN'd SIGUSR1 through raise, kill and tgkill
    ['default-ignore', 0], // SIGCHLD, SIGURG, SIGWINCH, SIGCONT
    ['blocked-then-unblocked', 143], // pending while blocked, default action on unblock
    ['pending-then-ignored', 0], // SIG_IGN discards a pending signal
    ['ignored-but-blocked', 0], // blocked signals are queued even when ignored, dropped on unblock
  ];
  for (const [scenario, status] of cases) {
    it(`${scenario}: same output and exit status as qemu-arm (${status})`, () => {
      const r = sameAsQemu(elf(), ['selfsignal', scenario], tempDir());
      assert.equal(r.status, status);
      if (scenario === 'ignored') {
        // The same signal with its default action still kills.
        assert.equal(sameAsQemu(elf(), ['selfsignal', 'default-kill'], tempDir()).status, 138);
      }
    });
  }
});
