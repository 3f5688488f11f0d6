/*
 * Faulting in fresh guest pages on a second thread while the caller fills them. The first write
 * to a fresh anonymous page costs about 1.5 us on the hosts this runs on (the kernel allocates
 * and zeroes it, the hypervisor backs it), which is most of a restore's time when done inline.
 * MADV_POPULATE_WRITE allocates the pages without changing their contents, so the caller may
 * write the same pages at the same time: whichever side gets to a page first faults it in.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define PREFAULT_PAGE 4096u

typedef struct {
    pthread_t thread;
    uint8_t *base;
    uint32_t *runs; /* pairs: first page, page count */
    uint32_t count;
    int failed;
} prefault_t;

static void *prefault_run(void *arg) {
    prefault_t *p = arg;
    for (uint32_t i = 0; i < p->count; i++) {
        /* madvise takes whole host pages: a base that is not page-aligned (an ArrayBuffer's) leaves
         * out the partial pages at either end, which the caller's writes fault in as usual. */
        uintptr_t from = (uintptr_t)(p->base + (uint64_t)p->runs[2 * i] * PREFAULT_PAGE);
        uintptr_t to = from + (uint64_t)p->runs[2 * i + 1] * PREFAULT_PAGE;
        from = (from + PREFAULT_PAGE - 1) & ~(uintptr_t)(PREFAULT_PAGE - 1);
        to &= ~(uintptr_t)(PREFAULT_PAGE - 1);
        if (to <= from)
            continue;
        if (madvise((void *)from, to - from, MADV_POPULATE_WRITE) != 0) {
            /* Not supported, or no memory: the caller's own writes fault the pages in instead. */
            p->failed = 1;
            break;
        }
    }
    return NULL;
}

/* Start faulting in pages[0..n) (ascending) of base; NULL when nothing was started. */
void *cc_prefault_start(uint8_t *base, const uint32_t *pages, uint32_t n) {
    if (n == 0) return NULL;
    prefault_t *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->runs = malloc(sizeof(uint32_t) * 2 * n);
    if (!p->runs) {
        free(p);
        return NULL;
    }
    p->base = base;
    for (uint32_t i = 0; i < n; i++) {
        if (p->count && p->runs[2 * (p->count - 1)] + p->runs[2 * (p->count - 1) + 1] == pages[i]) {
            p->runs[2 * (p->count - 1) + 1]++;
        } else {
            p->runs[2 * p->count] = pages[i];
            p->runs[2 * p->count + 1] = 1;
            p->count++;
        }
    }
    if (pthread_create(&p->thread, NULL, prefault_run, p) != 0) {
        free(p->runs);
        free(p);
        return NULL;
    }
    return p;
}

/* Wait for the thread started by cc_prefault_start and free it; 1 when it had to stop early. */
int cc_prefault_join(void *handle) {
    prefault_t *p = handle;
    if (!p) return 0;
    pthread_join(p->thread, NULL);
    int failed = p->failed;
    free(p->runs);
    free(p);
    return failed;
}
