/* SPDX-License-Identifier: MIT */
/* Allocation throughput of goc_alloc next to glibc's malloc (jemalloc and
 * Boehm GC run in bench/alloc-jemalloc and bench/alloc-boehm); bench/alloc-run
 * prints the table.  goc has no collector yet, so a round ends the way a collection
 * that finds nothing alive would: the caches are flushed and every span is
 * swept (mem_sweep_span), which frees all objects at once.  With 2 workers
 * the goroutines meet at a barrier for that, as they would stop for a GC,
 * and sweep disjoint halves of the heap. */
#include "alloc_work.h"
#include "goc.h"
#include "mem/mem.h"

static void glibc_free_batch(void **objs, size_t n, int worker, int nworkers) {
    alloc_free_each(objs, n, worker, nworkers);
}

static const alloc_impl glibc_impl = {"glibc", malloc, glibc_free_batch};

/* A reusable barrier for goroutines. */
static goc_mutex barrier_mu;
static goc_cond barrier_cond;
static int barrier_waiting;
static uint64_t barrier_generation;

static void barrier_wait(int nworkers) {
    goc_mutex_lock(&barrier_mu);
    uint64_t gen = barrier_generation;
    if (++barrier_waiting == nworkers) {
        barrier_waiting = 0;
        barrier_generation++;
        goc_cond_broadcast(&barrier_cond);
    } else {
        while (gen == barrier_generation)
            goc_cond_wait(&barrier_cond, &barrier_mu);
    }
    goc_mutex_unlock(&barrier_mu);
}

static void sweep_span(mem_span *s, void *arg) {
    (void)arg;
    mem_sweep_span(s);
}

/* All workers stop, their caches are flushed, and each sweeps its own slice
 * of the heap, as parallel sweeping would. */
static void goc_sweep_all(void **objs, size_t n, int worker, int nworkers) {
    (void)objs;
    (void)n;
    barrier_wait(nworkers);
    if (worker == 0)
        mem_caches_flush();
    barrier_wait(nworkers);
    mem_for_each_span_in((unsigned)worker, (unsigned)nworkers, sweep_span, NULL);
    barrier_wait(nworkers);
}

static const alloc_impl goc_impl = {"goc", goc_alloc, goc_sweep_all};

typedef struct goc_worker {
    alloc_job job;
    goc_waitgroup *wg;
} goc_worker;

static void goc_worker_main(void *arg) {
    goc_worker *w = arg;
    alloc_job_run(&w->job);
    goc_waitgroup_done(w->wg);
}

static void goc_bench(int nworkers) {
    goc_maxprocs(nworkers);
    for (size_t s = 0; s < ALLOC_NSIZES; s++) {
        goc_worker workers[ALLOC_MAX_WORKERS];
        goc_waitgroup wg = {0};
        for (int w = 0; w < nworkers; w++) {
            alloc_job_init(&workers[w].job, &goc_impl, alloc_sizes[s], w, nworkers);
            workers[w].wg = &wg;
        }
        goc_waitgroup_add(&wg, nworkers);
        int64_t t0 = alloc_now_ns();
        for (int w = 0; w < nworkers; w++)
            goc_go(goc_worker_main, &workers[w]);
        goc_waitgroup_wait(&wg);
        alloc_report(&goc_impl, alloc_sizes[s], nworkers, alloc_now_ns() - t0, &workers[0].job);
        for (int w = 0; w < nworkers; w++)
            free(workers[w].job.objs);
    }
}

static int goc_part(int argc, char **argv) {
    (void)argc;
    (void)argv;
    goc_bench(1);
    goc_bench(2);
    return 0;
}

/* bench/alloc [goc|glibc]: one allocator, or both. */
int main(int argc, char **argv) {
    const char *only = argc > 1 ? argv[1] : NULL;
    if (only && strcmp(only, "goc") != 0 && strcmp(only, "glibc") != 0) {
        fprintf(stderr, "usage: %s [goc|glibc]\n", argv[0]);
        return 2;
    }
    if (!only || strcmp(only, "glibc") == 0) {
        alloc_bench_threads(&glibc_impl, 1);
        alloc_bench_threads(&glibc_impl, 2);
    }
    if (!only || strcmp(only, "goc") == 0)
        return goc_main(goc_part, argc, argv);
    return 0;
}
