/* SPDX-License-Identifier: MIT */
/* goc_sleep sleeps at least the requested time (by the C library's clock),
 * returns at once for zero or negative durations, parks only the goroutine
 * (others keep running, even on one P), and many sleepers sleep side by
 * side rather than one after another. */
#include <stdatomic.h>

#include "testing.h"

enum { SLEEPERS = 1000 };

static _Atomic long progress;
static _Atomic int stop;

static void count_progress(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        atomic_fetch_add(&progress, 1);
        goc_yield();
    }
}

static _Atomic int64_t last_sleep_start;

static void sleep_100ms(void *arg)
{
    int64_t start = test_clock_ns(), seen = atomic_load(&last_sleep_start);
    while (seen < start && !atomic_compare_exchange_weak(&last_sleep_start, &seen, start))
        continue;
    goc_sleep(100 * GOC_MILLISECOND);
    goc_waitgroup_done(arg);
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    static const int64_t durations[] = {
        1, GOC_MICROSECOND, 100 * GOC_MICROSECOND, GOC_MILLISECOND,
        10 * GOC_MILLISECOND, 50 * GOC_MILLISECOND,
    };
    for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++) {
        int64_t t0 = test_clock_ns();
        goc_sleep(durations[i]);
        int64_t took = test_clock_ns() - t0;
        CHECK(took >= durations[i], "goc_sleep(%lld) returned after %lld ns",
              (long long)durations[i], (long long)took);
    }

    int64_t t0 = test_clock_ns();
    goc_sleep(0);
    goc_sleep(-GOC_SECOND);
    CHECK(test_clock_ns() - t0 < 50 * GOC_MILLISECOND, "goc_sleep(0) and (-1 s) took %lld ns",
          (long long)(test_clock_ns() - t0));

    goc_go(count_progress, NULL);
    goc_sleep(5 * GOC_MILLISECOND);
    long before = atomic_load(&progress);
    goc_sleep(100 * GOC_MILLISECOND);
    CHECK(atomic_load(&progress) - before >= 1000, "others made %ld steps during a 100 ms sleep",
          atomic_load(&progress) - before);
    atomic_store(&stop, 1);

    static goc_waitgroup wg;
    goc_waitgroup_add(&wg, SLEEPERS);
    for (int i = 0; i < SLEEPERS; i++)
        goc_go(sleep_100ms, &wg);
    goc_waitgroup_wait(&wg);
    /* Counted from the last sleeper's start: starting a goroutine costs
     * ~4 ms under TSan, and the sleeps, not the starts, are under test. */
    int64_t took_ms = (test_clock_ns() - atomic_load(&last_sleep_start)) / 1000000;
    CHECK(took_ms >= 100 && took_ms < 2000,
          "%d concurrent 100 ms sleeps: the last ended %lld ms after the last began", SLEEPERS,
          (long long)took_ms);
    return test_status();
}

GOC_MAIN(test_main)
