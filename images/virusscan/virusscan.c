/*
 * virusscan: a signature scanner over a file tree, the first of the CloneCloud
 * evaluation applications.
 *
 * Usage: virusscan [small|medium|large] [root]
 *   The size picks the tree, sdcard/<size> relative to the working directory,
 *   unless a root folder is given. Default: medium.
 *
 * main() generates a database of NSIGS signatures (10 to 24 printable bytes
 * each, from a fixed xorshift seed) and hands it to scan_tree(), which does
 * all the heavy work: it builds an Aho-Corasick automaton over the
 * signatures, walks the tree in byte order of names (so the listing order of
 * the file system does not matter), streams every regular file through the
 * automaton and prints one line per infected file with the signatures found,
 * then a summary line. The output depends only on the tree's contents.
 */
#define _DEFAULT_SOURCE
/* 64-bit directory offsets: host file systems under qemu-arm hand out hashes that overflow 32 bits. */
#define _FILE_OFFSET_BITS 64
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NSIGS 400
#define SIG_MIN 10
#define SIG_MAX 24
#define SIG_SEED 0x5eed1234u
#define CHUNK 65536

/* The signature database main() builds and scan_tree() reads. */
struct sigdb {
    int count;
    char name[NSIGS][24];
    uint8_t len[NSIGS];
    uint8_t bytes[NSIGS][SIG_MAX];
};

static uint32_t rng_state;

/* xorshift32; the spec reimplements it to predict the planted files. */
static uint32_t rng(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

static const char *const families[8] = {
    "Trojan.SMS", "Spy.Loc", "Adware.Push", "Worm.Bt", "Root.Exploit", "Dropper.Apk", "Fake.Inst", "Bot.Irc",
};

/* Signatures are printable ASCII (0x21..0x7e) so that a manifest can plant them as text. */
static void make_sigdb(struct sigdb *db)
{
    rng_state = SIG_SEED;
    db->count = NSIGS;
    for (int i = 0; i < NSIGS; i++) {
        int len = SIG_MIN + (int)(rng() % (SIG_MAX - SIG_MIN + 1));
        db->len[i] = (uint8_t)len;
        for (int j = 0; j < len; j++) db->bytes[i][j] = (uint8_t)(0x21 + rng() % 94);
        snprintf(db->name[i], sizeof db->name[i], "%s.%03d", families[i % 8], i);
    }
}

/*
 * The automaton: a trie whose children are sibling lists (states are few and
 * mostly shallow), a full 256-entry table at the root where most bytes land,
 * failure links, and for output the signature ending at a state plus a link
 * to the next state on the failure chain that ends a signature.
 */
struct automaton {
    int nstates;
    int root_next[256];
    int *first_child, *next_sibling, *fail, *out, *out_link;
    uint8_t *label;
};

static int child(const struct automaton *ac, int s, uint8_t b)
{
    if (s == 0) return ac->root_next[b];
    for (int c = ac->first_child[s]; c; c = ac->next_sibling[c])
        if (ac->label[c] == b) return c;
    return 0;
}

static void ac_build(struct automaton *ac, const struct sigdb *db)
{
    int cap = 1;
    for (int i = 0; i < db->count; i++) cap += db->len[i];
    ac->first_child = calloc(cap, sizeof(int));
    ac->next_sibling = calloc(cap, sizeof(int));
    ac->fail = calloc(cap, sizeof(int));
    ac->out = malloc(cap * sizeof(int));
    ac->out_link = calloc(cap, sizeof(int));
    ac->label = calloc(cap, 1);
    if (!ac->first_child || !ac->next_sibling || !ac->fail || !ac->out || !ac->out_link || !ac->label) {
        fprintf(stderr, "virusscan: out of memory\n");
        exit(2);
    }
    memset(ac->root_next, 0, sizeof ac->root_next);
    for (int s = 0; s < cap; s++) ac->out[s] = -1;
    ac->nstates = 1;
    for (int i = 0; i < db->count; i++) {
        int s = 0;
        for (int j = 0; j < db->len[i]; j++) {
            uint8_t b = db->bytes[i][j];
            int t = child(ac, s, b);
            if (!t) {
                t = ac->nstates++;
                ac->label[t] = b;
                if (s == 0) {
                    ac->root_next[b] = t;
                } else {
                    ac->next_sibling[t] = ac->first_child[s];
                    ac->first_child[s] = t;
                }
            }
            s = t;
        }
        /* Two equal signatures would share a state: the first one keeps it. */
        if (ac->out[s] < 0) ac->out[s] = i;
    }
    /* Breadth-first, so a state's failure target is finished before the state. */
    int *queue = malloc(ac->nstates * sizeof(int));
    int head = 0, tail = 0;
    for (int b = 0; b < 256; b++)
        if (ac->root_next[b]) queue[tail++] = ac->root_next[b];
    while (head < tail) {
        int s = queue[head++];
        for (int c = ac->first_child[s]; c; c = ac->next_sibling[c]) {
            int f = ac->fail[s];
            int t;
            while (!(t = child(ac, f, ac->label[c])) && f) f = ac->fail[f];
            ac->fail[c] = t;
            ac->out_link[c] = ac->out[t] >= 0 ? t : ac->out_link[t];
            queue[tail++] = c;
        }
    }
    free(queue);
}

static int step(const struct automaton *ac, int s, uint8_t b)
{
    for (;;) {
        int t = child(ac, s, b);
        if (t || s == 0) return t;
        s = ac->fail[s];
    }
}

/* What the scan of one file found. */
struct findings {
    uint8_t hit[NSIGS];
    int ids[NSIGS];
    int distinct;
    long matches;
};

struct totals {
    long files, dirs, bytes, infected, matches;
};

static void record(const struct automaton *ac, int s, struct findings *f)
{
    if (ac->out[s] < 0) s = ac->out_link[s];
    for (; s; s = ac->out_link[s]) {
        int id = ac->out[s];
        f->matches++;
        if (!f->hit[id]) {
            f->hit[id] = 1;
            f->ids[f->distinct++] = id;
        }
    }
}

static int by_id(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

static void scan_file(const struct automaton *ac, const struct sigdb *db, const char *path, uint8_t *buf, struct totals *t)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("unreadable %s\n", path);
        return;
    }
    struct findings f;
    f.distinct = 0;
    f.matches = 0;
    int s = 0;
    ssize_t n;
    while ((n = read(fd, buf, CHUNK)) > 0) {
        t->bytes += n;
        for (ssize_t i = 0; i < n; i++) {
            s = step(ac, s, buf[i]);
            if (ac->out[s] >= 0 || ac->out_link[s]) {
                if (f.distinct == 0) memset(f.hit, 0, sizeof f.hit);
                record(ac, s, &f);
            }
        }
    }
    close(fd);
    t->files++;
    if (f.distinct) {
        t->infected++;
        t->matches += f.matches;
        qsort(f.ids, f.distinct, sizeof(int), by_id);
        printf("infected %s:", path);
        for (int i = 0; i < f.distinct; i++) printf(" %s", db->name[f.ids[i]]);
        printf(" (%ld matches)\n", f.matches);
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(const struct automaton *ac, const struct sigdb *db, const char *dir, uint8_t *buf, struct totals *t)
{
    DIR *d = opendir(dir);
    if (!d) {
        printf("unreadable %s\n", dir);
        return;
    }
    t->dirs++;
    int count = 0, cap = 16;
    char **names = malloc(cap * sizeof(char *));
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (count == cap) names = realloc(names, (cap *= 2) * sizeof(char *));
        names[count++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, count, sizeof(char *), by_name);
    size_t dlen = strlen(dir);
    for (int i = 0; i < count; i++) {
        size_t plen = dlen + strlen(names[i]) + 2;
        char *path = malloc(plen);
        snprintf(path, plen, "%s/%s", dir, names[i]);
        struct stat st;
        if (lstat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                walk(ac, db, path, buf, t);
            else if (S_ISREG(st.st_mode))
                scan_file(ac, db, path, buf, t);
        }
        free(path);
        free(names[i]);
    }
    free(names);
}

/*
 * The offloadable unit: build the automaton over `db`, scan every file below
 * `root`, print the infected files and a summary. Returns the infected count.
 */
__attribute__((noinline)) int scan_tree(const struct sigdb *db, const char *root)
{
    struct automaton ac;
    ac_build(&ac, db);
    uint8_t *buf = malloc(CHUNK);
    struct totals t = {0, 0, 0, 0, 0};
    walk(&ac, db, root, buf, &t);
    printf("virusscan: signatures %d states %d dirs %ld files %ld bytes %ld infected %ld matches %ld\n", db->count, ac.nstates,
           t.dirs, t.files, t.bytes, t.infected, t.matches);
    free(buf);
    free(ac.first_child);
    free(ac.next_sibling);
    free(ac.fail);
    free(ac.out);
    free(ac.out_link);
    free(ac.label);
    return (int)t.infected;
}

int main(int argc, char **argv)
{
    const char *size = argc > 1 ? argv[1] : "medium";
    if (strcmp(size, "small") && strcmp(size, "medium") && strcmp(size, "large")) {
        fprintf(stderr, "usage: virusscan [small|medium|large] [root]\n");
        return 2;
    }
    char root[256];
    if (argc > 2)
        snprintf(root, sizeof root, "%s", argv[2]);
    else
        snprintf(root, sizeof root, "sdcard/%s", size);
    static struct sigdb db;
    make_sigdb(&db);
    scan_tree(&db, root);
    fflush(stdout);
    return 0;
}
