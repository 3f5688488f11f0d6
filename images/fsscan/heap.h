/*
 * The managed heap of fsscan: a non-moving mark-sweep collector (heap.c)
 * and the rule that sizes it from the device's RAM (heaplimit.c).
 *
 * Everything the program keeps lives in this heap. An object is allocated
 * with gc_alloc(), which says how many of its leading pointer-sized words
 * are references; the collector follows those and nothing else. Objects
 * the running code still needs are either reachable from the program's
 * globals, which it marks in gc_mark_roots(), or pushed on the root stack
 * around any call that may allocate.
 */
#ifndef FSSCAN_HEAP_H
#define FSSCAN_HEAP_H

#include <stddef.h>
#include <stdint.h>

/* The header in front of every block; see heap.c for the layout. It is
   public only so that the small accessors below can be inlined. */
typedef struct hdr {
    uint32_t size;  /* block bytes including this header | mark bit */
    uint32_t nptrs; /* leading payload words that are references */
} hdr_t;

/* Collector statistics, reported on stderr at the end of the scan. */
extern uint64_t gc_collections, gc_ns, alloc_objects, alloc_bytes, heap_raises;
extern size_t heap_high_water, heap_limit;

/* The root stack. Pushing and popping happen several times per scanned
   entry, so they are inline; only the overflow check leaves the caller. */
#define ROOT_STACK_MAX 64
extern void *root_stack[ROOT_STACK_MAX];
extern size_t root_sp;

_Noreturn void root_stack_overflow(void);

static inline void root_push(void *p)
{
    if (root_sp == ROOT_STACK_MAX)
        root_stack_overflow();
    root_stack[root_sp++] = p;
}

static inline void root_pop(size_t n)
{
    root_sp -= n;
}

static inline hdr_t *header_of(void *payload)
{
    return (hdr_t *)payload - 1;
}

/* The number of slots of a reference array (its header says). */
static inline uint32_t array_len(const void *a)
{
    return header_of((void *)a)->nptrs;
}

/* Chooses the heap limit in bytes and describes the choice in `why`
   (heaplimit.c); `*most` is the largest the limit may later become: the
   rule's ceiling when it follows RAM, the limit itself when fixed. */
size_t heap_limit_bytes(char *why, size_t whylen, size_t *most);

/* The RAM rule's limit for the memory the device reports now. */
size_t heap_limit_from_ram(char *why, size_t whylen);

/* Reserve room for a heap of up to `most` bytes that may use `limit`. */
void heap_init(size_t limit, size_t most);

/* Allocate a zeroed object with `bytes` of payload whose first `nptrs`
   pointer-sized words are references. May collect: every object the caller
   still needs must be reachable from a root. */
void *gc_alloc(size_t bytes, uint32_t nptrs);

/* Mark `p` (a heap object or NULL) and, in time, what it references. */
void gc_mark(void *p);

/* Supplied by the program: gc_mark() each global that holds a reference. */
void gc_mark_roots(void);

/* Bytes reachable right now, without freeing anything (for the report). */
uint64_t gc_live_bytes(void);

/* Process CPU time in nanoseconds (0 when the clock cannot be read). */
uint64_t cpu_ns(void);

/* Report that `bytes` for `what` cannot be had within the limit; exits 3. */
_Noreturn void out_of_memory(const char *what, size_t bytes);

#endif
