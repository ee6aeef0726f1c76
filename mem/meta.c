/* SPDX-License-Identifier: MIT */
/* Runtime metadata comes from goc's own copy of jemalloc, linked with every
 * symbol hidden except a renamed explicit API (see mem/local.mk), so the
 * program's malloc stays the C library's.  A dedicated arena keeps runtime
 * records apart from anything else that copy might serve. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <jemalloc/jemalloc.h>

#include "base/critical.h"
#include "base/fatal.h"
#include "mem/mem.h"

void  *goc_je_mallocx(size_t size, int flags);
void   goc_je_sdallocx(void *p, size_t size, int flags);
int    goc_je_mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen);

static pthread_once_t meta_once = PTHREAD_ONCE_INIT;
static unsigned meta_arena;
static int meta_flags;

static void meta_init(void) {
    size_t len = sizeof meta_arena;
    int err = goc_je_mallctl("arenas.create", &meta_arena, &len, NULL, 0);
    if (err)
        fatal("mem: cannot create the metadata arena: %s", strerror(err));
    meta_flags = MALLOCX_ARENA(meta_arena) | MALLOCX_ZERO;
}

/* jemalloc's calls are critical sections: a thread suspended for a stopped
 * world while it holds one of jemalloc's locks would stall the collector's
 * own metadata allocations. */
void *mem_meta_alloc(size_t size) {
    pthread_once(&meta_once, meta_init);
    critical_begin();
    void *p = goc_je_mallocx(size, meta_flags);
    critical_end();
    if (!p)
        mem_throw_oom(size);
    return p;
}

void mem_meta_free(void *p, size_t size) {
    critical_begin();
    goc_je_sdallocx(p, size, meta_flags);
    critical_end();
}

uint64_t mem_meta_sys(void) {
    pthread_once(&meta_once, meta_init);
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    critical_begin();
    goc_je_mallctl("epoch", &epoch, &len, &epoch, len);
    char name[64];
    snprintf(name, sizeof name, "stats.arenas.%u.mapped", meta_arena);
    size_t mapped = 0;
    len = sizeof mapped;
    int err = goc_je_mallctl(name, &mapped, &len, NULL, 0);
    critical_end();
    if (err)
        fatal("mem: jemalloc statistics unavailable (%s): %s", name, strerror(err));
    return mapped;
}

void mem_throw_oom(size_t request) {
    fprintf(stderr, "runtime: out of memory: cannot allocate %zu-byte block (%" PRIu64 " in use)\n",
            request, mem_heap_alloc_bytes());
    fatal("out of memory");
}

void *mem_meta_grow(void *old, size_t *cap, size_t n, size_t elem, size_t first) {
    size_t ncap = *cap ? 2 * *cap : first;
    void *grown = mem_meta_alloc(ncap * elem);
    if (n)
        memcpy(grown, old, n * elem);
    if (old)
        mem_meta_free(old, *cap * elem);
    *cap = ncap;
    return grown;
}
