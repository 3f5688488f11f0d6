/*
 * Fixtures shared by several check files (see fixtures.h).
 */
#define _GNU_SOURCE

#include "kabi.h"
#include "fixtures.h"

/* Create a file holding exactly n bytes of buf; returns 0 on success. */
int put_file(const char *path, const void *buf, size_t n)
{
    long fd = sys_openat(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    long w = sys_write(fd, buf, n);
    sys_close(fd);
    return w == (long)n ? 0 : -1;
}

/* ---- directory listing and removal ---- */


static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * List a directory with getdents64, skipping "." and "..". Names are
 * copied into store (NUL separated) and pointed to from names[], sorted.
 * Returns the count, or -1 with errno set. If types is non-NULL it
 * receives each name's d_type, in sorted order.
 */
int list_dir(const char *path, char *store, size_t store_len, const char **names,
                    unsigned char *types)
{
    long fd = sys_openat(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    /* Keep names and types together while sorting by storing the type byte
       just before each name. */
    char buf[512];
    size_t used = 0;
    int count = 0;
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (n < 0) {
            int e = errno;
            sys_close(fd);
            errno = e;
            return -1;
        }
        if (n == 0)
            break;
        for (long pos = 0; pos < n;) {
            const struct kdirent64 *d = (const struct kdirent64 *)(buf + pos);
            pos += d->d_reclen;
            if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
                continue;
            size_t len = strlen(d->d_name);
            if (count == MAX_NAMES || used + len + 2 > store_len) {
                sys_close(fd);
                errno = ENOMEM;
                return -1;
            }
            store[used] = (char)d->d_type;
            memcpy(store + used + 1, d->d_name, len + 1);
            names[count++] = store + used + 1;
            used += len + 2;
        }
    }
    sys_close(fd);
    qsort(names, (size_t)count, sizeof names[0], cmp_names);
    if (types)
        for (int i = 0; i < count; i++)
            types[i] = (unsigned char)names[i][-1];
    return count;
}

/* Remove a tree this program created; used to clean up before and after. */
int remove_tree(const char *path)
{
    struct kstat64 st;
    if (sys_fstatat64(path, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return (int)sys_unlinkat(path, 0);
    char store[1024];
    const char *names[MAX_NAMES];
    int n = list_dir(path, store, sizeof store, names, NULL);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        char child[256];
        snprintf(child, sizeof child, "%s/%s", path, names[i]);
        if (remove_tree(child) != 0)
            return -1;
    }
    return (int)sys_unlinkat(path, AT_REMOVEDIR);
}

void fill(uint8_t *p, size_t n, uint32_t salt)
{
    for (size_t i = 0; i < n; i++)
        p[i] = pattern((uint32_t)i, salt);
}

/* Index of the first byte that breaks the pattern, or n if none does. */
size_t verify(const uint8_t *p, size_t n, uint32_t salt)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != pattern((uint32_t)i, salt))
            return i;
    return n;
}

int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}
