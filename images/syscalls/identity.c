/*
 * Process identity and limits, and the system-wide queries.
 */
#define _GNU_SOURCE

#include "kabi.h"
#include "check.h"
#include "fixtures.h"
#include "topics.h"

/* ---- process identity and limits ---- */

static int tid_slot;
static struct krobust_list_head robust_head = { &robust_head, 0, NULL };

/* rseq wants a 32-byte aligned area of at least 32 bytes. */
static struct { uint32_t words[8]; } __attribute__((aligned(32))) rseq_area;

/* A 16-bit id call: equal to the 32-bit id when that fits, else a 16-bit value. */
static void check_id16(const char *name, long nr, long id32)
{
    errno = 0;
    long v = syscall(nr);
    if (v == -1)
        check(name, 0, "%s", errno_name(errno));
    else if ((unsigned long)id32 < 65535)
        check(name, v == id32, "differs from the 32-bit call");
    else
        check(name, v >= 0 && v <= 65535, "not a 16-bit id");
}

void test_identity(void)
{
    long pid = syscall(SYS_getpid);
    check("getpid", pid > 0, "returned %ld", pid);

    long tid = syscall(SYS_gettid);
    check("gettid", tid == pid, "differs from getpid in a single-threaded process");

    long ppid = syscall(SYS_getppid);
    check("getppid", ppid >= 0, "returned a negative value");

    /* The ids themselves depend on the host; only success is checked. */
    errno = 0;
    long uid = syscall(SYS_getuid32);
    check("getuid32", uid != -1, "%s", errno_name(errno));
    long euid = syscall(SYS_geteuid32);
    check("geteuid32", euid != -1, "%s", errno_name(errno));
    long gid = syscall(SYS_getgid32);
    check("getgid32", gid != -1, "%s", errno_name(errno));
    long egid = syscall(SYS_getegid32);
    check("getegid32", egid != -1, "%s", errno_name(errno));

    /* Real and effective ids agree with the single calls; after an exec
       of a program that is not set-id, the saved ids equal the effective
       ones. */
    uint32_t ids[3] = { 0, 0, 0 };
    long r = syscall(SYS_getresuid32, &ids[0], &ids[1], &ids[2]);
    check("getresuid32", r == 0 && ids[0] == (uint32_t)uid && ids[1] == (uint32_t)euid &&
                             ids[2] == ids[1],
          r ? errno_name(errno) : "disagrees with getuid32/geteuid32");
    r = syscall(SYS_getresgid32, &ids[0], &ids[1], &ids[2]);
    check("getresgid32", r == 0 && ids[0] == (uint32_t)gid && ids[1] == (uint32_t)egid &&
                             ids[2] == ids[1],
          r ? errno_name(errno) : "disagrees with getgid32/getegid32");

    /* The old 16-bit calls agree whenever the id fits in 16 bits. */
    check_id16("getuid", SYS_getuid, uid);
    check_id16("geteuid", SYS_geteuid, euid);
    check_id16("getgid", SYS_getgid, gid);
    check_id16("getegid", SYS_getegid, egid);

    /* Setting an id to its current value is always permitted. */
    r = syscall(SYS_setuid32, uid);
    check("setuid32 current uid", r == 0, "%s", errno_name(errno));
    r = syscall(SYS_setgid32, gid);
    check("setgid32 current gid", r == 0, "%s", errno_name(errno));
    check("ids unchanged after set", syscall(SYS_getuid32) == uid && syscall(SYS_getgid32) == gid,
          "setuid32/setgid32 changed the ids");

    /* umask returns the previous mask; the starting value is the host's,
       so it is only put back, never printed. */
    long old = syscall(SYS_umask, 022);
    long mid = syscall(SYS_umask, 077);
    long back = syscall(SYS_umask, old);
    check("umask", old >= 0 && old <= 0777 && mid == 022 && back == 077,
          "did not return the previous mask");

    r = syscall(SYS_set_tid_address, &tid_slot);
    check("set_tid_address", r == tid, "did not return the thread id");

    /*
     * Linux accepts the list; some user-mode emulators (qemu-user among
     * them) cannot forward robust futexes to the host and answer ENOSYS,
     * which glibc tolerates. Both are handled; anything else is not. The
     * size check then expects whichever answer the first call implied.
     */
    r = syscall(SYS_set_robust_list, &robust_head, sizeof robust_head);
    int e = errno;
    int robust = r == 0;
    handled("set_robust_list", robust || e == ENOSYS, e);
    r = syscall(SYS_set_robust_list, &robust_head, sizeof robust_head + 1);
    check_errno("set_robust_list bad size", r, errno, robust ? EINVAL : ENOSYS);

    /*
     * glibc may already have registered its own rseq area at startup, in
     * which case a second registration is refused (EINVAL for a different
     * area, EBUSY for the same one); a kernel or emulator without rseq says
     * ENOSYS. Any of these, or success, is a correct answer.
     */
    r = syscall(SYS_rseq, &rseq_area, sizeof rseq_area, 0, 0x53053053);
    e = errno;
    handled("rseq", r == 0 || e == ENOSYS || e == EBUSY || e == EINVAL, e);
}

void test_system(void)
{
    struct utsname u;
    long r = syscall(SYS_uname, &u);
    if (r != 0)
        check("uname", 0, "%s", errno_name(errno));
    else
        check("uname", strcmp(u.sysname, "Linux") == 0 && strncmp(u.machine, "arm", 3) == 0,
              "sysname is not Linux or machine does not start with arm");

    struct sysinfo si;
    r = syscall(SYS_sysinfo, &si);
    if (r != 0)
        check("sysinfo", 0, "%s", errno_name(errno));
    else
        check("sysinfo", si.totalram > 0 && si.mem_unit > 0, "totalram or mem_unit is zero");

    struct krlimit64 rl64;
    r = syscall(SYS_prlimit64, 0, RLIMIT_STACK, NULL, &rl64);
    if (r != 0)
        check("prlimit64", 0, "%s", errno_name(errno));
    else
        check("prlimit64", rl64.cur > 0 && rl64.cur <= rl64.max, "bad RLIMIT_STACK values");

    struct krlimit32 rl32;
    r = syscall(SYS_ugetrlimit, RLIMIT_STACK, &rl32);
    if (r != 0)
        check("ugetrlimit", 0, "%s", errno_name(errno));
    else
        check("ugetrlimit", rl32.cur > 0, "RLIMIT_STACK soft limit is zero");
    /* The 32-bit call reports the same limit, saturated at RLIM_INFINITY. */
    if (r == 0) {
        uint64_t c = rl64.cur;
        check("ugetrlimit agrees with prlimit64",
              c < 0x7fffffffu ? rl32.cur == c : rl32.cur == 0xffffffffu || rl32.cur == c,
              "different RLIMIT_STACK soft limit");
    }
    r = syscall(SYS_prlimit64, 0, 99, NULL, &rl64);
    check_errno("prlimit64 bad resource", r, errno, EINVAL);
}
