/* SPDX-License-Identifier: MIT */
/* Two goroutines each call goc_yield N times: the cost of one switch
 * through the scheduler.  Go twin: go/yield/main.go. */
#include "bench/bench.h"

struct yielders {
    goc_waitgroup wg;
    int64_t       n;
};

static void yielder(void *arg)
{
    struct yielders *y = arg;
    for (int64_t i = 0; i < y->n; i++)
        goc_yield();
    goc_waitgroup_done(&y->wg);
}

static int yield_main(int argc, char **argv)
{
    struct yielders y = { .n = bench_count(argc, argv, 1000000) };
    int64_t start = goc_now();
    goc_waitgroup_add(&y.wg, 2);
    go(yielder, &y);
    go(yielder, &y);
    goc_waitgroup_wait(&y.wg);
    bench_report_ns_per_op(goc_now() - start, 2 * y.n);
    return 0;
}

GOC_MAIN(yield_main)
