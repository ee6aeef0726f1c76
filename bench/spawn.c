/* SPDX-License-Identifier: MIT */
/* Spawn N goroutines that only mark a waitgroup done, and wait for all of
 * them: creation, first run and exit.  Go twin: go/spawn/main.go. */
#include "bench/bench.h"

static void finish(void *arg)
{
    goc_waitgroup_done(arg);
}

static int spawn_main(int argc, char **argv)
{
    int64_t n = bench_count(argc, argv, 1000000);
    goc_waitgroup wg = {0};
    int64_t start = goc_now();
    goc_waitgroup_add(&wg, n);
    for (int64_t i = 0; i < n; i++)
        go(finish, &wg);
    goc_waitgroup_wait(&wg);
    bench_report_ns_per_op(goc_now() - start, n);
    return 0;
}

GOC_MAIN(spawn_main)
