/* SPDX-License-Identifier: MIT */
/* The allocation workload with Boehm GC's GC_MALLOC: a batch is given back
 * by dropping its references, and the collector reclaims it.  Workers start
 * through Boehm's pthread wrapper so it can stop and scan them.
 *
 * Boehm's API is declared here rather than included: its <gc.h> includes
 * <gc/gc.h>, which the build's -I$(top_srcdir) resolves to goc's own gc/gc.h.
 * These are libgc's exported functions (gc/gc.h, gc/gc_pthread_redirects.h);
 * GC_MALLOC and friends are macros for them in a non-debug build. */
#include <pthread.h>
#include <stddef.h>

void *GC_malloc(size_t size);
void *GC_malloc_uncollectable(size_t size);
void  GC_free(void *p);
void  GC_init(void);
int   GC_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
int   GC_pthread_join(pthread_t t, void **ret);

#define ALLOC_ARRAY_NEW(bytes) GC_malloc_uncollectable(bytes)
#define ALLOC_ARRAY_FREE(p) GC_free(p)
#define ALLOC_THREAD_CREATE GC_pthread_create
#define ALLOC_THREAD_JOIN GC_pthread_join
#include "alloc_work.h"

static void boehm_release(void **objs, size_t n, int worker, int nworkers) {
    (void)worker;
    (void)nworkers;
    memset(objs, 0, n * sizeof *objs);
}

static const alloc_impl boehm_impl = {"boehm", GC_malloc, boehm_release};

int main(void) {
    GC_init();
    alloc_bench_threads(&boehm_impl, 1);
    alloc_bench_threads(&boehm_impl, 2);
    return 0;
}
