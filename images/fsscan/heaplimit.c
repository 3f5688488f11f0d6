/*
 * Heap sizing for fsscan: how big the managed heap may grow on this device.
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "heap.h"

#define MiB (1024u * 1024u)

/* ------------------------------------------------------------------------
 * Heap sizing
 *
 * Android fixed the Dalvik heap limit per device (dalvik.vm.heapsize) at
 * roughly a twelfth of the phone's RAM: 16 MB on the 192 MB HTC G1. We
 * apply that ratio to the RAM this machine reports, so the same binary gets
 * a phone's heap on a phone and a server's heap on a server:
 *
 *   limit = floor(MemTotal in MiB / 12) MiB, clamped to [16, 256] MiB
 *
 * MemTotal comes from /proc/meminfo, or from sysinfo() when that file cannot
 * be read. The floor is the least Android's compatibility definition let a
 * device give an app; the ceiling stands for "more than this scan needs".
 * FSSCAN_HEAP_MB replaces the rule (unclamped) for experiments.
 *
 * Under the rule the limit is not final: like a Java VM whose heap limit
 * follows physical memory, the heap applies the rule again whenever it is
 * about to collect (heap_limit_from_ram), so a process that finds itself on
 * a machine with more RAM, as a scan migrated to the clone does, grows its
 * heap there instead of collecting. An FSSCAN_HEAP_MB limit stays fixed.
 * ---------------------------------------------------------------------- */

#define HEAP_RAM_DIVISOR 12
#define HEAP_MIN_MB 16
#define HEAP_MAX_MB 256
#define HEAP_OVERRIDE_MIN (64u * 1024u) /* smallest heap the override allows */
#define HEAP_OVERRIDE_MAX_MB 2048.0

/* MemTotal in KiB from /proc/meminfo, or 0 when unavailable. */
static uint64_t meminfo_total_kb(void)
{
    /* Not on the stack, and cleared after use: the file is read again before
       every collection, and its other lines (MemFree, ...) change from one
       reading to the next. Left in memory, they would make the memory of two
       runs that computed the same thing differ. */
    static char buf[4096];
    int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    size_t got = 0;
    for (;;) {
        ssize_t r = read(fd, buf + got, sizeof buf - 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
        if (got == sizeof buf - 1)
            break;
    }
    close(fd);
    buf[got] = '\0';
    /* MemTotal is the first line in practice, but search for it anyway. */
    const char *line = buf;
    while (line && strncmp(line, "MemTotal:", 9) != 0) {
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    uint64_t kb = line ? strtoull(line + 9, NULL, 10) : 0;
    memset(buf, 0, got);
    return kb;
}

size_t heap_limit_from_ram(char *why, size_t whylen)
{
    const char *source = "MemTotal";
    uint64_t kb = meminfo_total_kb();
    if (kb == 0) {
        struct sysinfo si;
        source = "sysinfo";
        if (sysinfo(&si) == 0)
            kb = (uint64_t)si.totalram * (si.mem_unit ? si.mem_unit : 1) / 1024;
    }
    uint64_t ram_mb = kb / 1024;
    uint64_t mb = ram_mb / HEAP_RAM_DIVISOR;
    if (mb < HEAP_MIN_MB)
        mb = HEAP_MIN_MB;
    if (mb > HEAP_MAX_MB)
        mb = HEAP_MAX_MB;
    snprintf(why, whylen, "%s %" PRIu64 " kB: %" PRIu64 " MB RAM / %d, clamped to [%d, %d] MB", source, kb, ram_mb,
             HEAP_RAM_DIVISOR, HEAP_MIN_MB, HEAP_MAX_MB);
    return (size_t)mb * MiB;
}

size_t heap_limit_bytes(char *why, size_t whylen, size_t *most)
{
    const char *env = getenv("FSSCAN_HEAP_MB");
    if (env && *env) {
        char *end;
        double mb = strtod(env, &end);
        if (*end != '\0' || !(mb > 0) || mb > HEAP_OVERRIDE_MAX_MB) {
            fprintf(stderr, "fsscan: FSSCAN_HEAP_MB must be a number in (0, %.0f]\n", HEAP_OVERRIDE_MAX_MB);
            exit(2);
        }
        size_t bytes = (size_t)(mb * MiB) & ~(size_t)7;
        if (bytes < HEAP_OVERRIDE_MIN)
            bytes = HEAP_OVERRIDE_MIN;
        snprintf(why, whylen, "FSSCAN_HEAP_MB=%s", env);
        *most = bytes;
        return bytes;
    }
    *most = (size_t)HEAP_MAX_MB * MiB;
    return heap_limit_from_ram(why, whylen);
}
