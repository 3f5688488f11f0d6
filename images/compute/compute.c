/*
 * compute: a deterministic CPU- and store-heavy workload for measuring how
 * fast an emulator runs guest code.
 *
 * Usage: compute [rounds]
 *        compute stores [passes]
 *   rounds  positive integer, default 3. The work grows linearly with it.
 *   stores  instead run only a store-heavy kernel: `passes` (default 40)
 *           sweeps writing every word of a 4 MiB buffer, then a checksum.
 *
 * Each round runs three kernels with inputs derived from the round number:
 *   1. a blocked 128x128 integer matrix multiply (loads, multiplies, adds),
 *   2. a sieve of Eratosthenes over ~2 MB of bytes (dense byte stores),
 *   3. a Fisher-Yates shuffle and a gather/scatter hash pass over a 4 MB
 *      array of words (random-access loads and stores).
 * It prints one checksum per kernel per round and a final checksum. All
 * arithmetic is on unsigned integers with defined wrap-around, and the
 * random numbers come from a fixed xorshift generator, so the output is the
 * same everywhere.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 128                    /* matrix dimension */
#define BLOCK 16                 /* matrix tile edge: 3 tiles fit in 3 KiB */
#define SIEVE_BASE (2u << 20)    /* sieve limit before the per-round offset */
#define WORDS (1u << 20)         /* shuffle array: 4 MiB of uint32_t */
#define DEFAULT_ROUNDS 3

/* xorshift32: tiny, fast and fully reproducible. State must be non-zero. */
static uint32_t rng_state;

static uint32_t rng(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

/* FNV-1a style mixing of 32-bit words into a running checksum. */
static uint32_t mix(uint32_t h, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        h ^= (v >> (8 * i)) & 0xffu;
        h *= 16777619u;
    }
    return h;
}

static uint32_t matmul(uint32_t *a, uint32_t *b, uint32_t *c)
{
    for (unsigned i = 0; i < N * N; i++) {
        a[i] = rng() & 0xffffu;
        b[i] = rng() & 0xffffu;
    }
    memset(c, 0, sizeof(uint32_t) * N * N);

    /* Tiled i-k-j order: the inner loop streams along rows of b and c. */
    for (unsigned ii = 0; ii < N; ii += BLOCK)
        for (unsigned kk = 0; kk < N; kk += BLOCK)
            for (unsigned jj = 0; jj < N; jj += BLOCK)
                for (unsigned i = ii; i < ii + BLOCK; i++)
                    for (unsigned k = kk; k < kk + BLOCK; k++) {
                        uint32_t aik = a[i * N + k];
                        uint32_t *crow = &c[i * N + jj];
                        const uint32_t *brow = &b[k * N + jj];
                        for (unsigned j = 0; j < BLOCK; j++)
                            crow[j] += aik * brow[j];
                    }

    uint32_t h = 2166136261u;
    for (unsigned i = 0; i < N * N; i++)
        h = mix(h, c[i]);
    return h;
}

/* Returns the number of primes below limit; sieve must hold limit bytes. */
static uint32_t sieve_count(uint8_t *sieve, uint32_t limit)
{
    memset(sieve, 1, limit);
    sieve[0] = sieve[1] = 0;
    for (uint32_t p = 2; p * p < limit; p++)
        if (sieve[p])
            for (uint32_t m = p * p; m < limit; m += p)
                sieve[m] = 0;
    uint32_t count = 0;
    for (uint32_t i = 0; i < limit; i++)
        count += sieve[i];
    return count;
}

static uint32_t shuffle_hash(uint32_t *w)
{
    for (uint32_t i = 0; i < WORDS; i++)
        w[i] = i;
    /* Fisher-Yates; the modulo bias is irrelevant here, only determinism
       matters. */
    for (uint32_t i = WORDS - 1; i > 0; i--) {
        uint32_t j = rng() % (i + 1);
        uint32_t t = w[i];
        w[i] = w[j];
        w[j] = t;
    }
    /* Each word is rewritten from itself and the word it points at, so
       the pass is a chain of dependent random loads and stores. */
    for (uint32_t i = 0; i < WORDS; i++) {
        uint32_t other = w[w[i] & (WORDS - 1)];
        w[i] = (w[i] * 2654435761u) ^ (other >> 7) ^ i;
    }
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < WORDS; i += 61)
        h = mix(h, w[i]);
    return h;
}

/* Sequential word stores with as little other work as possible: the case
   where an emulator's store path dominates. */
static uint32_t store_sweeps(uint32_t *w, unsigned passes)
{
    for (unsigned p = 0; p < passes; p++)
        for (uint32_t i = 0; i < WORDS; i++)
            w[i] = i ^ p;
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < WORDS; i += 61)
        h = mix(h, w[i]);
    return h;
}

static int parse_rounds(const char *s, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *s == '-' || *end != '\0' || v == 0 || v > 100000)
        return -1;
    *out = (unsigned)v;
    return 0;
}

int main(int argc, char **argv)
{
    unsigned rounds = DEFAULT_ROUNDS;
    if (argc >= 2 && strcmp(argv[1], "stores") == 0) {
        unsigned passes = 40;
        uint32_t *w = malloc(sizeof(uint32_t) * WORDS);
        if (argc > 3 || (argc == 3 && parse_rounds(argv[2], &passes) != 0) || !w) {
            fprintf(stderr, "usage: compute stores [passes]   (passes: 1..100000, default 40)\n");
            return 2;
        }
        printf("stores: %u passes, checksum %08x\n", passes, (unsigned)store_sweeps(w, passes));
        free(w);
        return 0;
    }
    if (argc > 2 || (argc == 2 && parse_rounds(argv[1], &rounds) != 0)) {
        fprintf(stderr, "usage: compute [rounds] | compute stores [passes]   (rounds: 1..100000, default %d)\n",
                DEFAULT_ROUNDS);
        return 2;
    }

    uint32_t *a = malloc(sizeof(uint32_t) * N * N);
    uint32_t *b = malloc(sizeof(uint32_t) * N * N);
    uint32_t *c = malloc(sizeof(uint32_t) * N * N);
    uint8_t *sieve = malloc(SIEVE_BASE + 100u * 1024u); /* largest per-round limit */
    uint32_t *w = malloc(sizeof(uint32_t) * WORDS);
    if (!a || !b || !c || !sieve || !w) {
        fprintf(stderr, "compute: out of memory\n");
        return 1;
    }

    printf("compute: %u rounds\n", rounds);
    uint32_t total = 2166136261u;
    for (unsigned r = 0; r < rounds; r++) {
        rng_state = 0x9e3779b9u ^ (r * 0x85ebca6bu);
        if (rng_state == 0)
            rng_state = 1;
        uint32_t hm = matmul(a, b, c);
        /* Vary the limit a little per round so rounds are not identical. */
        uint32_t limit = SIEVE_BASE + (r % 100u) * 1024u;
        uint32_t primes = sieve_count(sieve, limit);
        uint32_t hs = shuffle_hash(w);
        printf("round %u: matmul %08x primes<%u %u shuffle %08x\n", r, (unsigned)hm,
               (unsigned)limit, (unsigned)primes, (unsigned)hs);
        total = mix(mix(mix(total, hm), primes), hs);
    }
    printf("checksum: %08x\n", (unsigned)total);

    free(w);
    free(sieve);
    free(c);
    free(b);
    free(a);
    return 0;
}
