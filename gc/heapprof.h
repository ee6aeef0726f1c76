/* SPDX-License-Identifier: MIT */
/* Heap profiling (gc/heapprof.c records, gc/heapprof_write.c writes). */
#ifndef GOC_GC_HEAPPROF_H
#define GOC_GC_HEAPPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem/mem.h"

#define HEAPPROF_MAX_DEPTH 32   /* frames kept of a sampled allocation's stack */

/* The sampling rate in bytes (goc_set_mem_profile_rate; GODEBUG's
 * memprofilerate, 512 KiB by default; 0: off). */
int64_t heapprof_rate(void);

/* gc/alloc.c, with c owned (a critical section): an allocation of size
 * bytes from c, and whether it is to be sampled. */
bool heapprof_rearm(mem_cache *c);
static inline bool heapprof_due(mem_cache *c, size_t size) {
    return __builtin_expect((c->next_sample -= (int64_t)size) < 0, 0) && heapprof_rearm(c);
}
/* Outside any critical section: record p (just allocated by the code that
 * ret returns into) with its stack.  Returns p. */
void *heapprof_record(void *p, uintptr_t ret);
/* p is freed explicitly (goc_realloc): forget it if sampled. */
void  heapprof_forget(void *p);

/* For the writer: each stack's counts, sampled (not scaled up), in an
 * array from malloc (NULL when out of memory), *n entries. */
typedef struct heapprof_entry {
    const uintptr_t *stack;     /* never freed */
    int              depth;
    uint64_t         allocs, alloc_bytes, frees, free_bytes;
} heapprof_entry;
heapprof_entry *heapprof_snapshot(size_t *n);

#endif
