/* SPDX-License-Identifier: MIT */
/* binary-trees on Boehm GC, the comparator for bench/binary_trees.c: the
 * same trees and output.  With BT_THREADS=2 (bench/gc-run sets it from
 * GOMAXPROCS) one thread per depth runs at most 2 at a time, as goroutines
 * on 2 Ps; with 1 the depths run one after another.  Not built by make:
 * bench/gc-run compiles it with `cc -O2 ... -lgc` when libgc is found.
 * At exit it prints the collection count and every stop-the-world pause
 * (GC_set_on_collection_event) on stderr for gc-run. */
#define GC_THREADS
#include <gc.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct tree {
    struct tree *left, *right;
} tree;

static tree *bottom_up(int depth) {
    tree *t = GC_MALLOC(sizeof *t);
    if (depth > 0) {
        t->left = bottom_up(depth - 1);
        t->right = bottom_up(depth - 1);
    }
    return t;
}

static long check(const tree *t) {
    return t->left ? 1 + check(t->left) + check(t->right) : 1;
}

enum { MIN_DEPTH = 4, MAX_PAUSES = 1 << 16 };

static long long pauses[MAX_PAUSES];
static int npauses;
static long long stop_began;

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Called by the collecting thread with the allocation lock held. */
static void on_event(GC_EventType e) {
    if (e == GC_EVENT_PRE_STOP_WORLD)
        stop_began = now_ns();
    else if (e == GC_EVENT_POST_START_WORLD && npauses < MAX_PAUSES)
        pauses[npauses++] = now_ns() - stop_began;
}

typedef struct depth_job {
    int   depth, iterations;
    long  check;
} depth_job;

static sem_t slots;

static void *run_depth(void *arg) {
    depth_job *j = arg;
    sem_wait(&slots);
    long sum = 0;
    for (int i = 0; i < j->iterations; i++)
        sum += check(bottom_up(j->depth));
    j->check = sum;
    sem_post(&slots);
    return NULL;
}

int main(int argc, char **argv) {
    GC_INIT();
    GC_set_on_collection_event(on_event);
    int n = argc > 1 ? atoi(argv[1]) : 10;
    int max_depth = n < MIN_DEPTH + 2 ? MIN_DEPTH + 2 : n;
    const char *env = getenv("BT_THREADS");
    int threads = env && atoi(env) > 0 ? atoi(env) : 1;
    sem_init(&slots, 0, threads);

    printf("stretch tree of depth %d\t check: %ld\n", max_depth + 1, check(bottom_up(max_depth + 1)));
    tree *long_lived = bottom_up(max_depth);

    depth_job jobs[32];
    pthread_t tids[32];
    int njobs = 0;
    for (int d = MIN_DEPTH; d <= max_depth; d += 2, njobs++) {
        jobs[njobs] = (depth_job){d, 1 << (max_depth - d + MIN_DEPTH), 0};
        if (threads == 1)
            run_depth(&jobs[njobs]);
        else
            pthread_create(&tids[njobs], NULL, run_depth, &jobs[njobs]);
    }
    for (int i = 0; i < njobs; i++) {
        if (threads > 1)
            pthread_join(tids[i], NULL);
        printf("%d\t trees of depth %d\t check: %ld\n", jobs[i].iterations, jobs[i].depth, jobs[i].check);
    }
    printf("long lived tree of depth %d\t check: %ld\n", max_depth, check(long_lived));
    fflush(stdout);
    fprintf(stderr, "boehm gc_no %lu\nboehm pauses_ns", (unsigned long)GC_get_gc_no());
    for (int i = 0; i < npauses; i++)
        fprintf(stderr, " %lld", pauses[i]);
    fputc('\n', stderr);
    return 0;
}
