/*
 * Fixtures shared by several check files: files with known contents, a
 * sorted directory listing, tree removal, and the byte pattern every data
 * check writes and verifies.
 */
#ifndef SYSCALLS_FIXTURES_H
#define SYSCALLS_FIXTURES_H

#include <stddef.h>
#include <stdint.h>

#define MAX_NAMES 32

/* Create a file holding exactly n bytes of buf; returns 0 on success. */
int put_file(const char *path, const void *buf, size_t n);

/*
 * List a directory with getdents64, skipping "." and "..": names copied
 * into store and pointed to from names[], sorted; types (optional) gets
 * each name's d_type. Returns the count, or -1 with errno set.
 */
int list_dir(const char *path, char *store, size_t store_len, const char **names,
             unsigned char *types);

/* Remove a tree this program created; used to clean up before and after. */
int remove_tree(const char *path);

/* A simple position-dependent byte pattern used for every data check. */
static inline uint8_t pattern(uint32_t i, uint32_t salt) { return (uint8_t)((i * 131u + salt) ^ (i >> 8)); }

void fill(uint8_t *p, size_t n, uint32_t salt);

/* Index of the first byte that breaks the pattern, or n if none does. */
size_t verify(const uint8_t *p, size_t n, uint32_t salt);

int all_zero(const uint8_t *p, size_t n);

#endif
