/** Signals a process sends itself behave as on Linux: ignored ones vanish, blocked ones wait. */
import { strict as assert } from 'assert';
import { runElf } from '../support/boot';
import { fixtureElf, sameAsQemu } from '../support/oracle';
import { tempDir } from '../support/toolchain';

describe('kernel: signals sent to itself', () => {
  const elf = () => fixtureElf('selfsignal');
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

  it('kill(-1) signals every other process, and there is none: ESRCH, the caller lives on', () => {
    // Not run under qemu-arm: there it would signal the host user's other processes.
    const r = runElf(fixtureElf('selfsignal'), { argv: ['selfsignal', 'kill-all'] });
    assert.equal(r.stdout.toString(), 'kill(-1): ESRCH\nsurvived\n');
    assert.equal(r.status, 0);
  });
});
