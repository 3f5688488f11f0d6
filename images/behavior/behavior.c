/*
 * behavior: profile a user's behaviour from a phone's event log, the third of
 * the CloneCloud evaluation applications.
 *
 * Usage: behavior [small|medium|large]   (default medium)
 *
 * main() generates the event log from a fixed xorshift seed: a user moving
 * between TYPES kinds of events (screen on, unlock, mail, browser, maps, ...)
 * following a habit model (each kind has three favourite successors and
 * otherwise any kind), each event with the seconds since the previous one.
 * profile_log() does all the heavy work, limited to depth DEPTH:
 *   - serial episodes: every ordered subsequence of 1..DEPTH events that fits
 *     in a window of WINDOW consecutive events is counted (WINEPI-style
 *     frequent episode mining);
 *   - a Markov model of orders 1..DEPTH-1 from contiguous n-grams, with the
 *     share of next events its most likely prediction gets right;
 *   - per kind, its count and mean time since the previous event.
 * It prints the most frequent episodes of each length and these figures.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TYPES 16
#define DEPTH 4
#define WINDOW 12
#define TOP 3

static const char *const kinds[TYPES] = {
    "screen_on", "unlock", "home", "open_mail", "read_mail", "compose", "send", "browser",
    "load_page", "scroll", "maps", "gps_fix", "camera", "photo", "call", "screen_off",
};

/* A log size: how many events. */
struct size {
    const char *name;
    int events;
};

static const struct size sizes[] = {
    {"small", 700},
    {"medium", 55000},
    {"large", 420000},
};

static uint32_t rng_state;

static uint32_t rng(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

/* One log record: kind in the low byte, seconds since the previous event above it. */
static uint32_t record(int kind, uint32_t gap)
{
    return gap << 8 | (uint32_t)kind;
}

static void make_log(uint32_t *log, int n)
{
    rng_state = 0xbe4a710fu;
    uint8_t favourite[TYPES][3];
    for (int k = 0; k < TYPES; k++)
        for (int j = 0; j < 3; j++) favourite[k][j] = (uint8_t)(rng() % TYPES);
    int kind = 0;
    for (int i = 0; i < n; i++) {
        uint32_t r = rng() % 100;
        int next;
        if (r < 55)
            next = favourite[kind][0];
        else if (r < 80)
            next = favourite[kind][1];
        else if (r < 92)
            next = favourite[kind][2];
        else
            next = (int)(rng() % TYPES);
        uint32_t gap = 1 + rng() % (5 + 20 * (uint32_t)next);
        log[i] = record(next, gap);
        kind = next;
    }
}

/* Counters of one length's episodes, indexed by the kinds read as base-TYPES digits. */
static uint32_t *table(int len)
{
    size_t n = 1;
    for (int i = 0; i < len; i++) n *= TYPES;
    uint32_t *t = calloc(n, sizeof(uint32_t));
    if (!t) {
        fprintf(stderr, "behavior: out of memory\n");
        exit(2);
    }
    return t;
}

/* Count every episode that starts with the events already chosen (code, len) and continues after `at`. */
static void extend(const uint8_t *kind, int at, int end, uint32_t code, int len, uint32_t **episodes)
{
    for (int j = at + 1; j < end; j++) {
        uint32_t c = code * TYPES + kind[j];
        episodes[len + 1][c]++;
        if (len + 1 < DEPTH) extend(kind, j, end, c, len + 1, episodes);
    }
}

static void describe(uint32_t code, int len, char *out, size_t cap)
{
    int digits[DEPTH];
    for (int i = len - 1; i >= 0; i--) {
        digits[i] = (int)(code % TYPES);
        code /= TYPES;
    }
    out[0] = 0;
    for (int i = 0; i < len; i++) {
        size_t used = strlen(out);
        snprintf(out + used, cap - used, "%s%s", i ? ">" : "", kinds[digits[i]]);
    }
}

/*
 * The offloadable unit: profile the `n` records of `log` to depth DEPTH and
 * print the summary. Returns the number of distinct episodes seen.
 */
__attribute__((noinline)) int profile_log(const uint32_t *log, int n)
{
    uint8_t *kind = malloc(n ? n : 1);
    uint32_t *episodes[DEPTH + 1], *grams[DEPTH + 1];
    uint64_t gap_sum[TYPES] = {0};
    uint32_t seen[TYPES] = {0};
    for (int len = 1; len <= DEPTH; len++) {
        episodes[len] = table(len);
        grams[len] = table(len);
    }
    for (int i = 0; i < n; i++) {
        kind[i] = (uint8_t)(log[i] & 0xff);
        seen[kind[i]]++;
        gap_sum[kind[i]] += log[i] >> 8;
    }
    for (int i = 0; i < n; i++) {
        int end = i + WINDOW < n ? i + WINDOW : n;
        episodes[1][kind[i]]++;
        extend(kind, i, end, kind[i], 1, episodes);
        uint32_t code = 0;
        for (int len = 1; len <= DEPTH && i + len <= n; len++) {
            code = code * TYPES + kind[i + len - 1];
            grams[len][code]++;
        }
    }
    int distinct_total = 0;
    for (int len = 1; len <= DEPTH; len++) {
        size_t cells = 1;
        for (int i = 0; i < len; i++) cells *= TYPES;
        uint64_t total = 0;
        int distinct = 0;
        uint32_t best[TOP] = {0};
        uint32_t best_code[TOP] = {0};
        for (size_t c = 0; c < cells; c++) {
            uint32_t v = episodes[len][c];
            if (!v) continue;
            distinct++;
            total += v;
            for (int j = 0; j < TOP; j++) {
                if (v > best[j]) {
                    for (int k = TOP - 1; k > j; k--) {
                        best[k] = best[k - 1];
                        best_code[k] = best_code[k - 1];
                    }
                    best[j] = v;
                    best_code[j] = (uint32_t)c;
                    break;
                }
            }
        }
        distinct_total += distinct;
        printf("episodes of %d: %d distinct, %llu occurrences\n", len, distinct, (unsigned long long)total);
        for (int j = 0; j < TOP && best[j]; j++) {
            char text[160];
            describe(best_code[j], len, text, sizeof text);
            printf("  %u %s\n", best[j], text);
        }
    }
    for (int order = 1; order < DEPTH; order++) {
        /* For each context, the best guess is its most frequent continuation. */
        size_t contexts = 1;
        for (int i = 0; i < order; i++) contexts *= TYPES;
        uint64_t right = 0, total = 0;
        for (size_t ctx = 0; ctx < contexts; ctx++) {
            uint32_t most = 0;
            for (int k = 0; k < TYPES; k++) {
                uint32_t v = grams[order + 1][ctx * TYPES + k];
                total += v;
                if (v > most) most = v;
            }
            right += most;
        }
        uint64_t permille = total ? right * 1000 / total : 0;
        printf("markov order %d: predicts %llu.%llu%% of %llu next events\n", order, (unsigned long long)(permille / 10),
               (unsigned long long)(permille % 10), (unsigned long long)total);
    }
    for (int k = 0; k < TYPES; k++)
        printf("kind %-10s %7u events, mean gap %llu s\n", kinds[k], seen[k], (unsigned long long)(seen[k] ? gap_sum[k] / seen[k] : 0));
    printf("behavior: events %d depth %d window %d distinct episodes %d\n", n, DEPTH, WINDOW, distinct_total);
    for (int len = 1; len <= DEPTH; len++) {
        free(episodes[len]);
        free(grams[len]);
    }
    free(kind);
    return distinct_total;
}

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "medium";
    const struct size *sz = NULL;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (!strcmp(name, sizes[i].name)) sz = &sizes[i];
    if (!sz) {
        fprintf(stderr, "usage: behavior [small|medium|large]\n");
        return 2;
    }
    uint32_t *log = malloc(sz->events * sizeof(uint32_t));
    make_log(log, sz->events);
    profile_log(log, sz->events);
    fflush(stdout);
    free(log);
    return 0;
}
