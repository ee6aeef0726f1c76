/* SPDX-License-Identifier: MIT */
/* binary-trees (the benchmarks game) on goc's collected heap: a stretch
 * tree, a long-lived tree of depth N, and 2^(N-d+4) short-lived trees of
 * each depth d = 4, 6, ..., N, checked by counting their nodes.  One
 * goroutine per depth, as the benchmarks-game Go program does: at
 * GOMAXPROCS=1 that is the single-threaded program, at 2 the parallel one.
 * bench/gc-run runs it next to bench/go/binarytrees and
 * bench/binary_trees_boehm.c, which print the same lines.  With
 * GOC_BENCH_PAUSES=1 it also prints, on stderr at exit, its collections and
 * their pauses from goc_read_memstats, the runtime's own account of each
 * cycle's stop-the-world time in either marking mode (GODEBUG=gcdirty). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "goc.h"

typedef struct tree {
    struct tree *left, *right;
} tree;

static tree *bottom_up(int depth) {
    tree *t = goc_alloc(sizeof *t);
    if (depth > 0) {
        t->left = bottom_up(depth - 1);
        t->right = bottom_up(depth - 1);
    }
    return t;
}

static long check(const tree *t) {
    return t->left ? 1 + check(t->left) + check(t->right) : 1;
}

enum { MIN_DEPTH = 4 };

typedef struct depth_job {
    int       depth, iterations;
    long      check;
    goc_chan *done;
} depth_job;

static void run_depth(void *arg) {
    depth_job *j = arg;
    long sum = 0;
    for (int i = 0; i < j->iterations; i++)
        sum += check(bottom_up(j->depth));
    j->check = sum;
    goc_chan_close(j->done);
}

/* "goc num_gc N" and "goc pauses_ns P...", the last min(N, 256) pauses of
 * memstats' ring, oldest first: one write, or a gctrace line of a cycle
 * still running lands inside it (bench/gc-run read "1269177gc"). */
static void print_pauses(void) {
    static goc_memstats ms;
    static char line[64 + 256 * 21];
    goc_read_memstats(&ms);
    size_t len = (size_t)snprintf(line, sizeof line, "goc num_gc %u\ngoc pauses_ns", ms.num_gc);
    uint32_t n = ms.num_gc < 256 ? ms.num_gc : 256;
    for (uint32_t i = ms.num_gc - n; i < ms.num_gc; i++)
        len += (size_t)snprintf(line + len, sizeof line - len, " %llu",
                                (unsigned long long)ms.pause_ns[i % 256]);
    line[len++] = '\n';
    (void)!write(STDERR_FILENO, line, len);
}

static int bt_main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 10;
    int max_depth = n < MIN_DEPTH + 2 ? MIN_DEPTH + 2 : n;

    printf("stretch tree of depth %d\t check: %ld\n", max_depth + 1, check(bottom_up(max_depth + 1)));
    tree *long_lived = bottom_up(max_depth);

    depth_job jobs[32];
    int njobs = 0;
    for (int d = MIN_DEPTH; d <= max_depth; d += 2, njobs++) {
        jobs[njobs] = (depth_job){d, 1 << (max_depth - d + MIN_DEPTH), 0, goc_chan_make(0, 0)};
        goc_go(run_depth, &jobs[njobs]);
    }
    for (int i = 0; i < njobs; i++) {
        goc_chan_recv(jobs[i].done, NULL);
        printf("%d\t trees of depth %d\t check: %ld\n", jobs[i].iterations, jobs[i].depth, jobs[i].check);
    }
    printf("long lived tree of depth %d\t check: %ld\n", max_depth, check(long_lived));
    const char *pauses = getenv("GOC_BENCH_PAUSES");
    if (pauses && atoi(pauses) == 1)
        print_pauses();
    return 0;
}

GOC_MAIN(bt_main)
