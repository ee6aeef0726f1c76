/* SPDX-License-Identifier: MIT */
/* The allocation workload shared by bench/alloc and bench/alloc-jemalloc:
 * each worker repeatedly allocates a batch of objects of one size, writes a
 * word into each, and gives the batch back the allocator's own way (free,
 * or a collector's sweep).  Reported time per object covers both. */
#ifndef GOC_BENCH_ALLOC_WORK_H
#define GOC_BENCH_ALLOC_WORK_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ALLOC_MAX_WORKERS 2
#define ALLOC_BATCH_BYTES ((size_t)4 << 20)
#define ALLOC_MAX_BATCH   ((size_t)1 << 20)

static const size_t alloc_sizes[] = {16, 64, 512, 4096, 65536};
#define ALLOC_NSIZES (sizeof alloc_sizes / sizeof alloc_sizes[0])

/* Where a worker keeps its batch: memory a collector being measured scans. */
#ifndef ALLOC_ARRAY_NEW
#define ALLOC_ARRAY_NEW(bytes) malloc(bytes)
#define ALLOC_ARRAY_FREE(p) free(p)
#endif
/* How workers are started: a collector may need to know its threads. */
#ifndef ALLOC_THREAD_CREATE
#define ALLOC_THREAD_CREATE pthread_create
#define ALLOC_THREAD_JOIN pthread_join
#endif

typedef struct alloc_impl {
    const char *name;
    void *(*alloc)(size_t size);
    /* Give back a worker's batch; worker is 0 .. nworkers-1. */
    void (*release)(void **objs, size_t n, int worker, int nworkers);
} alloc_impl;

typedef struct alloc_job {
    const alloc_impl *impl;
    size_t size, batch, rounds;
    int worker, nworkers;
    void **objs;
} alloc_job;

static inline int64_t alloc_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Objects per worker in total: about 1 GiB of them, within [1e5, 1e7]. */
static inline size_t alloc_total_objects(size_t size) {
    size_t n = ((size_t)1 << 30) / size;
    if (n < 100000)
        n = 100000;
    if (n > 10000000)
        n = 10000000;
    return n;
}

static inline void alloc_job_init(alloc_job *j, const alloc_impl *impl, size_t size, int worker,
                                  int nworkers) {
    j->impl = impl;
    j->size = size;
    j->batch = ALLOC_BATCH_BYTES / size < ALLOC_MAX_BATCH ? ALLOC_BATCH_BYTES / size : ALLOC_MAX_BATCH;
    j->rounds = alloc_total_objects(size) / j->batch;
    j->worker = worker;
    j->nworkers = nworkers;
    j->objs = ALLOC_ARRAY_NEW(j->batch * sizeof(void *));
}

static inline void alloc_job_run(alloc_job *j) {
    for (size_t r = 0; r < j->rounds; r++) {
        for (size_t i = 0; i < j->batch; i++) {
            uintptr_t *p = j->impl->alloc(j->size);
            if (!p) {
                fprintf(stderr, "%s: allocation of %zu bytes failed\n", j->impl->name, j->size);
                exit(1);
            }
            *p = i;
            j->objs[i] = p;
        }
        j->impl->release(j->objs, j->batch, j->worker, j->nworkers);
    }
}

static inline void alloc_report(const alloc_impl *impl, size_t size, int nworkers, int64_t ns,
                                const alloc_job *j) {
    double objects = (double)j->rounds * (double)j->batch * nworkers;
    printf("alloc %s %zu %d %.2f\n", impl->name, size, nworkers, (double)ns / objects);
    fflush(stdout);
}

static void *alloc_thread_main(void *arg) {
    alloc_job_run(arg);
    return NULL;
}

/* Run impl on plain threads (the C allocators). */
static inline void alloc_bench_threads(const alloc_impl *impl, int nworkers) {
    for (size_t s = 0; s < ALLOC_NSIZES; s++) {
        alloc_job jobs[ALLOC_MAX_WORKERS];
        pthread_t threads[ALLOC_MAX_WORKERS];
        for (int w = 0; w < nworkers; w++)
            alloc_job_init(&jobs[w], impl, alloc_sizes[s], w, nworkers);
        int64_t t0 = alloc_now_ns();
        for (int w = 0; w < nworkers; w++)
            if (ALLOC_THREAD_CREATE(&threads[w], NULL, alloc_thread_main, &jobs[w]) != 0) {
                perror("pthread_create");
                exit(1);
            }
        for (int w = 0; w < nworkers; w++)
            ALLOC_THREAD_JOIN(threads[w], NULL);
        alloc_report(impl, alloc_sizes[s], nworkers, alloc_now_ns() - t0, &jobs[0]);
        for (int w = 0; w < nworkers; w++)
            ALLOC_ARRAY_FREE(jobs[w].objs);
    }
}

static inline void alloc_free_each(void **objs, size_t n, int worker, int nworkers) {
    (void)worker;
    (void)nworkers;
    for (size_t i = 0; i < n; i++)
        free(objs[i]);
}

#endif
