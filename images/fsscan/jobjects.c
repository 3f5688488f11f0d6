/*
 * The Java-like objects of fsscan that are not inline in jobjects.h.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "heap.h"
#include "jobjects.h"

boxed_t **g_small;

/* `s` must not point into an unrooted heap object. */
str_t *str_from_bytes(const char *s, size_t len)
{
    str_t *r = str_alloc(len);
    for (size_t i = 0; i < len; i++)
        r->c[i] = (uint8_t)s[i];
    return r;
}

/* The `len` chars of `s` from `from`; `s` must be rooted. */
str_t *str_sub(const str_t *s, uint32_t from, uint32_t len)
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
str_t *path_join(const str_t *dir, const str_t *name)
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

/* `dir/name` (or `name`) as text for messages. */
const char *display_path(const str_t *dir, const str_t *name, char *buf, size_t size)
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

vec_t *vec_new(uint32_t cap)
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
void vec_push(vec_t *v, void *item)
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


/* list.toArray(new String[list.size()]): an exact-size copy of the
   vector's items; `v` must be rooted. */
void **vec_to_array(vec_t *v)
{
    void **a = gc_alloc((size_t)v->len * sizeof(void *), v->len);
    memcpy(a, v->items, v->len * sizeof(void *));
    return a;
}

/* Long.valueOf's cache: one box per value below LONG_CACHE, allocated
   once up front as the class initializer does. */
void long_cache_init(void)
{
    g_small = gc_alloc(LONG_CACHE * sizeof(boxed_t *), LONG_CACHE);
    for (uint32_t v = 0; v < LONG_CACHE; v++) {
        boxed_t *b = gc_alloc(sizeof *b, 0);
        b->value = v;
        g_small[v] = b;
    }
}

/* name.split("\\.", -1): the pieces of `name` between its dots, empty ones
   included, gathered in a list and copied out to an array, as String.split
   does. `name` must be rooted. */
str_t **split_dots(const str_t *name)
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
file_t *file_child(const file_t *dir, const str_t *name)
{
    str_t *path = path_join(dir->path, name);
    root_push(path);
    file_t *f = gc_alloc(sizeof *f, 1);
    root_pop(1);
    f->path = path;
    return f;
}
