/** Signal handlers run as on Linux: frames, siginfo, masks, alternate stacks, faults and timers (against qemu-arm). */
import { strict as assert } from 'assert';
import { bootElf, runElf } from '../support/boot';
import { debianProgram } from '../support/debian';
import { fixtureElf, runQemuAsUser, sameAsQemu } from '../support/oracle';
import { tempDir } from '../support/toolchain';

describe('kernel: signal handlers', () => {
  const elf = () => fixtureElf('handlers');
  const cases: [string, number][] = [
    ['plain', 0], // a handler without SA_SIGINFO, through raise, kill and tgkill
    ['no-restorer', 0], // no SA_RESTORER: the kernel's return trampoline, Thumb and ARM handlers
    ['siginfo', 0], // SA_SIGINFO: si_code SI_USER / SI_TKILL, the ucontext, the VFP block, SA_NODEFER
    ['altstack', 0], // SA_ONSTACK on a sigaltstack, and a handler without it
    ['resethand', 138], // SA_RESETHAND: the second SIGUSR1 takes the default action
    ['nested', 0], // a handler raising another signal; sa_mask holding it back until return
    ['sigsuspend', 0], // sigsuspend delivers a blocked pending signal, EINTR, mask back; sigtimedwait
    ['gc', 0], // a SIGSEGV handler that mprotects the page; the faulting access runs again
    ['alarm-loop', 0], // setitimer's SIGALRM ends a busy loop
    ['alarm-sleep', 0], // alarm interrupts nanosleep (EINTR, time left) and pause
    ['interval', 0], // a periodic ITIMER_REAL with SA_RESTART, waited for with pause
    ['alarm-default', 142], // SIGALRM's default action ends the process
  ];
  for (const [scenario, status] of cases) {
    it(`${scenario}: same output and exit status as qemu-arm (${status})`, () => {
      assert.equal(sameAsQemu(elf(), ['handlers', scenario], tempDir()).status, status);
    });
  }

  it('SIGALRM comes when ITIMER_REAL is due on the modelled clock, even in a loop without syscalls', () => {
    // qemu-arm runs on host time; the modelled clock makes the delay exact.
    const r = runElf(fixtureElf('alarm-timing'), { argv: ['alarm-timing'] });
    assert.equal(r.stdout.toString(), 'delay 5000 us\n');
    assert.equal(r.status, 0);
  });

  it('SIGILL from an undefined instruction reaches its handler with si_code ILL_ILLOPC, as Linux sends it', () => {
    const r = runElf(elf(), { argv: ['handlers', 'ill'] });
    // qemu-arm sends ILL_ILLOPN (2) here; Linux's do_undefinstr sends ILL_ILLOPC (1).
    assert.equal(r.stdout.toString(), 'ill 4: addr is pc 1\n  si_code 1\ncontinued after SIGILL, hits 1\ndone\n');
    assert.equal(r.status, 0);
  });

  it('SS_AUTODISARM: the handler runs with the alternate stack disarmed, rt_sigreturn re-arms it (Linux 4.7+)', () => {
    // qemu-arm refuses SS_AUTODISARM, so the expected lines are Linux's.
    const r = runElf(elf(), { argv: ['handlers', 'autodisarm'] });
    assert.equal(r.stdout.toString(), 'autodisarm: 0\nsig 10 on altstack 1 ss_flags 2 uc_stack.ss_flags -2147483648\nafter: ss_flags -2147483648\ndone\n');
  });

  it('a sigreturn frame cannot raise privilege: a CPSR asking for System mode gets SIGSEGV, as on Linux', () => {
    // qemu-arm masks the mode bits and goes on; Linux's valid_user_regs refuses the frame.
    const r = runElf(elf(), { argv: ['handlers', 'forged'] });
    assert.equal(r.stdout.toString(), 'raising\n');
    assert.equal(r.status, 139);
    assert.equal(r.fault, undefined);
  });

  it('a checkpoint taken while a handler runs restores and ends the same', () => {
    const whole = runElf(elf(), { argv: ['handlers', 'nested'] });
    const b = bootElf(elf(), { argv: ['handlers', 'nested'] });
    // Stop at syscalls until the outer handler is on the stack (its frame and mask are live).
    let inHandler = false;
    while (!inHandler) {
      assert.equal(
        b.machine.run(undefined, () => true),
        'syscall',
      );
      inHandler = b.machine.kernel.task.blocked[0] !== 0;
    }
    const state = { task: b.machine.kernel.task.save(), group: b.machine.kernel.group.save() };
    const regions = b.machine.space.save();
    const memory = regions.map((r) => ({ start: r.start, bytes: b.machine.space.bytes.slice(r.start, r.end) }));
    const instructions = b.machine.instructions;
    const printed = b.stdout().length;
    const c = bootElf(elf(), { argv: ['handlers', 'nested'] });
    c.machine.space.restore(regions);
    for (const m of memory) c.machine.space.bytes.set(m.bytes, m.start);
    c.machine.engine.counters.instructions = instructions;
    c.machine.kernel.group.restore(state.group);
    c.machine.kernel.task.restore(state.task);
    assert.equal(c.machine.run(), 'exited');
    assert.equal(b.stdout().subarray(0, printed).toString() + c.stdout().toString(), whole.stdout.toString());
    assert.equal(c.machine.instructions, BigInt(whole.summary.instructions));
    b.machine.close();
    c.machine.close();
  });

  it("busybox sh runs a trap's command when the shell signals itself", () => {
    const script = 'trap "echo got" USR1; kill -USR1 $$; echo after';
    const r = runElf(debianProgram('busybox'), { argv: ['sh', '-c', script] });
    (globalThis as { gc?: () => void }).gc?.();
    const q = runQemuAsUser(debianProgram('busybox'), ['sh', '-c', script], tempDir());
    assert.equal(r.stdout.toString(), 'got\nafter\n');
    if (q.status === 0) assert.equal(r.stdout.toString(), q.stdout.toString());
    assert.equal(r.status, 0);
  });
});
