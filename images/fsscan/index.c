/*
 * The index of fsscan (see index.h).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fnv.h"
#include "heap.h"
#include "index.h"
#include "jobjects.h"

/* Count and bytes of the files with one extension, kept as boxed Longs the
   way a Map<String, Long> keeps them: each update boxes a new value and
   leaves the old one to the collector. */
typedef struct ext {
    str_t *name;
    struct ext *next; /* next in the hash bucket */
    boxed_t *count, *bytes;
} ext_t;


/* The index: globals the collector treats as roots (index_mark_roots). */
static rec_t *g_records;   /* after the scan: every file's record, by path */
static rec_t **g_index;    /* during the scan: g_index_cap chained buckets */
static uint32_t g_index_cap, g_index_len;
static ext_t **g_ext;      /* EXT_BUCKETS chained buckets */
static rec_t **g_top;      /* TOP_N slots, largest first */
static uint32_t g_top_len;
static uint32_t g_ext_count;

void index_init(void)
{
    g_index = gc_alloc(INDEX_INITIAL * sizeof(rec_t *), INDEX_INITIAL);
    g_index_cap = INDEX_INITIAL;
    g_ext = gc_alloc(EXT_BUCKETS * sizeof(ext_t *), EXT_BUCKETS);
    g_top = gc_alloc(TOP_N * sizeof(rec_t *), TOP_N);
}

void index_mark_roots(void)
{
    gc_mark(g_records);
    gc_mark(g_index);
    gc_mark(g_ext);
    gc_mark(g_top);
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

void index_add(rec_t *r, const str_t *name)
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
uint32_t index_checksum(void)
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
