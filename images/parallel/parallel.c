/*
 * parallel: a file scan split over as many threads as the device has cores.
 *
 * Every regular file below <dir> is read to its end; each byte goes through
 * a table-driven CRC-32 and a byte histogram. The threads share one work
 * queue of directories, protected by a mutex: a thread takes a directory,
 * hashes its files, and queues its subdirectories, signalling a condition
 * variable that idle threads wait on. When the queue is empty and no thread
 * is busy, the scan is over; every thread then meets at a barrier, past
 * which one of them merges the per-thread results.
 *
 * Usage: parallel [dir [threads]]    (defaults: /sdcard, and the number of
 * online processors that sysconf(_SC_NPROCESSORS_ONLN) reports, at most 64)
 *
 * stdout: two lines that depend only on the tree, never on the number of
 * threads or on how the work was shared out:
 *   parallel: dirs <d> files <f> other <o> bytes <b>
 *   parallel: checksum <16 hex> histogram <16 hex> top-byte <2 hex>
 * Paths enter the checksum relative to <dir>, so the same tree gives the
 * same checksum wherever it is mounted.
 * stderr: "parallel: threads <n>", then one line per unreadable entry.
 * Exit status: 0 on success, 1 when some entry could not be read, 2 on bad
 * usage or when a thread cannot be started.
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_THREADS 64
#define CHUNK 32768
/* Small stacks: the default (the stack rlimit, 8 MiB) times 64 is a lot of address space. */
#define STACK_BYTES (256 * 1024)

/* A directory still to be scanned: its path, and where the part relative to the root starts. */
typedef struct job {
    struct job *next;
    size_t rel;
    char path[];
} job_t;

/* What one thread found; merged after the barrier. */
typedef struct {
    uint64_t dirs, files, other, bytes, errors;
    uint64_t sum;            /* sum of the entries' digests (order-independent) */
    uint64_t hist[256];      /* byte counts over all files */
    unsigned char buf[CHUNK];
} acc_t;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t idle;     /* work was queued, or the scan is over */
    job_t *head;
    int busy;                /* threads scanning a directory, which may queue more */
} queue = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0};

static pthread_barrier_t merged;
static acc_t *accs;
static int nthreads;
static acc_t total;
static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & -(c & 1));
        crc_table[i] = c;
    }
}

/* A 64-bit finaliser (splitmix64), so that summed digests do not cancel out. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t fnv64(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

static void report(acc_t *a, const char *what, const char *path)
{
    a->errors++;
    fprintf(stderr, "parallel: %s %s: %s\n", what, path, strerror(errno));
}

/* Read a file to its end through the CRC and the histogram; its digest joins the sum. */
static void hash_file(acc_t *a, const char *path, size_t rel)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        report(a, "cannot open", path);
        return;
    }
    uint32_t crc = 0xffffffffu;
    uint32_t counts[256] = {0};
    uint64_t size = 0;
    for (;;) {
        ssize_t n = read(fd, a->buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            report(a, "cannot read", path);
            break;
        }
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            unsigned char b = a->buf[i];
            crc = (crc >> 8) ^ crc_table[(crc ^ b) & 0xff];
            counts[b]++;
        }
        size += (uint64_t)n;
    }
    close(fd);
    for (int i = 0; i < 256; i++)
        a->hist[i] += counts[i];
    a->files++;
    a->bytes += size;
    a->sum += mix64(fnv64(path + rel) ^ ((uint64_t)~crc << 32 | (size & 0xffffffffu)));
}

/* Queue a directory for any thread, waking one that is idle. */
static void push(const char *path, size_t rel)
{
    size_t len = strlen(path);
    job_t *j = malloc(sizeof *j + len + 1);
    if (!j) {
        fputs("parallel: out of memory\n", stderr);
        exit(2);
    }
    memcpy(j->path, path, len + 1);
    j->rel = rel;
    pthread_mutex_lock(&queue.lock);
    j->next = queue.head;
    queue.head = j;
    pthread_cond_signal(&queue.idle);
    pthread_mutex_unlock(&queue.lock);
}

/* Hash the files of one directory and queue its subdirectories. */
static void scan_dir(acc_t *a, const job_t *job)
{
    a->dirs++;
    a->sum += mix64(fnv64(job->path + job->rel) ^ 0x6469720000000000ull);
    DIR *d = opendir(job->path);
    if (!d) {
        report(a, "cannot open directory", job->path);
        return;
    }
    size_t base = strlen(job->path);
    char *child = malloc(base + 2 + NAME_MAX + 1);
    if (!child) {
        fputs("parallel: out of memory\n", stderr);
        exit(2);
    }
    memcpy(child, job->path, base);
    child[base] = '/';
    /* A child's relative path starts after the root's slash (the root itself is ""). */
    size_t rel = job->rel == base ? base + 1 : job->rel;
    struct dirent *e;
    while ((errno = 0, e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        strcpy(child + base + 1, e->d_name);
        struct stat st;
        if (lstat(child, &st) < 0) {
            report(a, "cannot stat", child);
            continue;
        }
        if (S_ISDIR(st.st_mode))
            push(child, rel);
        else if (S_ISREG(st.st_mode))
            hash_file(a, child, rel);
        else {
            a->other++;
            a->sum += mix64(fnv64(child + rel) ^ 0x6f74680000000000ull);
        }
    }
    if (errno)
        report(a, "cannot list", job->path);
    closedir(d);
    free(child);
}

/* Take directories from the queue until it is empty and nobody can add to it. */
static void drain(acc_t *a)
{
    for (;;) {
        pthread_mutex_lock(&queue.lock);
        while (!queue.head && queue.busy > 0)
            pthread_cond_wait(&queue.idle, &queue.lock);
        job_t *j = queue.head;
        if (!j) {
            /* Nothing queued and nobody busy: wake the others so they see it too. */
            pthread_cond_broadcast(&queue.idle);
            pthread_mutex_unlock(&queue.lock);
            return;
        }
        queue.head = j->next;
        queue.busy++;
        pthread_mutex_unlock(&queue.lock);

        scan_dir(a, j);
        free(j);

        pthread_mutex_lock(&queue.lock);
        if (--queue.busy == 0 && !queue.head)
            pthread_cond_broadcast(&queue.idle);
        pthread_mutex_unlock(&queue.lock);
    }
}

static void merge(void)
{
    for (int t = 0; t < nthreads; t++) {
        const acc_t *a = &accs[t];
        total.dirs += a->dirs;
        total.files += a->files;
        total.other += a->other;
        total.bytes += a->bytes;
        total.errors += a->errors;
        total.sum += a->sum;
        for (int i = 0; i < 256; i++)
            total.hist[i] += a->hist[i];
    }
}

/* One thread's whole life: scan, wait for every other thread, and let one of them merge. */
static void *worker(void *arg)
{
    drain(arg);
    if (pthread_barrier_wait(&merged) == PTHREAD_BARRIER_SERIAL_THREAD)
        merge();
    return NULL;
}

static int thread_count(const char *arg)
{
    if (arg) {
        char *end;
        long n = strtol(arg, &end, 10);
        if (*arg == '\0' || *end != '\0' || n < 1 || n > MAX_THREADS) {
            fprintf(stderr, "parallel: thread count must be 1..%d, got '%s'\n", MAX_THREADS, arg);
            exit(2);
        }
        return (int)n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

int main(int argc, char **argv)
{
    if (argc > 3) {
        fputs("usage: parallel [dir [threads]]\n", stderr);
        return 2;
    }
    const char *root = argc > 1 ? argv[1] : "/sdcard";
    nthreads = thread_count(argc > 2 ? argv[2] : NULL);
    fprintf(stderr, "parallel: threads %d\n", nthreads);

    crc_init();
    accs = calloc((size_t)nthreads, sizeof *accs);
    if (!accs) {
        fputs("parallel: out of memory\n", stderr);
        return 2;
    }
    /* Trailing slashes would make relative paths start one character late. */
    char *top = strdup(root);
    size_t len = strlen(top);
    while (len > 1 && top[len - 1] == '/')
        top[--len] = '\0';
    push(top, len);
    free(top);

    pthread_barrier_init(&merged, NULL, (unsigned)nthreads);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, STACK_BYTES);
    pthread_t tids[MAX_THREADS];
    for (int t = 1; t < nthreads; t++) {
        int err = pthread_create(&tids[t], &attr, worker, &accs[t]);
        if (err) {
            fprintf(stderr, "parallel: cannot start thread %d: %s\n", t, strerror(err));
            return 2;
        }
    }
    worker(&accs[0]);
    for (int t = 1; t < nthreads; t++)
        pthread_join(tids[t], NULL);
    pthread_barrier_destroy(&merged);

    uint64_t hh = 0xcbf29ce484222325ull;
    int top_byte = 0;
    for (int i = 0; i < 256; i++) {
        hh = mix64(hh ^ total.hist[i]);
        if (total.hist[i] > total.hist[top_byte])
            top_byte = i;
    }
    printf("parallel: dirs %" PRIu64 " files %" PRIu64 " other %" PRIu64 " bytes %" PRIu64 "\n", total.dirs, total.files,
           total.other, total.bytes);
    printf("parallel: checksum %016" PRIx64 " histogram %016" PRIx64 " top-byte %02x\n", total.sum, hh, top_byte);
    return total.errors ? 1 : 0;
}
