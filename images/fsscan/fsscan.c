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
 * stderr: the heap limit and how it was chosen, a line each time the heap
 * grows instead of collecting (see heap.c), then collector statistics with
 * the final limit, including process CPU time spent collecting versus in
 * total.
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
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fnv.h"
#include "heap.h"
#include "index.h"
#include "jobjects.h"

/*
 * The program is split by job: heap.c (with heaplimit.c) is the collector,
 * jobjects.c the Java-like objects, index.c the index and its checksum;
 * this file scans and reports.
 */

#define DEFAULT_ROOT "/sdcard"
#define FIRST_BYTES 64 /* bytes of each file that are read and hashed */

/* A directory still to be scanned. */
typedef struct pend {
    str_t *path;
    struct pend *next;
} pend_t;

/* The work list and the scan root: roots of the heap besides the index. */
static pend_t *g_pending;
static str_t *g_root;        /* the scan root as given */

static uint64_t n_entries, n_dirs, n_files, n_bytes;

/* Room for a path in an error message. */
static char msg_buf[4096];

/* The heap's roots, in a fixed order: the index, the work list, the scan
   root and the Long cache. */
void gc_mark_roots(void)
{
    index_mark_roots();
    gc_mark(g_pending);
    gc_mark(g_root);
    gc_mark(g_small);
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

/* Scan the tree at `root` into the index: all of the program's heavy work,
   in one function that main calls once, so that the whole scan can be
   offloaded as a unit (it must stay a global symbol, not inlined). Returns
   0, or -1 when `root` cannot be opened (reported on stderr). */
__attribute__((noinline)) int scan_tree(const char *root)
{
    int rootfd = openat(AT_FDCWD, root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) {
        fprintf(stderr, "fsscan: cannot open directory '%s': %s\n", root, strerror(errno));
        return -1;
    }

    g_root = str_from_bytes(root, strlen(root));
    /* Allocated in the same order as ever: the heap's layout, and so every
       collector figure, depends on it. */
    long_cache_init();
    index_init();
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
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && argv[1][0] == '\0')) {
        fprintf(stderr, "usage: fsscan [dir]   (default %s)\n", DEFAULT_ROOT);
        return 2;
    }
    const char *root = argc == 2 ? argv[1] : DEFAULT_ROOT;

    char why[160];
    size_t most;
    size_t limit = heap_limit_bytes(why, sizeof why, &most);
    fprintf(stderr, "fsscan: heap limit %zu bytes (%s)\n", limit, why);
    heap_init(limit, most);

    if (scan_tree(root) != 0)
        return 2;

    /* Measured before the checksum's scratch arrays exist: the index alone. */
    uint64_t live = gc_live_bytes();
    uint32_t checksum = index_checksum();

    printf("fsscan: entries %" PRIu64 " dirs %" PRIu64 " files %" PRIu64 " bytes %" PRIu64 " index %08" PRIx32 "\n",
           n_entries, n_dirs, n_files, n_bytes, checksum);
    fflush(stdout);

    uint64_t total_ns = cpu_ns();
    fprintf(stderr,
            "fsscan: gc collections %" PRIu64 " allocated_objects %" PRIu64 " allocated_bytes %" PRIu64
            " live_bytes %" PRIu64 " heap_high_water %zu heap_limit %zu heap_raises %" PRIu64 "\n",
            gc_collections, alloc_objects, alloc_bytes, live, heap_high_water, heap_limit, heap_raises);
    fprintf(stderr, "fsscan: gc_cpu_ns %" PRIu64 " total_cpu_ns %" PRIu64 " gc_share %.1f%%\n", gc_ns, total_ns,
            total_ns ? 100.0 * (double)gc_ns / (double)total_ns : 0.0);
    return 0;
}
