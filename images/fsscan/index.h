/*
 * The index of the scanned files: a hash map from path to record, the
 * files per extension and the largest files, and the checksum over all of
 * it that fsscan prints.
 */
#ifndef FSSCAN_INDEX_H
#define FSSCAN_INDEX_H

#include <stdint.h>

#include "jobjects.h"

#define TOP_N 10       /* largest files kept in the index */
#define EXT_BUCKETS 64 /* extension table size; a scan sees few extensions */
#define INDEX_INITIAL 16 /* java.util.HashMap's default capacity; load 3/4 */

/* What the scan learned about one entry (the index keeps those of files).
   A record is also its own entry in the index's hash table, as in a map
   written for the purpose: `next` chains a bucket during the scan and
   links the records in path order for the checksum afterwards. */
typedef struct rec {
    str_t *path;      /* relative to the scan root: the index key */
    struct rec *next; /* next record in the same bucket (see above) */
    uint64_t size;
    uint32_t hash;  /* FNV-1a of the first FIRST_BYTES bytes (files only) */
    uint32_t hcode; /* the path's String.hashCode(), kept for rehashing */
} rec_t;

/* Allocate the empty tables (the hash map, the extensions, the largest
   files), in that order. */
void index_init(void);

/* gc_mark() the index's tables: part of the program's roots. */
void index_mark_roots(void);

/* Index file record `r` whose last path component is `name`; both rooted. */
void index_add(rec_t *r, const str_t *name);

/* The checksum of the whole index (see index.c); call once, after the scan:
   it empties the hash map. */
uint32_t index_checksum(void);

#endif
