/*
 * Clocks, sleeps and timers.
 */
#define _GNU_SOURCE

#include "kabi.h"
#include "check.h"
#include "fixtures.h"
#include "topics.h"

/* ---- time ---- */

/* Monotonic nanoseconds through the 64-bit call. */
static long long mono_ns(void)
{
    struct ktimespec64 t = { 0, 0 };
    syscall(SYS_clock_gettime64, CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Resolutions: positive and below a second; NULL is allowed; unknown clocks are refused. */
static void test_clock_res(void)
{
    struct ktimespec32 r32 = { -1, -1 };
    long r = syscall(SYS_clock_getres, CLOCK_MONOTONIC, &r32);
    check("clock_getres", r == 0 && r32.tv_sec == 0 && r32.tv_nsec > 0,
          r ? errno_name(errno) : "resolution is not in (0, 1 s)");
    r = syscall(SYS_clock_getres, CLOCK_REALTIME, NULL);
    check("clock_getres NULL", r == 0, "%s", errno_name(errno));
    r = syscall(SYS_clock_getres, 99, &r32);
    check_errno("clock_getres bad clock", r, errno, EINVAL);

    struct ktimespec64 r64 = { -1, -1 };
    r = syscall(SYS_clock_getres_time64, CLOCK_MONOTONIC, &r64);
    check("clock_getres_time64", r == 0 && r64.tv_sec == 0 && r64.tv_nsec == r32.tv_nsec,
          r ? errno_name(errno) : "disagrees with clock_getres");
    r = syscall(SYS_clock_getres_time64, 99, &r64);
    check_errno("clock_getres_time64 bad clock", r, errno, EINVAL);

    struct ktimespec64 m0, m1;
    long a = syscall(SYS_clock_gettime64, CLOCK_MONOTONIC, &m0);
    long b = syscall(SYS_clock_gettime64, CLOCK_MONOTONIC, &m1);
    int nondec = m1.tv_sec > m0.tv_sec || (m1.tv_sec == m0.tv_sec && m1.tv_nsec >= m0.tv_nsec);
    check("clock_gettime64 monotonic", a == 0 && b == 0 && nondec,
          a || b ? "error" : "went backwards");
    r = syscall(SYS_clock_gettime64, 99, &m0);
    check_errno("clock_gettime64 bad clock", r, errno, EINVAL);
}

/*
 * clock_nanosleep and its time64 twin: a relative 1 ms sleep lasts at
 * least 1 ms; an absolute time already past returns at once; a bad
 * tv_nsec is EINVAL (the raw call reports errors like any other).
 */
static void test_clock_nanosleep(void)
{
    long long t0 = mono_ns();
    struct ktimespec32 ms32 = { 0, 1000 * 1000 };
    long r = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ms32, NULL);
    long long t1 = mono_ns();
    check("clock_nanosleep relative", r == 0 && t1 - t0 >= 1000 * 1000,
          r ? "error" : "slept less than 1 ms");

    struct ktimespec32 past32 = { (int32_t)(t0 / 1000000000LL), (int32_t)(t0 % 1000000000LL) };
    r = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &past32, NULL);
    long long t2 = mono_ns();
    check("clock_nanosleep TIMER_ABSTIME past", r == 0 && t2 - t1 < 500 * 1000 * 1000LL,
          r ? "error" : "slept although the time had passed");

    struct ktimespec32 bad32 = { 0, 1000 * 1000 * 1000 };
    r = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &bad32, NULL);
    check_errno("clock_nanosleep bad tv_nsec", r, errno, EINVAL);

    t0 = mono_ns();
    struct ktimespec64 ms64 = { 0, 1000 * 1000 };
    r = syscall(SYS_clock_nanosleep_time64, CLOCK_MONOTONIC, 0, &ms64, NULL);
    t1 = mono_ns();
    check("clock_nanosleep_time64 relative", r == 0 && t1 - t0 >= 1000 * 1000,
          r ? "error" : "slept less than 1 ms");

    struct ktimespec64 past64 = { t0 / 1000000000LL, t0 % 1000000000LL };
    r = syscall(SYS_clock_nanosleep_time64, CLOCK_MONOTONIC, TIMER_ABSTIME, &past64, NULL);
    t2 = mono_ns();
    check("clock_nanosleep_time64 TIMER_ABSTIME past", r == 0 && t2 - t1 < 500 * 1000 * 1000LL,
          r ? "error" : "slept although the time had passed");

    struct ktimespec64 bad64 = { 0, 1000 * 1000 * 1000 };
    r = syscall(SYS_clock_nanosleep_time64, CLOCK_MONOTONIC, 0, &bad64, NULL);
    check_errno("clock_nanosleep_time64 bad tv_nsec", r, errno, EINVAL);
}

void test_time(void)
{
    struct ktimespec32 rt, m0, m1;
    long r = syscall(SYS_clock_gettime, CLOCK_REALTIME, &rt);
    check("clock_gettime realtime", r == 0 && rt.tv_sec > EPOCH_2001 && rt.tv_nsec >= 0 &&
                                        rt.tv_nsec < 1000000000,
          "bad value or error");

    long a = syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &m0);
    long b = syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &m1);
    int nondec = m1.tv_sec > m0.tv_sec || (m1.tv_sec == m0.tv_sec && m1.tv_nsec >= m0.tv_nsec);
    check("clock_gettime monotonic", a == 0 && b == 0 && nondec,
          a || b ? "error" : "went backwards");

    /* The 64-bit time call that glibc 2.34+ uses first on 32-bit ARM. */
    struct ktimespec64 rt64;
    r = syscall(SYS_clock_gettime64, CLOCK_REALTIME, &rt64);
    if (r != 0)
        check("clock_gettime64", 0, "%s", errno_name(errno));
    else
        check("clock_gettime64", rt64.tv_sec >= rt.tv_sec && rt64.tv_sec <= rt.tv_sec + 5 &&
                                     rt64.tv_nsec >= 0 && rt64.tv_nsec < 1000000000,
              "disagrees with clock_gettime");

    struct ktimeval32 tv;
    r = syscall(SYS_gettimeofday, &tv, NULL);
    if (r != 0)
        check("gettimeofday", 0, "%s", errno_name(errno));
    else
        check("gettimeofday", tv.tv_sec >= rt.tv_sec && tv.tv_sec <= rt.tv_sec + 5 &&
                                  tv.tv_usec >= 0 && tv.tv_usec < 1000000,
              "disagrees with clock_gettime");

    /* There is no time syscall in the EABI table; glibc builds time() on
       the clock calls, which is what a program sees. */
    time_t t = time(NULL);
    check("time", (long long)t >= rt.tv_sec && (long long)t <= rt.tv_sec + 5,
          "disagrees with clock_gettime");

    struct timespec s0, s1;
    clock_gettime(CLOCK_MONOTONIC, &s0);
    struct ktimespec32 nap = { 0, 10 * 1000 * 1000 }, rest;
    r = syscall(SYS_nanosleep, &nap, &rest);
    clock_gettime(CLOCK_MONOTONIC, &s1);
    long long ns = (long long)(s1.tv_sec - s0.tv_sec) * 1000000000LL + (s1.tv_nsec - s0.tv_nsec);
    check("nanosleep", r == 0 && ns >= 10 * 1000 * 1000LL,
          r ? "error" : "slept less than 10 ms");
    struct ktimespec32 bad = { 0, 1000 * 1000 * 1000 };
    r = syscall(SYS_nanosleep, &bad, NULL);
    check_errno("nanosleep bad tv_nsec", r, errno, EINVAL);

    test_clock_res();
    test_clock_nanosleep();

    uint8_t rnd[16];
    r = syscall(SYS_getrandom, rnd, sizeof rnd, 0);
    check("getrandom", r == (long)sizeof rnd, "returned %ld instead of 16", r);
    r = syscall(SYS_getrandom, rnd, sizeof rnd, GRND_NONBLOCK);
    check("getrandom GRND_NONBLOCK", r == (long)sizeof rnd, "returned %ld instead of 16", r);
    r = syscall(SYS_getrandom, rnd, sizeof rnd, 0x40000000);
    check_errno("getrandom bad flags", r, errno, EINVAL);
}
