/*
 * The managed heap of fsscan (see heap.h for how the program uses it).
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "heap.h"

/* ------------------------------------------------------------------------
 * The managed heap: a non-moving mark-sweep collector
 *
 * The heap is one reserved region as large as the limit can ever become.
 * Blocks of fewer than BIG_MIN bytes fill it from the bottom up to `top`;
 * bigger ones (I/O buffers, large arrays) fill it from the top down to
 * `lbot`, as allocators keep large objects apart: short-lived buffers
 * interleaved with long-lived small objects would leave, once freed, holes
 * far too small for a big array. The limit is reached when the two parts
 * together would pass it. Reserving the largest heap up front is what lets
 * the limit rise without moving an object; the reservation costs no memory,
 * because pages are committed only as the two ends first reach them (a
 * phone could not hold the whole reservation).
 *
 * Before a collection the limit is worked out again from the device's RAM
 * (heaplimit.c): when it is now larger, because the process has moved to a
 * machine with more memory, the heap grows instead of collecting.
 *
 * Every block starts with an 8-byte header holding the block size (a
 * multiple of 8, so bit 0 is free for the mark) and `nptrs`: the number of
 * leading pointer-sized payload words that are references to other heap
 * objects (or NULL). That one number describes every object shape here:
 * strings and byte buffers have none, arrays of references have one per
 * slot, structs put their references first.
 *
 * Free memory is kept in segregated lists: one exact-size list per small
 * block size (16..256 bytes) with a bitmap of non-empty lists, plus one
 * address-ordered first-fit list of larger blocks below `top`, and one
 * address-ordered first-fit list of free blocks above `lbot`. What lies
 * between `top` and `lbot` has never been handed out (or was given back by
 * the last sweep).
 *
 * A collection runs only when an allocation fits nowhere within the limit,
 * even a raised one.
 * Roots are the globals listed in gc_mark_roots() plus an explicit root stack:
 * code that holds an object across a call that may allocate pushes it. The
 * collector never moves objects, so a rooted pointer stays valid as is.
 * Marking uses an explicit stack (malloc'ed: it is collector metadata, not
 * program data), so deep lists cannot overflow the C stack. Sweeping walks
 * each part once, merges each run of dead and free blocks into one free
 * block, and gives a run that borders the untouched middle back to it.
 * ---------------------------------------------------------------------- */

/* hdr_t is declared in heap.h; its size word carries the mark in bit 0. */
#define F_MARK 1u
#define SIZE_MASK (~(uint32_t)7)
#define HDR ((uint32_t)sizeof(hdr_t))
#define MIN_BLOCK 16u /* a free block must hold its header and a link */
#define SMALL_MAX 256u
#define NCLASSES ((SMALL_MAX - MIN_BLOCK) / 8 + 1)
#define BIG_MIN 2048u /* blocks this size and up are allocated from the top */
#define COMMIT_CHUNK (256u * 1024u) /* pages are committed this many at a time */

_Static_assert(sizeof(hdr_t) == 8, "header keeps payloads 8-byte aligned");
_Static_assert(sizeof(void *) <= MIN_BLOCK - sizeof(hdr_t), "a free block holds a link");
_Static_assert(NCLASSES <= 32, "one bitmap word covers the small classes");

static uint8_t *heap_base, *heap_top, *heap_lbot, *heap_end;
/* The committed pages: [heap_base, low_committed) and [high_committed, heap_end). */
static uint8_t *low_committed, *high_committed;
static size_t heap_most; /* the largest the limit may become */
static hdr_t *class_head[NCLASSES];
static uint32_t class_bits; /* bit k set when class_head[k] is non-empty */
static hdr_t *large_head;   /* free blocks above SMALL_MAX below `top` */
static hdr_t *big_head;     /* free blocks above `lbot` */

/* Collector statistics for stderr. */
uint64_t gc_collections, gc_ns, alloc_objects, alloc_bytes, heap_raises;
size_t heap_high_water, heap_limit;

/* The root stack: objects the running code still needs. */
void *root_stack[ROOT_STACK_MAX];
size_t root_sp;

/* The mark stack (collector metadata, outside the managed heap). */
static void **mark_stack;
static size_t mark_sp, mark_cap;

uint64_t cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

_Noreturn void out_of_memory(const char *what, size_t bytes)
{
    fprintf(stderr, "fsscan: out of memory (%s of %zu bytes; heap limit %zu bytes, %" PRIu64 " collections)\n", what,
            bytes, heap_limit, gc_collections);
    exit(3);
}

_Noreturn void root_stack_overflow(void)
{
    fprintf(stderr, "fsscan: root stack overflow\n");
    abort();
}

static hdr_t **link_of(hdr_t *block)
{
    return (hdr_t **)(void *)(block + 1);
}

static uint32_t block_size(const hdr_t *b)
{
    return b->size & SIZE_MASK;
}

void heap_init(size_t limit, size_t most)
{
    /* Whole chunks, so that committing never has to deal with a partial one. */
    size_t reserve = (most + COMMIT_CHUNK - 1) / COMMIT_CHUNK * COMMIT_CHUNK;
    void *p = mmap(NULL, reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        out_of_memory("heap reservation", reserve);
    heap_base = heap_top = low_committed = p;
    heap_end = heap_lbot = high_committed = heap_base + reserve;
    heap_limit = limit;
    heap_most = most;
}

/* Bytes the two parts of the heap take, free blocks inside them included. */
static size_t heap_used(void)
{
    return (size_t)(heap_top - heap_base) + (size_t)(heap_end - heap_lbot);
}

/* Make the pages of [from, to) usable, whole chunks at a time. Out of
   memory when the device has no memory left for them. */
static void commit(uint8_t *from, uint8_t *to)
{
    if (mprotect(from, (size_t)(to - from), PROT_READ | PROT_WRITE) != 0)
        out_of_memory("heap pages", (size_t)(to - from));
}

/* Commit what the bottom part needs to reach `top`. */
static void commit_low(uint8_t *top)
{
    if (top <= low_committed)
        return;
    size_t want = ((size_t)(top - heap_base) + COMMIT_CHUNK - 1) / COMMIT_CHUNK * COMMIT_CHUNK;
    commit(low_committed, heap_base + want);
    low_committed = heap_base + want;
}

/* Commit what the top part needs to reach down to `lbot`. */
static void commit_high(uint8_t *lbot)
{
    if (lbot >= high_committed)
        return;
    size_t want = ((size_t)(heap_end - lbot) + COMMIT_CHUNK - 1) / COMMIT_CHUNK * COMMIT_CHUNK;
    commit(heap_end - want, high_committed);
    high_committed = heap_end - want;
}

/* Put a free block on its list. A large block goes to the front: only split
   remainders come here, and the next allocation is likely to use them. */
static void free_insert(hdr_t *b, uint32_t size)
{
    b->size = size;
    b->nptrs = 0;
    if (size <= SMALL_MAX) {
        unsigned c = size / 8 - MIN_BLOCK / 8;
        *link_of(b) = class_head[c];
        class_head[c] = b;
        class_bits |= 1u << c;
    } else {
        *link_of(b) = large_head;
        large_head = b;
    }
}

static void *init_block(hdr_t *b, uint32_t size, uint32_t nptrs)
{
    b->size = size;
    b->nptrs = nptrs;
    memset(b + 1, 0, size - HDR); /* references start out NULL */
    alloc_objects++;
    alloc_bytes += size;
    return b + 1;
}

static void note_high_water(void)
{
    if (heap_used() > heap_high_water)
        heap_high_water = heap_used();
}

/* try_alloc() for a block of at least BIG_MIN bytes: first fit above
   `lbot`, else the untouched middle. */
static void *try_alloc_big(uint32_t size, uint32_t nptrs)
{
    hdr_t **link = &big_head;
    for (hdr_t *b = big_head; b; link = link_of(b), b = *link) {
        uint32_t bsize = block_size(b);
        if (bsize < size)
            continue;
        uint32_t rest = bsize - size;
        if (rest >= MIN_BLOCK) {
            /* Carve from the tail: the block keeps its place in the list. */
            b->size = rest;
            return init_block((hdr_t *)((uint8_t *)b + rest), size, nptrs);
        }
        *link = *link_of(b);
        return init_block(b, bsize, nptrs);
    }
    if (heap_used() + size <= heap_limit) {
        commit_high(heap_lbot - size);
        heap_lbot -= size;
        note_high_water();
        return init_block((hdr_t *)heap_lbot, size, nptrs);
    }
    return NULL;
}

/* Allocate a block of exactly `size` bytes (or slightly more) without
   collecting; NULL when nothing within the limit fits. */
static void *try_alloc(uint32_t size, uint32_t nptrs)
{
    if (size >= BIG_MIN)
        return try_alloc_big(size, nptrs);
    if (size <= SMALL_MAX) {
        unsigned c = size / 8 - MIN_BLOCK / 8;
        uint32_t avail = class_bits & ~((1u << c) - 1);
        if (avail) {
            unsigned k = (unsigned)__builtin_ctz(avail);
            hdr_t *b = class_head[k];
            class_head[k] = *link_of(b);
            if (!class_head[k])
                class_bits &= ~(1u << k);
            uint32_t bsize = (k + MIN_BLOCK / 8) * 8;
            if (bsize - size >= MIN_BLOCK)
                free_insert((hdr_t *)((uint8_t *)b + size), bsize - size);
            else
                size = bsize; /* an 8-byte tail could never be used alone */
            return init_block(b, size, nptrs);
        }
    }

    hdr_t **link = &large_head;
    for (hdr_t *b = large_head; b; link = link_of(b), b = *link) {
        uint32_t bsize = block_size(b);
        if (bsize < size)
            continue;
        uint32_t rest = bsize - size;
        if (rest > SMALL_MAX) {
            /* Carve from the tail: the block keeps its place in the list. */
            b->size = rest;
            return init_block((hdr_t *)((uint8_t *)b + rest), size, nptrs);
        }
        *link = *link_of(b);
        if (rest >= MIN_BLOCK)
            free_insert((hdr_t *)((uint8_t *)b + size), rest);
        else
            size = bsize;
        return init_block(b, size, nptrs);
    }

    if (heap_used() + size <= heap_limit) {
        commit_low(heap_top + size);
        hdr_t *b = (hdr_t *)heap_top;
        heap_top += size;
        note_high_water();
        return init_block(b, size, nptrs);
    }
    return NULL;
}

static void mark_push(void *p)
{
    if (mark_sp == mark_cap) {
        size_t cap = mark_cap ? mark_cap * 2 : 1024;
        void **s = realloc(mark_stack, cap * sizeof *s);
        if (!s)
            out_of_memory("mark stack", cap * sizeof *s);
        mark_stack = s;
        mark_cap = cap;
    }
    mark_stack[mark_sp++] = p;
}

void gc_mark(void *p)
{
    if (!p)
        return;
    hdr_t *h = header_of(p);
    if (h->size & F_MARK)
        return;
    h->size |= F_MARK;
    if (h->nptrs)
        mark_push(p);
}

/* Mark everything reachable from the roots. */
static void mark_all(void)
{
    gc_mark_roots();
    for (size_t i = 0; i < root_sp; i++)
        gc_mark(root_stack[i]);
    while (mark_sp) {
        void *p = mark_stack[--mark_sp];
        void **slot = p;
        uint32_t n = header_of(p)->nptrs;
        for (uint32_t i = 0; i < n; i++)
            gc_mark(slot[i]);
    }
}

/* Turn the free run [run, end) into one free block. Large runs are appended
   so the large list stays in address order, which keeps first fit packing
   new objects low in the heap. */
static void sweep_free_run(uint8_t *run, uint8_t *end, hdr_t **large_tail)
{
    uint32_t size = (uint32_t)(end - run);
    hdr_t *b = (hdr_t *)run;
#ifdef FSSCAN_GC_STRESS
    memset(b + 1, 0xdb, size - HDR);
#endif
    if (size <= SMALL_MAX) {
        free_insert(b, size);
        return;
    }
    b->size = size;
    b->nptrs = 0;
    *link_of(b) = NULL;
    if (*large_tail)
        *link_of(*large_tail) = b;
    else
        large_head = b;
    *large_tail = b;
}

static void sweep(void)
{
    memset(class_head, 0, sizeof class_head);
    class_bits = 0;
    large_head = NULL;
    hdr_t *large_tail = NULL;
    uint8_t *run = NULL; /* start of the current run of unmarked blocks */
    for (uint8_t *p = heap_base; p < heap_top;) {
        hdr_t *h = (hdr_t *)p;
        uint32_t size = block_size(h);
        if (h->size & F_MARK) {
            h->size &= ~F_MARK;
            if (run) {
                sweep_free_run(run, p, &large_tail);
                run = NULL;
            }
        } else if (!run) {
            run = p;
        }
        p += size;
    }
    if (run)
        heap_top = run;
}

/* Sweep the blocks above `lbot`: every free run goes on the big list in
   address order, except one that starts at `lbot`, which is given back. */
static void sweep_big(void)
{
    big_head = NULL;
    hdr_t *tail = NULL;
    uint8_t *run = NULL;
    for (uint8_t *p = heap_lbot;; ) {
        hdr_t *h = (hdr_t *)p;
        if (p == heap_end || (h->size & F_MARK)) {
            if (run == heap_lbot) {
                heap_lbot = p;
            } else if (run) {
                hdr_t *b = (hdr_t *)run;
                b->size = (uint32_t)(p - run);
                b->nptrs = 0;
#ifdef FSSCAN_GC_STRESS
                memset(b + 1, 0xdb, b->size - HDR);
#endif
                *link_of(b) = NULL;
                if (tail)
                    *link_of(tail) = b;
                else
                    big_head = b;
                tail = b;
            }
            run = NULL;
            if (p == heap_end)
                break;
            h->size &= ~F_MARK;
        } else if (!run) {
            run = p;
        }
        p += block_size(h);
    }
}

static void gc_collect(void)
{
    uint64_t t0 = cpu_ns();
    mark_all();
    sweep();
    sweep_big();
    gc_collections++;
    gc_ns += cpu_ns() - t0;
}

/* Marks, then counts and unmarks what is marked. */
uint64_t gc_live_bytes(void)
{
    mark_all();
    uint64_t live = 0;
    for (uint8_t *p = heap_base; p < heap_end; p += block_size((hdr_t *)p)) {
        if (p == heap_top)
            p = heap_lbot;
        if (p == heap_end)
            break;
        hdr_t *h = (hdr_t *)p;
        if (h->size & F_MARK) {
            h->size &= ~F_MARK;
            live += block_size(h);
        }
    }
    return live;
}

/* Before collecting, apply the RAM rule again and raise the limit when it
   now gives more: true when it did. A limit already at its largest is
   either fixed (FSSCAN_HEAP_MB) or at the rule's ceiling, so nothing is
   re-read then. The limit never falls: what the heap holds stays. */
static int raise_limit(void)
{
    if (heap_limit >= heap_most)
        return 0;
    char why[160];
    size_t now = heap_limit_from_ram(why, sizeof why);
    if (now <= heap_limit)
        return 0;
    heap_limit = now < heap_most ? now : heap_most;
    heap_raises++;
    fprintf(stderr, "fsscan: heap limit raised to %zu bytes (%s)\n", heap_limit, why);
    return 1;
}

/* Allocate (see heap.h): grow or else collect only when nothing within the
   limit fits. */
void *gc_alloc(size_t bytes, uint32_t nptrs)
{
    if (bytes > heap_most)
        out_of_memory("allocation", bytes);
    uint32_t size = (uint32_t)((bytes + HDR + 7) & ~(size_t)7);
    if (size < MIN_BLOCK)
        size = MIN_BLOCK;
#ifdef FSSCAN_GC_STRESS
    gc_collect();
#endif
    void *p = try_alloc(size, nptrs);
    if (!p && raise_limit())
        p = try_alloc(size, nptrs);
    if (!p) {
        gc_collect();
        p = try_alloc(size, nptrs);
        if (!p)
            out_of_memory("allocation", size);
    }
    return p;
}
