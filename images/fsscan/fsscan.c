/*
 * fsscan: a file-system scanner whose data lives in a garbage-collected
 * heap, the way a Java app's data lives in the Dalvik heap. It walks a
 * directory tree, opens every regular file, hashes its first bytes and keeps
 * a growing index of everything it saw. It allocates the way Java code
 * does: a File per entry with its path built by a StringBuilder, a String[]
 * per directory listing, split names, boxed Longs, a FileInputStream and a
 * BufferedInputStream with its own 8 KB buffer per file read, and a hash
 * map index that doubles its table as it fills. On a phone the heap is
 * small, so as the index grows toward the limit the collector runs ever
 * more often on ever less free space; on a machine with more RAM the same
 * scan barely collects at all.
 *
 * Usage: fsscan [dir]          (default /sdcard)
 * Environment: FSSCAN_HEAP_MB  heap limit in MiB (decimal, e.g. 0.25),
 *                              replacing the RAM-derived limit.
 *
 * stdout: exactly one line, the same wherever the same tree is scanned:
 *   fsscan: entries <n> dirs <d> files <f> bytes <b> index <xxxxxxxx>
 * `entries` counts everything below <dir> (not <dir> itself), `bytes` sums
 * the sizes of regular files, and `index` is the checksum described at
 * index_checksum() below.
 * stderr: the heap limit and how it was chosen, then collector statistics,
 * including process CPU time spent collecting versus in total.
 * Exit status: 0 on success, 2 on bad usage or an unreadable <dir>, 3 when
 * the heap is exhausted even after a full collection ("out of memory").
 *
 * Entries that vanish or cannot be stat'ed during the scan are reported on
 * stderr and skipped; a directory that cannot be opened is counted but not
 * descended into; a file that cannot be read is counted with the hash of
 * the bytes that could be read (none).
 *
 * Build with -DFSSCAN_GC_STRESS to collect before every allocation and to
 * poison freed memory: any object a missing root lets die is then reused or
 * overwritten at once, so rooting mistakes show up as wrong output.
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#define MiB (1024u * 1024u)
#define DEFAULT_ROOT "/sdcard"
#define FIRST_BYTES 64 /* bytes of each file that are read and hashed */
#define TOP_N 10       /* largest files kept in the index */
#define EXT_BUCKETS 64 /* extension table size; a scan sees few extensions */
#define BIS_BUFFER 8192 /* java.io.BufferedInputStream's default buffer */
#define INDEX_INITIAL 16 /* java.util.HashMap's default capacity; load 3/4 */
#define LONG_CACHE 128   /* Long.valueOf boxes 0..127 without allocating */

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
 * ---------------------------------------------------------------------- */

#define HEAP_RAM_DIVISOR 12
#define HEAP_MIN_MB 16
#define HEAP_MAX_MB 256
#define HEAP_OVERRIDE_MIN (64u * 1024u) /* smallest heap the override allows */
#define HEAP_OVERRIDE_MAX_MB 2048.0

/* MemTotal in KiB from /proc/meminfo, or 0 when unavailable. */
static uint64_t meminfo_total_kb(void)
{
    char buf[4096];
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
    while (strncmp(line, "MemTotal:", 9) != 0) {
        line = strchr(line, '\n');
        if (!line)
            return 0;
        line++;
    }
    return strtoull(line + 9, NULL, 10);
}

/* Chooses the heap limit in bytes and describes the choice in `why`. */
static size_t heap_limit_bytes(char *why, size_t whylen)
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
        return bytes;
    }

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

/* ------------------------------------------------------------------------
 * The managed heap: a non-moving mark-sweep collector
 *
 * The heap is one reserved region of exactly `limit` bytes. Blocks of fewer
 * than BIG_MIN bytes fill it from the bottom up to `top`; bigger ones (I/O
 * buffers, large arrays) fill it from the top down to `lbot`, as allocators
 * keep large objects apart: short-lived buffers interleaved with long-lived
 * small objects would leave, once freed, holes far too small for a big
 * array. The limit is reached when the two ends meet.
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
 * A collection runs only when an allocation fits nowhere within the limit.
 * Roots are the globals listed in mark_roots() plus an explicit root stack:
 * code that holds an object across a call that may allocate pushes it. The
 * collector never moves objects, so a rooted pointer stays valid as is.
 * Marking uses an explicit stack (malloc'ed: it is collector metadata, not
 * program data), so deep lists cannot overflow the C stack. Sweeping walks
 * each part once, merges each run of dead and free blocks into one free
 * block, and gives a run that borders the untouched middle back to it.
 * ---------------------------------------------------------------------- */

typedef struct hdr {
    uint32_t size;  /* block bytes including this header | F_MARK */
    uint32_t nptrs; /* leading payload words that are references */
} hdr_t;

#define F_MARK 1u
#define SIZE_MASK (~(uint32_t)7)
#define HDR ((uint32_t)sizeof(hdr_t))
#define MIN_BLOCK 16u /* a free block must hold its header and a link */
#define SMALL_MAX 256u
#define NCLASSES ((SMALL_MAX - MIN_BLOCK) / 8 + 1)
#define BIG_MIN 2048u /* blocks this size and up are allocated from the top */

_Static_assert(sizeof(hdr_t) == 8, "header keeps payloads 8-byte aligned");
_Static_assert(sizeof(void *) <= MIN_BLOCK - sizeof(hdr_t), "a free block holds a link");
_Static_assert(NCLASSES <= 32, "one bitmap word covers the small classes");

static uint8_t *heap_base, *heap_top, *heap_lbot, *heap_end;
static hdr_t *class_head[NCLASSES];
static uint32_t class_bits; /* bit k set when class_head[k] is non-empty */
static hdr_t *large_head;   /* free blocks above SMALL_MAX below `top` */
static hdr_t *big_head;     /* free blocks above `lbot` */

/* Collector statistics for stderr. */
static uint64_t gc_collections, gc_ns, alloc_objects, alloc_bytes;
static size_t heap_high_water;

/* The root stack: objects the running code still needs. */
#define ROOT_STACK_MAX 64
static void *root_stack[ROOT_STACK_MAX];
static size_t root_sp;

/* The mark stack (collector metadata, outside the managed heap). */
static void **mark_stack;
static size_t mark_sp, mark_cap;

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static _Noreturn void out_of_memory(const char *what, size_t bytes)
{
    fprintf(stderr, "fsscan: out of memory (%s of %zu bytes; heap limit %zu bytes, %" PRIu64 " collections)\n", what,
            bytes, (size_t)(heap_end - heap_base), gc_collections);
    exit(3);
}

static void root_push(void *p)
{
    if (root_sp == ROOT_STACK_MAX) {
        fprintf(stderr, "fsscan: root stack overflow\n");
        abort();
    }
    root_stack[root_sp++] = p;
}

static void root_pop(size_t n)
{
    root_sp -= n;
}

static hdr_t *header_of(void *payload)
{
    return (hdr_t *)payload - 1;
}

static hdr_t **link_of(hdr_t *block)
{
    return (hdr_t **)(void *)(block + 1);
}

static uint32_t block_size(const hdr_t *b)
{
    return b->size & SIZE_MASK;
}

static void heap_init(size_t limit)
{
    void *p = mmap(NULL, limit, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        out_of_memory("heap reservation", limit);
    heap_base = heap_top = p;
    heap_end = heap_lbot = heap_base + limit;
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
    size_t used = (size_t)(heap_top - heap_base) + (size_t)(heap_end - heap_lbot);
    if (used > heap_high_water)
        heap_high_water = used;
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
    if ((size_t)(heap_lbot - heap_top) >= size) {
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

    if ((size_t)(heap_lbot - heap_top) >= size) {
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

static void mark(void *p)
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

static void mark_roots(void);

/* Mark everything reachable from the roots. */
static void mark_all(void)
{
    mark_roots();
    for (size_t i = 0; i < root_sp; i++)
        mark(root_stack[i]);
    while (mark_sp) {
        void *p = mark_stack[--mark_sp];
        void **slot = p;
        uint32_t n = header_of(p)->nptrs;
        for (uint32_t i = 0; i < n; i++)
            mark(slot[i]);
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

/* Bytes reachable right now, without freeing anything (for the report). */
static uint64_t gc_live_bytes(void)
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

/* Allocate a zeroed object with `bytes` of payload whose first `nptrs`
   pointer-sized words are references. May collect: every object the caller
   still needs must be reachable from a root. */
static void *gc_alloc(size_t bytes, uint32_t nptrs)
{
    if (bytes > (size_t)(heap_end - heap_base))
        out_of_memory("allocation", bytes);
    uint32_t size = (uint32_t)((bytes + HDR + 7) & ~(size_t)7);
    if (size < MIN_BLOCK)
        size = MIN_BLOCK;
#ifdef FSSCAN_GC_STRESS
    gc_collect();
#endif
    void *p = try_alloc(size, nptrs);
    if (!p) {
        gc_collect();
        p = try_alloc(size, nptrs);
        if (!p)
            out_of_memory("allocation", size);
    }
    return p;
}

/* ------------------------------------------------------------------------
 * Heap objects
 * ---------------------------------------------------------------------- */

/*
 * Strings are stored the way a Java app's strings are on Dalvik: 16-bit
 * chars, twice the bytes of the C string. The collector's workload depends
 * on how many bytes the app keeps, so a path costs here roughly what it
 * costs there. File names are byte strings, so each byte becomes one char
 * (no decoding); narrowing back for a system call is then exact, and
 * comparing chars orders strings as comparing their bytes would.
 */
typedef struct str {
    uint32_t len;
    uint16_t c[];
} str_t;

/* A growable array of references. */
typedef struct vec {
    void **items; /* reference array with `cap` slots */
    uint32_t len, cap;
} vec_t;

/* What the scan learned about one entry (the index keeps those of files).
   A record is also its own entry in the index's hash table, as in a map
   written for the purpose: `next` chains a bucket during the scan and
   links the records in path order for the checksum afterwards. */
typedef struct rec {
    str_t *path;      /* relative to the scan root: the index key */
    struct rec *next; /* next record in the same bucket (see above) */
    uint64_t size;
    uint32_t hash;  /* FNV-1a of the first FIRST_BYTES bytes (files only) */
    uint32_t hcode; /* the path's String.hashCode(), kept for rehashing */
} rec_t;

/* java.lang.Long: what autoboxing a long makes. */
typedef struct boxed {
    uint64_t value;
} boxed_t;

/* Count and bytes of the files with one extension, kept as boxed Longs the
   way a Map<String, Long> keeps them: each update boxes a new value and
   leaves the old one to the collector. */
typedef struct ext {
    str_t *name;
    struct ext *next; /* next in the hash bucket */
    boxed_t *count, *bytes;
} ext_t;

/* A directory still to be scanned. */
typedef struct pend {
    str_t *path;
    struct pend *next;
} pend_t;

/* java.io.File: an absolute path. */
typedef struct file {
    str_t *path;
} file_t;

/* java.io.FileDescriptor and java.io.FileInputStream. */
typedef struct fdesc {
    int32_t fd;
} fdesc_t;

typedef struct fis {
    fdesc_t *fd;
    str_t *path;
} fis_t;

/* java.io.BufferedInputStream over a FileInputStream: every stream gets a
   fresh BIS_BUFFER-byte buffer, and a read that its buffer cannot answer
   refills the whole buffer from the file first. */
typedef struct bis {
    fis_t *in;
    uint8_t *buf; /* BIS_BUFFER bytes */
    uint32_t count, pos;
} bis_t;

/* The index and the work list: the globals the collector treats as roots. */
static rec_t *g_records;   /* after the scan: every file's record, by path */
static rec_t **g_index;    /* during the scan: g_index_cap chained buckets */
static uint32_t g_index_cap, g_index_len;
static ext_t **g_ext;      /* EXT_BUCKETS chained buckets */
static rec_t **g_top;      /* TOP_N slots, largest first */
static uint32_t g_top_len;
static uint32_t g_ext_count;
static pend_t *g_pending;
static str_t *g_root;        /* the scan root as given */
static boxed_t **g_small;    /* Long.valueOf's cache of -128..127 (0..127 used) */

static uint64_t n_entries, n_dirs, n_files, n_bytes;

/* Room for a path in an error message. */
static char msg_buf[4096];

static void mark_roots(void)
{
    mark(g_records);
    mark(g_index);
    mark(g_ext);
    mark(g_top);
    mark(g_pending);
    mark(g_root);
    mark(g_small);
}

/* A string of `len` chars, all zero. */
static str_t *str_alloc(size_t len)
{
    if (len > (UINT32_MAX - sizeof(str_t)) / sizeof(uint16_t))
        out_of_memory("string", len);
    str_t *r = gc_alloc(sizeof(str_t) + len * sizeof(uint16_t), 0);
    r->len = (uint32_t)len;
    return r;
}

/* `s` must not point into an unrooted heap object. */
static str_t *str_from_bytes(const char *s, size_t len)
{
    str_t *r = str_alloc(len);
    for (size_t i = 0; i < len; i++)
        r->c[i] = (uint8_t)s[i];
    return r;
}

/* The `len` chars of `s` from `from`; `s` must be rooted. */
static str_t *str_sub(const str_t *s, uint32_t from, uint32_t len)
{
    str_t *r = str_alloc(len);
    memcpy(r->c, s->c + from, len * sizeof(uint16_t));
    return r;
}

/*
 * A string builder, as javac compiles `dir + "/" + name`: it starts with
 * room for its first operand plus 16 chars, grows to twice its capacity
 * plus 2 whenever an append does not fit (as java.lang.StringBuilder does),
 * and toString() copies the result out. The builder and its outgrown
 * buffers are garbage at once, as is the result when it is a File's path.
 */
typedef struct builder {
    str_t *buf; /* capacity = buf->len */
    uint32_t len;
} builder_t;

/* `first` must be rooted. */
static builder_t *builder_new(const str_t *first)
{
    builder_t *b = gc_alloc(sizeof *b, 1);
    root_push(b);
    b->buf = str_alloc((size_t)first->len + 16);
    root_pop(1);
    memcpy(b->buf->c, first->c, first->len * sizeof(uint16_t));
    b->len = first->len;
    return b;
}

/* `b` must be rooted and `c` must not point into an unrooted object. */
static void builder_append(builder_t *b, const uint16_t *c, uint32_t n)
{
    if ((size_t)b->len + n > b->buf->len) {
        size_t cap = (size_t)b->buf->len * 2 + 2;
        if (cap < (size_t)b->len + n)
            cap = (size_t)b->len + n;
        str_t *grown = str_alloc(cap);
        memcpy(grown->c, b->buf->c, b->len * sizeof(uint16_t));
        b->buf = grown;
    }
    memcpy(b->buf->c + b->len, c, n * sizeof(uint16_t));
    b->len += n;
}

static str_t *builder_to_string(const builder_t *b)
{
    str_t *r = str_alloc(b->len);
    memcpy(r->c, b->buf->c, b->len * sizeof(uint16_t));
    return r;
}

/* dir + "/" + name, or just name at the root; both arguments rooted. */
static str_t *path_join(const str_t *dir, const str_t *name)
{
    static const uint16_t slash = '/';
    builder_t *b = builder_new(dir);
    root_push(b);
    if (dir->len)
        builder_append(b, &slash, 1);
    builder_append(b, name->c, name->len);
    str_t *r = builder_to_string(b);
    root_pop(1);
    return r;
}

static int str_cmp(const str_t *a, const str_t *b)
{
    uint32_t n = a->len < b->len ? a->len : b->len;
    const uint16_t *x = a->c, *y = b->c;
    for (uint32_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return (a->len > b->len) - (a->len < b->len);
}

/* The bytes of `s` as a C string in `buf` (as JNI hands a path to the
   kernel); NULL when it does not fit. */
static const char *str_native(const str_t *s, char *buf, size_t size)
{
    if (s->len >= size)
        return NULL;
    for (uint32_t i = 0; i < s->len; i++)
        buf[i] = (char)s->c[i];
    buf[s->len] = '\0';
    return buf;
}

/* `dir/name` (or `name`) as text for messages. */
static const char *display_path(const str_t *dir, const str_t *name, char *buf, size_t size)
{
    size_t o = 0;
    if (dir && dir->len)
        for (uint32_t i = 0; i < dir->len && o + 1 < size; i++)
            buf[o++] = (char)dir->c[i];
    if (dir && dir->len && name && o + 1 < size)
        buf[o++] = '/';
    if (name)
        for (uint32_t i = 0; i < name->len && o + 1 < size; i++)
            buf[o++] = (char)name->c[i];
    if (o == 0 && size > 1)
        buf[o++] = '.';
    buf[o] = '\0';
    return buf;
}

static vec_t *vec_new(uint32_t cap)
{
    vec_t *v = gc_alloc(sizeof *v, 1);
    root_push(v);
    v->items = gc_alloc(cap * sizeof(void *), cap);
    v->cap = cap;
    root_pop(1);
    return v;
}

/* Append `item`; both `v` and `item` must be rooted. Growth doubles, and
   the old array is left to the collector. */
static void vec_push(vec_t *v, void *item)
{
    if (v->len == v->cap) {
        if (v->cap > UINT32_MAX / 2 / sizeof(void *))
            out_of_memory("array", (size_t)v->cap * 2 * sizeof(void *));
        uint32_t cap = v->cap * 2;
        void **items = gc_alloc(cap * sizeof(void *), cap);
        memcpy(items, v->items, v->len * sizeof(void *));
        v->items = items;
        v->cap = cap;
    }
    v->items[v->len++] = item;
}

/* The number of slots of a reference array (its header says). */
static uint32_t array_len(const void *a)
{
    return header_of((void *)a)->nptrs;
}

/* list.toArray(new String[list.size()]): an exact-size copy of the
   vector's items; `v` must be rooted. */
static void **vec_to_array(vec_t *v)
{
    void **a = gc_alloc((size_t)v->len * sizeof(void *), v->len);
    memcpy(a, v->items, v->len * sizeof(void *));
    return a;
}

/* Long.valueOf(v): the cached box for a small value, a new one otherwise. */
static boxed_t *box_long(uint64_t v)
{
    if (v < LONG_CACHE)
        return g_small[v];
    boxed_t *b = gc_alloc(sizeof *b, 0);
    b->value = v;
    return b;
}

/* name.split("\\.", -1): the pieces of `name` between its dots, empty ones
   included, gathered in a list and copied out to an array, as String.split
   does. `name` must be rooted. */
static str_t **split_dots(const str_t *name)
{
    vec_t *parts = vec_new(10);
    root_push(parts);
    uint32_t from = 0;
    for (uint32_t i = 0; i <= name->len; i++) {
        if (i < name->len && name->c[i] != '.')
            continue;
        str_t *piece = str_sub(name, from, i - from);
        root_push(piece);
        vec_push(parts, piece);
        root_pop(1);
        from = i + 1;
    }
    str_t **a = (str_t **)vec_to_array(parts);
    root_pop(1);
    return a;
}

/* new File(dir, name): the child's absolute path is built by a
   StringBuilder (see path_join). `dir` and `name` must be rooted. */
static file_t *file_child(const file_t *dir, const str_t *name)
{
    str_t *path = path_join(dir->path, name);
    root_push(path);
    file_t *f = gc_alloc(sizeof *f, 1);
    root_pop(1);
    f->path = path;
    return f;
}

/* String.hashCode(). */
static uint32_t str_hash_code(const str_t *s)
{
    uint32_t h = 0;
    for (uint32_t i = 0; i < s->len; i++)
        h = 31 * h + s->c[i];
    return h;
}

/* ------------------------------------------------------------------------
 * Hashing
 * ---------------------------------------------------------------------- */

#define FNV_BASIS 2166136261u
#define FNV_PRIME 16777619u

static uint32_t fnv_bytes(uint32_t h, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= FNV_PRIME;
    }
    return h;
}

static uint32_t fnv_str(uint32_t h, const char *s)
{
    return fnv_bytes(h, s, strlen(s));
}

/* Hash a String's bytes (each char holds one byte, see str_t). */
static uint32_t fnv_string(uint32_t h, const str_t *s)
{
    for (uint32_t i = 0; i < s->len; i++) {
        h ^= (uint8_t)s->c[i];
        h *= FNV_PRIME;
    }
    return h;
}

/* Hash `v` as decimal digits (hand-rolled: this runs for every file). */
static uint32_t fnv_u64(uint32_t h, uint64_t v)
{
    char buf[20];
    size_t i = sizeof buf;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return fnv_bytes(h, buf + i, sizeof buf - i);
}

/* Hash `v` as 8 lowercase hex digits. */
static uint32_t fnv_hex32(uint32_t h, uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    char buf[8];
    for (int i = 7; i >= 0; i--, v >>= 4)
        buf[i] = digits[v & 15];
    return fnv_bytes(h, buf, sizeof buf);
}

/* ------------------------------------------------------------------------
 * The index
 * ---------------------------------------------------------------------- */

/* The extension of file name `name` (rooted): split at its dots, it is the
   last piece, unless there is only one piece or only two and the first is
   empty (".profile" has none). A name without one gets an empty string. */
static str_t *extension_of(const str_t *name)
{
    str_t **parts = split_dots(name);
    uint32_t n = array_len(parts);
    if (n < 2 || (n == 2 && parts[0]->len == 0))
        return str_alloc(0);
    return parts[n - 1];
}

/* Largest first; equal sizes by path, so the list does not depend on the
   order the files were found in. */
static int top_before(const rec_t *a, const rec_t *b)
{
    if (a->size != b->size)
        return a->size > b->size;
    return str_cmp(a->path, b->path) < 0;
}

static void top_add(rec_t *r)
{
    if (g_top_len == TOP_N && !top_before(r, g_top[TOP_N - 1]))
        return;
    uint32_t i = g_top_len < TOP_N ? g_top_len++ : TOP_N - 1;
    while (i > 0 && top_before(r, g_top[i - 1])) {
        g_top[i] = g_top[i - 1];
        i--;
    }
    g_top[i] = r;
}

/* Count one more file of `size` bytes under extension `key` (rooted), which
   becomes the table's key the first time an extension is seen and is
   garbage after. Counts and sizes are boxed Longs, replaced on update. */
static void ext_add(str_t *key, uint64_t size)
{
    uint32_t bucket = fnv_string(FNV_BASIS, key) % EXT_BUCKETS;
    for (ext_t *e = g_ext[bucket]; e; e = e->next) {
        if (str_cmp(e->name, key) == 0) {
            root_push(e);
            boxed_t *count = box_long(e->count->value + 1);
            e->count = count;
            boxed_t *bytes = box_long(e->bytes->value + size);
            e->bytes = bytes;
            root_pop(1);
            return;
        }
    }
    ext_t *e = gc_alloc(sizeof *e, 4);
    e->name = key;
    e->next = g_ext[bucket];
    g_ext[bucket] = e;
    e->count = g_small[0];
    e->bytes = g_small[0];
    g_ext_count++;
    root_push(e);
    boxed_t *count = box_long(1);
    e->count = count;
    boxed_t *bytes = box_long(size);
    e->bytes = bytes;
    root_pop(1);
}

/* HashMap's bucket for a hash code: its supplemental hash spreads the high
   bits, then the table size (a power of two) masks. */
static uint32_t index_bucket(uint32_t h, uint32_t cap)
{
    h ^= (h >> 20) ^ (h >> 12);
    h ^= (h >> 7) ^ (h >> 4);
    return h & (cap - 1);
}

/* Put record `r` (rooted) in the index under its path, as HashMap.put does:
   a path already there is replaced; past three quarters full the table
   doubles, the records move to the new one and the old one is garbage. */
static void index_put(rec_t *r)
{
    r->hcode = str_hash_code(r->path);
    rec_t **slot = &g_index[index_bucket(r->hcode, g_index_cap)];
    for (rec_t *e = *slot; e; slot = &e->next, e = *slot) {
        if (e->hcode == r->hcode && str_cmp(e->path, r->path) == 0) {
            r->next = e->next;
            *slot = r;
            return;
        }
    }
    r->next = g_index[index_bucket(r->hcode, g_index_cap)];
    g_index[index_bucket(r->hcode, g_index_cap)] = r;
    if (++g_index_len <= g_index_cap / 4 * 3)
        return;
    if (g_index_cap > UINT32_MAX / 2 / sizeof(void *))
        out_of_memory("index table", (size_t)g_index_cap * 2 * sizeof(void *));
    uint32_t cap = g_index_cap * 2;
    rec_t **table = gc_alloc((size_t)cap * sizeof(rec_t *), cap);
    for (uint32_t i = 0; i < g_index_cap; i++) {
        rec_t *e = g_index[i];
        while (e) {
            rec_t *next = e->next;
            uint32_t k = index_bucket(e->hcode, cap);
            e->next = table[k];
            table[k] = e;
            e = next;
        }
    }
    g_index = table;
    g_index_cap = cap;
}

/* Index file record `r` whose last path component is `name`; both rooted. */
static void index_add(rec_t *r, const str_t *name)
{
    index_put(r);
    str_t *ext = extension_of(name);
    root_push(ext);
    ext_add(ext, r->size);
    root_pop(1);
    top_add(r);
}

/* Empty the index into one list of its records (no allocation). */
static rec_t *index_records(void)
{
    rec_t *list = NULL;
    for (uint32_t i = 0; i < g_index_cap; i++) {
        rec_t *e = g_index[i];
        g_index[i] = NULL;
        while (e) {
            rec_t *next = e->next;
            e->next = list;
            list = e;
            e = next;
        }
    }
    g_index_len = 0;
    return list;
}

/* ------------------------------------------------------------------------
 * Sorting (merge sort over an array of references; no allocation inside)
 * ---------------------------------------------------------------------- */

typedef int (*cmp_fn)(const void *a, const void *b);

static void merge_sort(void **a, void **tmp, size_t n, cmp_fn cmp)
{
    void **src = a, **dst = tmp;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = cmp(src[j], src[i]) < 0 ? src[j++] : src[i++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        void **t = src;
        src = dst;
        dst = t;
    }
    if (src != a)
        memcpy(a, src, n * sizeof *a);
}

static int ext_name_cmp(const void *a, const void *b)
{
    return str_cmp(((const ext_t *)a)->name, ((const ext_t *)b)->name);
}

/* Merge two lists sorted by path. */
static rec_t *merge_lists(rec_t *a, rec_t *b)
{
    rec_t head = { .next = NULL };
    rec_t *tail = &head;
    while (a && b) {
        if (str_cmp(b->path, a->path) < 0) {
            tail->next = b;
            b = b->next;
        } else {
            tail->next = a;
            a = a->next;
        }
        tail = tail->next;
    }
    tail->next = a ? a : b;
    return head.next;
}

/* Sort a record list by path: bottom-up merge sort, O(n log n) time and no
   allocation. bins[i] holds a sorted run of 2^i records (or nothing), like
   the digits of a binary counter. */
static rec_t *sort_records(rec_t *list)
{
    rec_t *bins[64] = { NULL };
    while (list) {
        rec_t *run = list;
        list = list->next;
        run->next = NULL;
        size_t i = 0;
        for (; i < 63 && bins[i]; i++) {
            run = merge_lists(bins[i], run);
            bins[i] = NULL;
        }
        bins[i] = run;
    }
    rec_t *out = NULL;
    for (size_t i = 0; i < 64; i++)
        if (bins[i])
            out = merge_lists(bins[i], out);
    return out;
}

/* Sort `n` references in place; `a` must be rooted (its referents may be
   reachable only through it). The scratch array needs no references
   counted: nothing allocates while it is in use. */
static void sort_refs(void **a, size_t n, cmp_fn cmp)
{
    if (n < 2)
        return;
    void **tmp = gc_alloc(n * sizeof(void *), 0);
    merge_sort(a, tmp, n, cmp);
}

/*
 * The index checksum: 32-bit FNV-1a (basis 2166136261, prime 16777619) over
 * this text, with numbers in decimal, <hash> as 8 lowercase hex digits,
 * paths relative to the scan root ("d0001/notes_00012.txt"), and strings
 * compared as unsigned bytes (shorter first on a common prefix):
 *
 *   for each extension, by name:        "ext <name> <count> <bytes>\n"
 *   for each of the <= 10 largest files: "top <path> <size>\n"
 *   for each regular file, by path:     "file <path> <size> <hash>\n"
 *
 * An extension is what follows the last '.' of the file name unless that
 * dot is its first character; files without one count under the empty
 * name ("ext  3 120\n"). The largest files are ordered by size, largest
 * first, then by path. <hash> is the FNV-1a of the file's first 64 bytes
 * (all of it when shorter). Nothing depends on directory listing order.
 */
static uint32_t index_checksum(void)
{
    uint32_t h = FNV_BASIS;

    ext_t **exts = gc_alloc((size_t)g_ext_count * sizeof(ext_t *), g_ext_count);
    root_push(exts);
    uint32_t n = 0;
    for (uint32_t b = 0; b < EXT_BUCKETS; b++)
        for (ext_t *e = g_ext[b]; e; e = e->next)
            exts[n++] = e;
    sort_refs((void **)exts, n, ext_name_cmp);
    for (uint32_t i = 0; i < n; i++) {
        h = fnv_str(h, "ext ");
        h = fnv_string(h, exts[i]->name);
        h = fnv_str(h, " ");
        h = fnv_u64(h, exts[i]->count->value);
        h = fnv_str(h, " ");
        h = fnv_u64(h, exts[i]->bytes->value);
        h = fnv_str(h, "\n");
    }
    root_pop(1);

    for (uint32_t i = 0; i < g_top_len; i++) {
        h = fnv_str(h, "top ");
        h = fnv_string(h, g_top[i]->path);
        h = fnv_str(h, " ");
        h = fnv_u64(h, g_top[i]->size);
        h = fnv_str(h, "\n");
    }

    g_records = sort_records(index_records());
    for (const rec_t *r = g_records; r; r = r->next) {
        h = fnv_str(h, "file ");
        h = fnv_string(h, r->path);
        h = fnv_str(h, " ");
        h = fnv_u64(h, r->size);
        h = fnv_str(h, " ");
        h = fnv_hex32(h, r->hash);
        h = fnv_str(h, "\n");
    }
    return h;
}

/* ------------------------------------------------------------------------
 * The scan
 * ---------------------------------------------------------------------- */

/* The record layout of getdents64, which glibc does not export. */
struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* All names in directory `fd` except "." and "..", as File.list() returns
   them: gathered in a growing list, then copied out to a String[]. The
   list is garbage at once, the array once the directory is done. */
static str_t **read_listing(int fd, const str_t *dir)
{
    /* Aligned for the 64-bit fields of the records the kernel writes. */
    _Alignas(8) char buf[4096];
    vec_t *listing = vec_new(16);
    root_push(listing);
    for (;;) {
        long got = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            fprintf(stderr, "fsscan: reading directory '%s': %s\n",
                    display_path(dir, NULL, msg_buf, sizeof msg_buf), strerror(errno));
            break;
        }
        if (got == 0)
            break;
        for (long off = 0; off < got;) {
            const struct linux_dirent64 *d = (const void *)(buf + off);
            off += d->d_reclen;
            const char *nm = d->d_name;
            if (nm[0] == '.' && (nm[1] == '\0' || (nm[1] == '.' && nm[2] == '\0')))
                continue;
            str_t *s = str_from_bytes(nm, strlen(nm));
            root_push(s);
            vec_push(listing, s);
            root_pop(1);
        }
    }
    str_t **names = (str_t **)vec_to_array(listing);
    root_pop(1);
    return names;
}

/* FNV-1a of the first FIRST_BYTES bytes of file `f` (rooted), which is
   `native` in `dirfd`, read the way java.io reads it:
       InputStream in = new BufferedInputStream(new FileInputStream(f));
       byte[] head = new byte[FIRST_BYTES];
       ... in.read(head, got, FIRST_BYTES - got) until full or at the end
   The stream objects, the stream's buffer and `head` are garbage after. */
static uint32_t first_bytes_hash(int dirfd, const char *native, const str_t *dir, const str_t *name,
                                 const file_t *f)
{
    fis_t *fis = gc_alloc(sizeof *fis, 2);
    root_push(fis);
    fis->path = f->path;
    fdesc_t *fdo = gc_alloc(sizeof *fdo, 0);
    fis->fd = fdo;
    fdo->fd = openat(dirfd, native, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fdo->fd < 0) {
        /* new FileInputStream(f) throws: nothing could be read. */
        fprintf(stderr, "fsscan: opening '%s': %s\n", display_path(dir, name, msg_buf, sizeof msg_buf),
                strerror(errno));
        root_pop(1);
        return fnv_bytes(FNV_BASIS, NULL, 0);
    }
    bis_t *in = gc_alloc(sizeof *in, 2);
    in->in = fis;
    root_pop(1);
    root_push(in);
    uint8_t *ibuf = gc_alloc(BIS_BUFFER, 0);
    in->buf = ibuf;
    uint8_t *head = gc_alloc(FIRST_BYTES, 0);
    root_pop(1);
    /* Nothing allocates from here on. */
    size_t got = 0;
    while (got < FIRST_BYTES) {
        if (in->pos == in->count) {
            /* The buffer is used up: refill all of it. */
            ssize_t r = read(fdo->fd, in->buf, BIS_BUFFER);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            in->pos = 0;
            in->count = (uint32_t)r;
        }
        size_t n = in->count - in->pos;
        if (n > FIRST_BYTES - got)
            n = FIRST_BYTES - got;
        memcpy(head + got, in->buf + in->pos, n);
        in->pos += (uint32_t)n;
        got += n;
    }
    close(fdo->fd);
    return fnv_bytes(FNV_BASIS, head, got);
}

/* Scan directory `dir` (relative to the scan root; rooted by the caller)
   the way a Java scanner does:
       File d = new File(root, dir);
       for (String name : d.list()) {
           File f = new File(d, name);
           String rel = f.getPath().substring(root.length() + 1);
           ...
   recording every entry, indexing regular files and queueing directories.
   The kernel is handed the entry names relative to the open directory
   rather than the absolute paths, which is equivalent and lets directories
   nest deeper than PATH_MAX. */
static void scan_dir(int rootfd, const str_t *dir)
{
    static char native_dir[4096], native_name[4096];
    int fd = -1;
    if (!dir->len)
        fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    else if (str_native(dir, native_dir, sizeof native_dir))
        fd = openat(rootfd, native_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    else
        errno = ENAMETOOLONG;
    if (fd < 0) {
        fprintf(stderr, "fsscan: opening directory '%s': %s\n", display_path(dir, NULL, msg_buf, sizeof msg_buf),
                strerror(errno));
        return;
    }
    str_t *dpath = dir->len ? path_join(g_root, dir) : g_root;
    root_push(dpath);
    file_t *d = gc_alloc(sizeof *d, 1);
    d->path = dpath;
    root_pop(1);
    root_push(d);
    str_t **names = read_listing(fd, dir);
    root_push(names);
    const uint32_t n = array_len(names), skip = g_root->len + 1;
    for (uint32_t i = 0; i < n; i++) {
        const str_t *name = names[i];
        file_t *f = file_child(d, name);
        root_push(f);
        struct stat st;
        /* A name from getdents64 is at most 255 bytes, so it always fits. */
        str_native(name, native_name, sizeof native_name);
        if (fstatat(fd, native_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            fprintf(stderr, "fsscan: stat '%s': %s\n", display_path(dir, name, msg_buf, sizeof msg_buf),
                    strerror(errno));
            root_pop(1);
            continue;
        }
        n_entries++;
        rec_t *r = gc_alloc(sizeof *r, 2);
        root_push(r);
        r->path = str_sub(f->path, skip, f->path->len - skip);
        if (S_ISDIR(st.st_mode)) {
            n_dirs++;
            pend_t *p = gc_alloc(sizeof *p, 2);
            p->path = r->path;
            p->next = g_pending;
            g_pending = p;
        } else if (S_ISREG(st.st_mode)) {
            n_files++;
            r->size = (uint64_t)st.st_size;
            n_bytes += r->size;
            r->hash = first_bytes_hash(fd, native_name, dir, name, f);
            index_add(r, name);
        }
        root_pop(2);
    }
    root_pop(2);
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && argv[1][0] == '\0')) {
        fprintf(stderr, "usage: fsscan [dir]   (default %s)\n", DEFAULT_ROOT);
        return 2;
    }
    const char *root = argc == 2 ? argv[1] : DEFAULT_ROOT;

    char why[160];
    size_t limit = heap_limit_bytes(why, sizeof why);
    fprintf(stderr, "fsscan: heap limit %zu bytes (%s)\n", limit, why);
    heap_init(limit);

    int rootfd = openat(AT_FDCWD, root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) {
        fprintf(stderr, "fsscan: cannot open directory '%s': %s\n", root, strerror(errno));
        return 2;
    }

    g_root = str_from_bytes(root, strlen(root));
    g_small = gc_alloc(LONG_CACHE * sizeof(boxed_t *), LONG_CACHE);
    for (uint32_t v = 0; v < LONG_CACHE; v++) {
        boxed_t *b = gc_alloc(sizeof *b, 0);
        b->value = v;
        g_small[v] = b;
    }
    g_index = gc_alloc(INDEX_INITIAL * sizeof(rec_t *), INDEX_INITIAL);
    g_index_cap = INDEX_INITIAL;
    g_ext = gc_alloc(EXT_BUCKETS * sizeof(ext_t *), EXT_BUCKETS);
    g_top = gc_alloc(TOP_N * sizeof(rec_t *), TOP_N);
    g_pending = gc_alloc(sizeof *g_pending, 2);
    g_pending->path = str_alloc(0);

    while (g_pending) {
        str_t *dir = g_pending->path;
        g_pending = g_pending->next;
        root_push(dir);
        scan_dir(rootfd, dir);
        root_pop(1);
    }
    close(rootfd);

    /* Measured before the checksum's scratch arrays exist: the index alone. */
    uint64_t live = gc_live_bytes();
    uint32_t checksum = index_checksum();

    printf("fsscan: entries %" PRIu64 " dirs %" PRIu64 " files %" PRIu64 " bytes %" PRIu64 " index %08" PRIx32 "\n",
           n_entries, n_dirs, n_files, n_bytes, checksum);
    fflush(stdout);

    uint64_t total_ns = cpu_ns();
    fprintf(stderr,
            "fsscan: gc collections %" PRIu64 " allocated_objects %" PRIu64 " allocated_bytes %" PRIu64
            " live_bytes %" PRIu64 " heap_high_water %zu heap_limit %zu\n",
            gc_collections, alloc_objects, alloc_bytes, live, heap_high_water, limit);
    fprintf(stderr, "fsscan: gc_cpu_ns %" PRIu64 " total_cpu_ns %" PRIu64 " gc_share %.1f%%\n", gc_ns, total_ns,
            total_ns ? 100.0 * (double)gc_ns / (double)total_ns : 0.0);
    return 0;
}
