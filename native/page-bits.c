/*
 * Passes over page bitmaps (one bit per 4 KiB page of a 4 GiB guest: 32,768 words). A capture
 * makes several of them; in JavaScript each costs about a millisecond until the engine has
 * compiled the loop, which is most of the pause of a small incremental checkpoint.
 */
#include <stdint.h>

/* Number of bits set in words[0..n). */
int64_t cc_bits_count(const uint32_t *words, uint64_t n) {
    int64_t total = 0;
    for (uint64_t i = 0; i < n; i++)
        total += __builtin_popcount(words[i]);
    return total;
}

/*
 * The bit numbers set in (a | b) & ~c & ~d, ascending, into out[0..cap); b, c and d may be NULL.
 * Returns how many there are, which may exceed cap (then only the first cap were written).
 */
int64_t cc_bits_list(const uint32_t *a, const uint32_t *b, const uint32_t *c, const uint32_t *d, uint64_t n, uint32_t *out,
                     uint64_t cap) {
    uint64_t count = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t w = a[i];
        if (b) w |= b[i];
        if (c) w &= ~c[i];
        if (d) w &= ~d[i];
        while (w) {
            if (count < cap) out[count] = (uint32_t)(i * 32 + (uint32_t)__builtin_ctz(w));
            count++;
            w &= w - 1;
        }
    }
    return (int64_t)count;
}

/* dst[i] |= src[i] for i in [0, n). */
void cc_bits_or(uint32_t *dst, const uint32_t *src, uint64_t n) {
    for (uint64_t i = 0; i < n; i++)
        dst[i] |= src[i];
}
