/*
 * 32-bit FNV-1a, the hash of the file heads and of the index checksum.
 * Inline: it runs for every byte hashed.
 */
#ifndef FSSCAN_FNV_H
#define FSSCAN_FNV_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "jobjects.h"

#define FNV_BASIS 2166136261u
#define FNV_PRIME 16777619u

static inline uint32_t fnv_bytes(uint32_t h, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= FNV_PRIME;
    }
    return h;
}

static inline uint32_t fnv_str(uint32_t h, const char *s)
{
    return fnv_bytes(h, s, strlen(s));
}

/* Hash a String's bytes (each char holds one byte, see str_t). */
static inline uint32_t fnv_string(uint32_t h, const str_t *s)
{
    for (uint32_t i = 0; i < s->len; i++) {
        h ^= (uint8_t)s->c[i];
        h *= FNV_PRIME;
    }
    return h;
}

/* Hash `v` as decimal digits (hand-rolled: this runs for every file). */
static inline uint32_t fnv_u64(uint32_t h, uint64_t v)
{
    char buf[20];
    size_t i = sizeof buf;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return fnv_bytes(h, buf + i, sizeof buf - i);
}

/* Hash `v` as 8 lowercase hex digits. */
static inline uint32_t fnv_hex32(uint32_t h, uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    char buf[8];
    for (int i = 7; i >= 0; i--, v >>= 4)
        buf[i] = digits[v & 15];
    return fnv_bytes(h, buf, sizeof buf);
}

#endif
