/*
 * hello: the smallest useful phone image program.
 *
 * Usage: hello [args...]
 *   Run with the image's home directory as the current directory: it reads
 *   ./motd.txt and briefly creates (then removes) ./hello.tmp.
 *
 * Every byte it prints is deterministic: it shows arguments, two environment
 * variables and file contents, and reports properties of the clocks rather
 * than their values, so the output is the same on every run and under every
 * correct ARM Linux user-mode emulator given the same files and arguments.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* 2001-01-01T00:00:00Z: any sane wall clock is past this. */
#define EPOCH_2001 978307200L

static int failures;

static void fail(const char *what)
{
    printf("%s: FAIL (%s)\n", what, strerror(errno));
    failures++;
}

static void show_env(const char *name)
{
    const char *value = getenv(name);
    if (value)
        printf("env %s=%s\n", name, value);
    else
        printf("env %s unset\n", name);
}

/* Copy ./motd.txt to stdout, framed so a missing final newline is visible. */
static void show_motd(void)
{
    FILE *f = fopen("motd.txt", "r");
    if (!f) {
        fail("motd");
        return;
    }
    char buf[512];
    size_t n, total = 0;
    printf("--- motd.txt ---\n");
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        fwrite(buf, 1, n, stdout);
        total += n;
    }
    if (ferror(f))
        fail("motd read");
    fclose(f);
    printf("--- end (%zu bytes) ---\n", total);
}

/* Write a small file, read it back, compare, and remove it again. */
static void file_roundtrip(void)
{
    static const char path[] = "hello.tmp";
    static const char text[] = "written by hello, read back by hello\n";
    const size_t len = sizeof text - 1;

    FILE *f = fopen(path, "w");
    if (!f) {
        fail("file write");
        return;
    }
    if (fwrite(text, 1, len, f) != len || fclose(f) != 0) {
        fail("file write");
        remove(path);
        return;
    }

    char back[sizeof text];
    f = fopen(path, "r");
    if (!f) {
        fail("file reopen");
        remove(path);
        return;
    }
    size_t got = fread(back, 1, sizeof back, f);
    fclose(f);
    if (remove(path) != 0)
        fail("file remove");

    if (got == len && memcmp(back, text, len) == 0) {
        printf("file roundtrip: ok (%zu bytes)\n", len);
    } else {
        printf("file roundtrip: FAIL (read %zu of %zu bytes)\n", got, len);
        failures++;
    }
}

static long long ns_between(const struct timespec *a, const struct timespec *b)
{
    return (long long)(b->tv_sec - a->tv_sec) * 1000000000LL + (b->tv_nsec - a->tv_nsec);
}

/* Time must move forward, and a 10 ms sleep must take at least 10 ms. */
static void clocks(void)
{
    struct timespec t0, t1;
    if (clock_gettime(CLOCK_MONOTONIC, &t0) != 0) {
        fail("clock_gettime");
        return;
    }
    const struct timespec nap = { 0, 10 * 1000 * 1000 };
    struct timespec rest = nap;
    /* Restart after a signal with what is left, so the sleep is whole. */
    while (nanosleep(&rest, &rest) != 0) {
        if (errno != EINTR) {
            fail("nanosleep");
            return;
        }
    }
    if (clock_gettime(CLOCK_MONOTONIC, &t1) != 0) {
        fail("clock_gettime");
        return;
    }
    long long elapsed = ns_between(&t0, &t1);
    if (elapsed >= 10 * 1000 * 1000LL) {
        printf("nanosleep: ok\n");
    } else {
        printf("nanosleep: FAIL (slept less than 10 ms)\n");
        failures++;
    }

    time_t now = time(NULL);
    if (now == (time_t)-1)
        fail("time");
    else if ((long long)now > EPOCH_2001)
        printf("time: after 2001\n");
    else {
        printf("time: FAIL (before 2001)\n");
        failures++;
    }
}

int main(int argc, char **argv)
{
    printf("hello from an ARM phone image\n");
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    show_env("HOME");
    show_env("LANG");
    show_motd();
    file_roundtrip();
    clocks();
    printf("bye (%d failures)\n", failures);
    return failures ? 1 : 0;
}
