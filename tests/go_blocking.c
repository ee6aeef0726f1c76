/* SPDX-License-Identifier: MIT */
/* goc_blocking_begin/end hand the P off around a call the runtime cannot
 * see, so other goroutines keep running while the thread sleeps in the
 * kernel — even with GOMAXPROCS=1 — and several such calls overlap instead
 * of queueing behind each other. */
#include <stdatomic.h>
#include <time.h>

#include "testing.h"

enum { SLEEPERS = 8 };
#define BLOCK_MS 250

static _Atomic long progress;
static _Atomic int stop_counting;

static void count_progress(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop_counting)) {
        atomic_fetch_add(&progress, 1);
        goc_yield();
    }
}

static void kernel_sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void blocking_sleeper(void *arg)
{
    goc_blocking_begin();
    kernel_sleep_ms(BLOCK_MS);
    goc_blocking_end();
    goc_waitgroup_done(arg);
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    goc_go(count_progress, NULL);
    goc_sleep(10 * GOC_MILLISECOND);

    long before = atomic_load(&progress);
    goc_blocking_begin();
    kernel_sleep_ms(300);
    long during = atomic_load(&progress) - before;
    goc_blocking_end();
    CHECK(during >= 1000, "others made %ld steps while main blocked for 300 ms", during);

    /* A goroutine returning from a blocking call gets a P back and runs. */
    long after_start = atomic_load(&progress);
    goc_sleep(20 * GOC_MILLISECOND);
    CHECK(atomic_load(&progress) > after_start, "no progress after blocking_end");

    static goc_waitgroup wg;
    goc_waitgroup_add(&wg, SLEEPERS);
    int64_t t0 = test_clock_ns();
    for (int i = 0; i < SLEEPERS; i++)
        goc_go(blocking_sleeper, &wg);
    goc_waitgroup_wait(&wg);
    int64_t took_ms = (test_clock_ns() - t0) / 1000000;
    /* Serialized they would take SLEEPERS * BLOCK_MS = 2000 ms. */
    CHECK(took_ms < 1500, "%d overlapping %d ms blocking calls took %lld ms", SLEEPERS,
          BLOCK_MS, (long long)took_ms);

    atomic_store(&stop_counting, 1);
    return test_status();
}

GOC_MAIN(test_main)
