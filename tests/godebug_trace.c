/* SPDX-License-Identifier: MIT */
/* A small workload for the GODEBUG scheduler traces (schedtrace=N,
 * scheddetail=1): it keeps goroutines busy for 300 ms so a 100 ms
 * schedtrace prints a few times.  tests/cases checks the lines against Go
 * 1.19's formats.  (gctrace=1 is checked with the collector, which prints it.) */
#include "testing.h"

enum { WORKERS = 4 };

static void churn(void *arg)
{
    int64_t end = goc_now() + 300 * GOC_MILLISECOND;
    /* Half busy (yielding, so runnable goroutines show in the queues), half
     * asleep. */
    while (goc_now() < end - 150 * GOC_MILLISECOND)
        goc_yield();
    goc_sleep(end - goc_now());
    goc_waitgroup_done(arg);
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    static goc_waitgroup wg;
    goc_waitgroup_add(&wg, WORKERS);
    for (int i = 0; i < WORKERS; i++)
        goc_go(churn, &wg);
    goc_waitgroup_wait(&wg);
    return test_status();
}

GOC_MAIN(test_main)
