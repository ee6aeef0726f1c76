/* A small workload for the GODEBUG traces (gctrace=1, schedtrace=N,
 * scheddetail=1): it allocates enough to start collections on its own,
 * forces one with goc_gc, and keeps goroutines busy for 300 ms so a
 * 100 ms schedtrace prints a few times.  tests/cases checks the lines
 * against Go 1.19's formats. */
#include "testing.h"

enum { WORKERS = 4 };

static void churn(void *arg)
{
    int64_t end = goc_now() + 300 * GOC_MILLISECOND;
    void *keep = NULL;
    /* 64 MiB per worker, mostly garbage: several cycles at GOGC=100. */
    for (int round = 0; round < 64 && goc_now() < end; round++) {
        for (int i = 0; i < 256; i++) {
            void **p = goc_alloc(4096);
            p[0] = keep;
            keep = (i % 64 == 0) ? NULL : p;
        }
        goc_yield();
    }
    if (goc_now() < end)
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
    goc_gc();
    return test_status();
}

GOC_MAIN(test_main)
