/* SPDX-License-Identifier: MIT */
/* Allocation from 8 goroutines at GOMAXPROCS 2 and 4, and from 2 plain
 * threads (the shared cache) at the same time: every object is distinct and
 * zeroed, objects freed by other goroutines are recycled safely, and the
 * counts add up exactly afterwards. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "mem_check.h"

#define WORKERS 8
#define THREADS 2
#define ROUNDS 20
#define PER_ROUND 2000

typedef struct worker {
    int id;
    goc_waitgroup *wg;
    uint64_t allocated;
    void **handoff;        /* objects the next worker frees */
} worker;

static size_t size_of(int id, int i) {
    static const size_t sizes[] = {16, 24, 64, 200, 512, 1500, 4096, 9000, 40000};
    return sizes[(size_t)(id + i) % (sizeof sizes / sizeof sizes[0])];
}

static void allocate_and_check(worker *w) {
    void **mine = malloc(PER_ROUND * sizeof(void *));
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < PER_ROUND; i++) {
            size_t size = size_of(w->id, i);
            unsigned char *p = (i & 1) ? goc_alloc_atomic(size) : goc_alloc(size);
            CHECK(p && (uintptr_t)p % 16 == 0);
            CHECK(p[0] == 0 && p[size / 2] == 0 && p[size - 1] == 0);
            memset(p, w->id + 1, size);
            mine[i] = p;
            w->allocated++;
        }
        for (int i = 0; i < PER_ROUND; i++) {
            size_t size = size_of(w->id, i);
            unsigned char *p = mine[i];
            CHECK(p[0] == w->id + 1 && p[size - 1] == w->id + 1);
            CHECK(goc_alloc_size(p) >= size);
            if (i % 4 == 0)
                mem_free(p);
        }
        /* The rest after the check pass, so frees hit spans of every state. */
        for (int i = 0; i < PER_ROUND; i++)
            if (i % 4 != 0)
                mem_free(mine[i]);
        if (r % 5 == 4 && w->wg)
            goc_yield();
    }
    /* Leave a batch for someone else to free (frees from other Ps). */
    for (int i = 0; i < PER_ROUND; i++)
        w->handoff[i] = goc_alloc(size_of(w->id, i));
    w->allocated += PER_ROUND;
    free(mine);
}

static void work(void *arg) {
    worker *w = arg;
    allocate_and_check(w);
    goc_waitgroup_done(w->wg);
}

static void *thread_work(void *arg) {
    allocate_and_check(arg);
    return NULL;
}

static goc_waitgroup *free_wg;

static void free_batch(void *arg) {
    worker *w = arg;
    for (int i = 0; i < PER_ROUND; i++)
        mem_free(w->handoff[i]);
    goc_waitgroup_done(free_wg);
}

static void run_with(int procs) {
    goc_maxprocs(procs);
    goc_memstats before = check_memstats();
    goc_waitgroup wg = {0};
    worker workers[WORKERS + THREADS];
    pthread_t threads[THREADS];
    void **handoffs = malloc((WORKERS + THREADS) * PER_ROUND * sizeof(void *));
    goc_waitgroup_add(&wg, WORKERS);
    for (int i = 0; i < WORKERS + THREADS; i++)
        workers[i] = (worker){.id = i, .wg = i < WORKERS ? &wg : NULL,
                              .handoff = handoffs + i * PER_ROUND};
    for (int i = 0; i < THREADS; i++)
        CHECK(pthread_create(&threads[i], NULL, thread_work, &workers[WORKERS + i]) == 0);
    for (int i = 0; i < WORKERS; i++)
        goc_go(work, &workers[i]);
    goc_waitgroup_wait(&wg);
    goc_blocking_begin();
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    goc_blocking_end();
    uint64_t allocated = 0;
    for (int i = 0; i < WORKERS + THREADS; i++)
        allocated += workers[i].allocated;
    goc_memstats mid = check_memstats();
    CHECK(mid.mallocs - before.mallocs == allocated);
    CHECK(mid.frees - before.frees == (WORKERS + THREADS) * ROUNDS * PER_ROUND);
    free_wg = &wg;
    goc_waitgroup_add(&wg, WORKERS + THREADS);
    for (int i = 0; i < WORKERS + THREADS; i++)
        goc_go(free_batch, &workers[(i + 1) % (WORKERS + THREADS)]);
    goc_waitgroup_wait(&wg);
    goc_memstats after = check_memstats();
    CHECK(after.frees - mid.frees == (WORKERS + THREADS) * PER_ROUND);
    free(handoffs);
}

static int run(int argc, char **argv) {
    (void)argc;
    (void)argv;
    run_with(2);
    run_with(4);
    return 0;
}

GOC_MAIN(run)
