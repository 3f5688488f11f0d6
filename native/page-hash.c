/*
 * Content hashes of many 4 KiB pages at once, for checkpoint capture and restore. A page's hash is
 * the one emulator/snapshot/page-hash.ts defines: XXH64 with seed 0, then XXH64 with seed
 * 0x9e3779b97f4a7c15, each stored big-endian (16 bytes). Doing it here instead of page by page in
 * WebAssembly saves copying every page into the wasm heap twice, and lets the pages be split over
 * threads: the callers hand over a whole checkpoint's pages in one call.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define HASH_PAGE 4096u
#define SEED_B 0x9e3779b97f4a7c15ULL
/* Below this many pages a thread costs more to start than it saves. */
#define PAGES_PER_THREAD 512u
#define MAX_THREADS 16

static void put_be64(uint8_t *out, uint64_t v) {
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)v;
        v >>= 8;
    }
}

static int page_is_zero(const uint8_t *p) {
    const uint64_t *w = (const uint64_t *)p;
    uint64_t acc = 0;
    for (unsigned i = 0; i < HASH_PAGE / 8; i += 8)
        acc |= w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7];
    return acc == 0;
}

typedef struct {
    const uint8_t *base;
    const uint32_t *pages; /* page numbers, or NULL: page i is at base + i * 4096 */
    uint32_t from, to;
    uint8_t *hashes;
    uint8_t *zero; /* NULL: hash zero pages too */
    uint8_t *copies; /* NULL, or where page i's bytes are copied (at 4096 i) */
    uint32_t zeros;
} hash_job;

static void *hash_range(void *arg) {
    hash_job *j = (hash_job *)arg;
    for (uint32_t i = j->from; i < j->to; i++) {
        const uint8_t *p = j->base + (uint64_t)(j->pages ? j->pages[i] : i) * HASH_PAGE;
        if (j->zero) {
            j->zero[i] = (uint8_t)page_is_zero(p);
            if (j->zero[i]) {
                j->zeros++;
                memset(j->hashes + (uint64_t)i * 16, 0, 16);
                continue;
            }
        }
        put_be64(j->hashes + (uint64_t)i * 16, XXH64(p, HASH_PAGE, 0));
        put_be64(j->hashes + (uint64_t)i * 16 + 8, XXH64(p, HASH_PAGE, SEED_B));
        /* Copied while the page is still in the cache from hashing it. */
        if (j->copies)
            memcpy(j->copies + (uint64_t)i * HASH_PAGE, p, HASH_PAGE);
    }
    return NULL;
}

/*
 * Hash `n` pages: page pages[i] of `base` (or, with `pages` NULL, the i-th page from `base`) into
 * hashes[16 i ..]. With `zero` given, a page of zeros is flagged there (zero[i] = 1) and its hash
 * left as 16 zero bytes instead of computed. With `copies` given, each page that is not flagged
 * zero is also copied to copies[4096 i ..]. Up to `threads` threads share the work. Returns how
 * many pages were zero. A share whose thread cannot be started is hashed on the calling thread.
 */
int64_t cc_hash_pages(const uint8_t *base, const uint32_t *pages, uint32_t n, uint8_t *hashes, uint8_t *zero, uint8_t *copies,
                      int threads) {
    if (threads < 1) threads = 1;
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    uint32_t most = n / PAGES_PER_THREAD;
    if ((uint32_t)threads > most) threads = most ? (int)most : 1;
    hash_job jobs[MAX_THREADS];
    pthread_t tids[MAX_THREADS];
    int started[MAX_THREADS];
    uint32_t share = n / (uint32_t)threads;
    for (int t = 0; t < threads; t++) {
        jobs[t] = (hash_job){base, pages, share * (uint32_t)t, t == threads - 1 ? n : share * (uint32_t)(t + 1), hashes, zero, copies, 0};
        started[t] = 0;
    }
    /* The calling thread takes the first share itself. */
    for (int t = 1; t < threads; t++) started[t] = pthread_create(&tids[t], NULL, hash_range, &jobs[t]) == 0;
    hash_range(&jobs[0]);
    int64_t zeros = 0;
    for (int t = 0; t < threads; t++) {
        if (t > 0) {
            if (started[t]) pthread_join(tids[t], NULL);
            else hash_range(&jobs[t]);
        }
        zeros += jobs[t].zeros;
    }
    return zeros;
}
