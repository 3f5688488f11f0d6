/*
 * Memory: the program break, anonymous mappings and file mappings.
 */
#define _GNU_SOURCE

#include "kabi.h"
#include "check.h"
#include "fixtures.h"
#include "topics.h"

/* ---- memory ---- */


void test_brk(void)
{
    uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
    if (cur == 0) {
        check("brk", 0, "brk(0) returned 0");
        return;
    }
    const uintptr_t grow = 64 * 1024;
    uintptr_t up = (uintptr_t)syscall(SYS_brk, cur + grow);
    if (up != cur + grow) {
        check("brk", 0, "could not grow the break by 64 KiB");
        return;
    }
    /* The new memory must be usable; then give it back. */
    fill((uint8_t *)cur, grow, 1);
    size_t bad = verify((const uint8_t *)cur, grow, 1);
    uintptr_t down = (uintptr_t)syscall(SYS_brk, cur);
    check("brk", bad == grow && down == cur, bad != grow ? "grown memory lost data"
                                                          : "could not shrink the break back");
}

void test_anon_memory(void)
{
    const size_t len = 4 * PAGE;
    uint8_t *p = sys_mmap2(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        check("mmap2 anonymous", 0, "%s", errno_name(errno));
        return;
    }
    int zero = all_zero(p, len);
    fill(p, len, 2);
    check("mmap2 anonymous", zero && verify(p, len, 2) == len,
          zero ? "memory does not hold data" : "fresh memory is not zeroed");

    /* RW -> R: reads still work (a write would fault, so none is tried). */
    long r = syscall(SYS_mprotect, p, len, PROT_READ);
    size_t bad = verify(p, len, 2);
    long r2 = syscall(SYS_mprotect, p, len, PROT_READ | PROT_WRITE);
    check("mprotect", r == 0 && r2 == 0 && bad == len,
          r || r2 ? "mprotect failed" : "contents changed");
    r = syscall(SYS_mprotect, p + 1, PAGE, PROT_READ);
    check_errno("mprotect unaligned", r, errno, EINVAL);

    /* Advice on whole pages is accepted and keeps the data; the start must be aligned. */
    r = syscall(SYS_madvise, p, len, MADV_NORMAL);
    check("madvise", r == 0 && verify(p, len, 2) == len,
          r ? errno_name(errno) : "contents changed");
    r = syscall(SYS_madvise, p + 1, PAGE, MADV_NORMAL);
    check_errno("madvise unaligned", r, errno, EINVAL);

    /* Grow one page to eight with MREMAP_MAYMOVE: old bytes kept, new zero. */
    r = syscall(SYS_munmap, p + PAGE, len - PAGE);
    check("munmap", r == 0, "%s", errno_name(errno));
    r = syscall(SYS_munmap, p + 1, PAGE);
    check_errno("munmap unaligned", r, errno, EINVAL);

    const size_t big = 8 * PAGE;
    uint8_t *q = (uint8_t *)syscall(SYS_mremap, p, PAGE, big, MREMAP_MAYMOVE);
    if (q == MAP_FAILED) {
        check("mremap grow", 0, "%s", errno_name(errno));
        syscall(SYS_munmap, p, PAGE);
        return;
    }
    int kept = verify(q, PAGE, 2) == PAGE;
    int fresh = all_zero(q + PAGE, big - PAGE);
    fill(q, big, 3); /* the whole grown region must be writable */
    check("mremap grow", kept && fresh && verify(q, big, 3) == big,
          !kept ? "old contents lost" : !fresh ? "new pages not zeroed" : "grown region unusable");
    r = syscall(SYS_munmap, q, big);
    check("munmap grown", r == 0, "%s", errno_name(errno));
}

/* File-backed private mapping of work/data.bin (8 KiB of pattern salt 5). */
void test_file_mapping(void)
{
    long fd = sys_openat(WORK "/data.bin", O_RDWR, 0);
    if (fd < 0) {
        check("mmap2 file private", 0, "open: %s", errno_name(errno));
        return;
    }
    /* Map the second page only: offsets are in 4 KiB units for mmap2. */
    uint8_t *p = sys_mmap2(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 1);
    if (p == MAP_FAILED) {
        check("mmap2 file private", 0, "%s", errno_name(errno));
        sys_close(fd);
        return;
    }
    uint8_t expect[PAGE];
    for (uint32_t i = 0; i < PAGE; i++)
        expect[i] = pattern(PAGE + i, 5);
    int same = memcmp(p, expect, PAGE) == 0;
    check("mmap2 file private", same, "mapping does not match the file at offset 4096");

    /* A private mapping is copy-on-write: the file must not change. */
    memset(p, 0xAA, 64);
    uint8_t back[64];
    long n = sys_pread64(fd, back, sizeof back, PAGE);
    check("mmap2 private copy-on-write", n == 64 && memcmp(back, expect, 64) == 0 && p[0] == 0xAA,
          "write through MAP_PRIVATE reached the file or was lost");
    syscall(SYS_munmap, p, PAGE);

    p = sys_mmap2(NULL, PAGE, PROT_READ, MAP_PRIVATE, 12345, 0);
    check_errno("mmap2 bad fd", p == MAP_FAILED ? -1 : 0, errno, EBADF);
    sys_close(fd);
}
