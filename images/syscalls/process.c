/*
 * Threads, signals and futexes of a single-threaded process.
 */
#define _GNU_SOURCE

#include "kabi.h"
#include "check.h"
#include "fixtures.h"
#include "topics.h"

/* ---- threads, signals and futexes of a single-threaded process ---- */

/* Read TPIDRURO, the user read-only thread register set_tls writes. */
static uint32_t read_tls(void)
{
    uint32_t v;
    __asm__ volatile("mrc p15, 0, %0, c13, c0, 3" : "=r"(v));
    return v;
}

static uint32_t futex_word = 7;
static uint8_t altstack_area[8192] __attribute__((aligned(16)));

void test_process(void)
{
    /*
     * ARM_set_tls: move the register to another value and back. Nothing in
     * between reads the thread pointer (syscall() only touches errno, in
     * thread-local storage, when a call fails).
     */
    uint32_t tp = read_tls();
    long r1 = syscall(__ARM_NR_set_tls, tp + 16);
    uint32_t moved = read_tls();
    long r2 = syscall(__ARM_NR_set_tls, tp);
    uint32_t back = read_tls();
    check("ARM_set_tls", r1 == 0 && r2 == 0 && moved == tp + 16 && back == tp,
          "thread register does not read back what was set");

    long pid = syscall(SYS_getpid), tid = syscall(SYS_gettid);
    long r = syscall(SYS_kill, pid, 0);
    check("kill signal 0", r == 0, "%s", errno_name(errno));
    r = syscall(SYS_kill, pid, 65);
    check_errno("kill bad signal", r, errno, EINVAL);
    r = syscall(SYS_tgkill, pid, tid, 0);
    check("tgkill signal 0", r == 0, "%s", errno_name(errno));
    r = syscall(SYS_tkill, tid, 0);
    check("tkill signal 0", r == 0, "%s", errno_name(errno));

    /* After exec a signal is either default or ignored (inherited). */
    struct ksigaction old, now, restored, ign = { SIG_IGN, 0, NULL, { 0, 0 } };
    memset(&old, 0x5a, sizeof old);
    r = syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 8);
    check("rt_sigaction query", r == 0 && (old.handler == SIG_DFL || old.handler == SIG_IGN),
          r ? errno_name(errno) : "handler is neither SIG_DFL nor SIG_IGN");
    r1 = syscall(SYS_rt_sigaction, SIGUSR1, &ign, NULL, 8);
    r2 = syscall(SYS_rt_sigaction, SIGUSR1, NULL, &now, 8);
    long r3 = syscall(SYS_rt_sigaction, SIGUSR1, &old, NULL, 8);
    long r4 = syscall(SYS_rt_sigaction, SIGUSR1, NULL, &restored, 8);
    check("rt_sigaction set and read back", r1 == 0 && r2 == 0 && r3 == 0 && r4 == 0 &&
                                                now.handler == SIG_IGN &&
                                                restored.handler == old.handler,
          "the installed action is not reported back");
    r = syscall(SYS_rt_sigaction, SIGUSR1, NULL, &now, 4);
    check_errno("rt_sigaction bad sigsetsize", r, errno, EINVAL);
    r = syscall(SYS_rt_sigaction, SIGKILL, &ign, NULL, 8);
    check_errno("rt_sigaction SIGKILL", r, errno, EINVAL);

    /* The blocked mask is inherited across exec, so only changes are checked. */
    uint32_t cur[2], seen[2], after[2];
    const uint32_t usr1 = 1u << (SIGUSR1 - 1), kill_bit = 1u << (SIGKILL - 1);
    r = syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, cur, 8);
    check("rt_sigprocmask query", r == 0, "%s", errno_name(errno));
    uint32_t add[2] = { usr1 | kill_bit, 0 };
    r1 = syscall(SYS_rt_sigprocmask, SIG_BLOCK, add, NULL, 8);
    r2 = syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, seen, 8);
    r3 = syscall(SYS_rt_sigprocmask, SIG_SETMASK, cur, NULL, 8);
    r4 = syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, after, 8);
    check("rt_sigprocmask block and read back", r1 == 0 && r2 == 0 && r3 == 0 && r4 == 0 &&
                                                    (seen[0] & usr1) && after[0] == cur[0] &&
                                                    after[1] == cur[1],
          "the blocked set is not reported back");
    check("rt_sigprocmask SIGKILL unblockable", r2 == 0 && !(seen[0] & kill_bit),
          "SIGKILL reported as blocked");
    r = syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, cur, 4);
    check_errno("rt_sigprocmask bad sigsetsize", r, errno, EINVAL);

    /* No alternate stack has been set up: the query says it is disabled. */
    struct kstack ss;
    memset(&ss, 0x5a, sizeof ss);
    r = syscall(SYS_sigaltstack, NULL, &ss);
    check("sigaltstack query", r == 0 && ss.flags == SS_DISABLE,
          r ? errno_name(errno) : "flags are not SS_DISABLE");
    struct kstack set = { altstack_area, 0, sizeof altstack_area }, got, off;
    r1 = syscall(SYS_sigaltstack, &set, NULL);
    r2 = syscall(SYS_sigaltstack, NULL, &got);
    struct kstack disable = { NULL, SS_DISABLE, 0 };
    r3 = syscall(SYS_sigaltstack, &disable, NULL);
    r4 = syscall(SYS_sigaltstack, NULL, &off);
    check("sigaltstack set and read back", r1 == 0 && r2 == 0 && r3 == 0 && r4 == 0 &&
                                               got.sp == altstack_area && got.flags == 0 &&
                                               got.size == sizeof altstack_area &&
                                               off.flags == SS_DISABLE,
          "the installed stack is not reported back");
    struct kstack tiny = { altstack_area, 0, 1024 };
    r = syscall(SYS_sigaltstack, &tiny, NULL);
    check_errno("sigaltstack too small", r, errno, ENOMEM);

    r = syscall(SYS_sched_yield);
    check("sched_yield", r == 0, "%s", errno_name(errno));

    /* Nobody waits on a private word; a wait on a changed value returns at once. */
    struct ktimespec32 to32 = { 0, 10 * 1000 * 1000 };
    r = syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    check("futex FUTEX_WAKE", r == 0, r < 0 ? errno_name(errno) : "woke a waiter");
    r = syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, futex_word + 1, &to32, NULL, 0);
    check_errno("futex FUTEX_WAIT mismatch", r, errno, EAGAIN);

    /* futex_time64: the same answers, or ENOSYS for both from an emulator without it. */
    struct ktimespec64 to64 = { 0, 10 * 1000 * 1000 };
    r1 = syscall(SYS_futex_time64, &futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    int e1 = errno;
    r2 = syscall(SYS_futex_time64, &futex_word, FUTEX_WAIT_PRIVATE, futex_word + 1, &to64, NULL, 0);
    int e2 = errno;
    int real = r1 == 0 && r2 == -1 && e2 == EAGAIN;
    int absent = r1 == -1 && e1 == ENOSYS && r2 == -1 && e2 == ENOSYS;
    handled("futex_time64", real || absent, r1 != 0 ? e1 : e2);
}
