/*
 * memtouch: a guest for measuring checkpoint speed. It dirties a known
 * amount of memory between markers, so a host that stops after each marker
 * can capture a checkpoint with a known number of dirty pages.
 *
 * Usage: memtouch [size_mb] [pct ...]
 *   size_mb  MiB of anonymous memory to map and fill (default 176: with the
 *            program and its 8 MiB stack that fits the 192 MB of the HTC G1,
 *            its image's profile, whose RAM bounds what a guest may map).
 *   pct      one rewrite phase per argument: that percentage of the pages,
 *            spread evenly over the buffer, gets new contents (default
 *            phases: 0.1 1 10).
 *
 * The marker is a getpid() system call, made once after the buffer is
 * filled and once after each phase. Every page is filled from an xorshift
 * stream, so no two pages are alike and none is all zeros: a content-
 * addressed store cannot deduplicate them against each other. The program
 * prints one line with the page count and a checksum of the final buffer;
 * the output is the same on every run.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096u
#define WORDS_PER_PAGE (PAGE / sizeof(uint32_t))
#define DEFAULT_MB 176u

static const char *const default_phases[] = { "0.1", "1", "10" };

/* xorshift32: state must never be zero. */
static uint32_t rng_state = 2463534242u;

static uint32_t rng(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

/* Mark a step for the host; a raw syscall so libc cannot cache the pid. */
static void marker(void)
{
    syscall(SYS_getpid);
}

/* Fill one page; xorshift32 never yields 0, so the page is never all zeros. */
static void fill_page(uint32_t *page)
{
    for (unsigned i = 0; i < WORDS_PER_PAGE; i++)
        page[i] = rng();
}

/*
 * Rewrite `count` of the `pages` pages, evenly spaced. Fixed-point steps
 * keep the spacing exact without floating point in the loop.
 */
static void rewrite(uint32_t *buf, size_t pages, size_t count)
{
    for (size_t k = 0; k < count; k++) {
        size_t p = (size_t)((uint64_t)k * pages / count);
        fill_page(buf + p * WORDS_PER_PAGE);
    }
}

/* Pages to rewrite for `pct` percent of `pages`; at least one for any pct > 0. */
static size_t pages_for(const char *arg, size_t pages)
{
    char *end;
    double pct = strtod(arg, &end);
    if (*end != '\0' || !(pct >= 0.0 && pct <= 100.0)) {
        fprintf(stderr, "memtouch: percentage must be 0 to 100, got '%s'\n", arg);
        exit(2);
    }
    size_t n = (size_t)(pct / 100.0 * (double)pages + 0.5);
    if (n == 0 && pct > 0.0)
        n = 1;
    return n;
}

/* FNV-1a over one word of every page: cheap, yet it sees every rewrite. */
static uint32_t checksum(const uint32_t *buf, size_t pages)
{
    uint32_t h = 2166136261u;
    for (size_t p = 0; p < pages; p++) {
        uint32_t v = buf[p * WORDS_PER_PAGE + (p % WORDS_PER_PAGE)];
        for (int i = 0; i < 4; i++) {
            h ^= (v >> (8 * i)) & 0xffu;
            h *= 16777619u;
        }
    }
    return h;
}

int main(int argc, char **argv)
{
    unsigned long mb = DEFAULT_MB;
    if (argc > 1) {
        char *end;
        mb = strtoul(argv[1], &end, 10);
        if (*end != '\0' || mb == 0 || mb > 2048) {
            fprintf(stderr, "memtouch: size_mb must be 1 to 2048, got '%s'\n", argv[1]);
            return 2;
        }
    }
    const char *const *phases = argc > 2 ? (const char *const *)argv + 2 : default_phases;
    int nphases = argc > 2 ? argc - 2 : (int)(sizeof default_phases / sizeof *default_phases);

    size_t pages = (size_t)mb * (1u << 20) / PAGE;
    uint32_t *buf = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) {
        perror("memtouch: mmap");
        return 1;
    }
    for (size_t p = 0; p < pages; p++)
        fill_page(buf + p * WORDS_PER_PAGE);
    marker();

    for (int i = 0; i < nphases; i++) {
        rewrite(buf, pages, pages_for(phases[i], pages));
        marker();
    }
    printf("memtouch: %zu pages, %d phases, checksum %08x\n", pages, nphases, (unsigned)checksum(buf, pages));
    return 0;
}
