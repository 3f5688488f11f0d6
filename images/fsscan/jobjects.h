/*
 * Java-like objects in the managed heap: strings of 16-bit chars, a string
 * builder, growable reference lists, boxed Longs, java.io.File and the
 * input streams a file is read through. They allocate as their Java
 * counterparts do, so the collector sees the garbage a Java scanner makes.
 *
 * Helpers that run for every scanned entry are inline here; the rest are in
 * jobjects.c.
 */
#ifndef FSSCAN_JOBJECTS_H
#define FSSCAN_JOBJECTS_H

#include <stddef.h>
#include <stdint.h>

#include "heap.h"

#define BIS_BUFFER 8192 /* java.io.BufferedInputStream's default buffer */
#define LONG_CACHE 128  /* Long.valueOf boxes 0..127 without allocating */

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

/* java.lang.Long: what autoboxing a long makes. */
typedef struct boxed {
    uint64_t value;
} boxed_t;

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

/* Long.valueOf's cache of -128..127 (0..127 used): a root of the heap. */
extern boxed_t **g_small;

/* A string of `len` chars, all zero. */
static inline str_t *str_alloc(size_t len)
{
    if (len > (UINT32_MAX - sizeof(str_t)) / sizeof(uint16_t))
        out_of_memory("string", len);
    str_t *r = gc_alloc(sizeof(str_t) + len * sizeof(uint16_t), 0);
    r->len = (uint32_t)len;
    return r;
}

static inline int str_cmp(const str_t *a, const str_t *b)
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
static inline const char *str_native(const str_t *s, char *buf, size_t size)
{
    if (s->len >= size)
        return NULL;
    for (uint32_t i = 0; i < s->len; i++)
        buf[i] = (char)s->c[i];
    buf[s->len] = '\0';
    return buf;
}

/* Long.valueOf(v): the cached box for a small value, a new one otherwise. */
static inline boxed_t *box_long(uint64_t v)
{
    if (v < LONG_CACHE)
        return g_small[v];
    boxed_t *b = gc_alloc(sizeof *b, 0);
    b->value = v;
    return b;
}

/* String.hashCode(). */
static inline uint32_t str_hash_code(const str_t *s)
{
    uint32_t h = 0;
    for (uint32_t i = 0; i < s->len; i++)
        h = 31 * h + s->c[i];
    return h;
}

/* `s` must not point into an unrooted heap object. */
str_t *str_from_bytes(const char *s, size_t len);

/* The `len` chars of `s` from `from`; `s` must be rooted. */
str_t *str_sub(const str_t *s, uint32_t from, uint32_t len);

/* dir + "/" + name, or just name at the root; both arguments rooted. */
str_t *path_join(const str_t *dir, const str_t *name);

/* `dir/name` (or `name`) as text for messages. */
const char *display_path(const str_t *dir, const str_t *name, char *buf, size_t size);

/* A list with room for `cap` references. */
vec_t *vec_new(uint32_t cap);

/* Append `item`; both `v` and `item` must be rooted. */
void vec_push(vec_t *v, void *item);

/* list.toArray(new String[list.size()]); `v` must be rooted. */
void **vec_to_array(vec_t *v);

/* Fill the Long cache (g_small). */
void long_cache_init(void);

/* name.split("\\.", -1); `name` must be rooted. */
str_t **split_dots(const str_t *name);

/* new File(dir, name); `dir` and `name` must be rooted. */
file_t *file_child(const file_t *dir, const str_t *name);

#endif
