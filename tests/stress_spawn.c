/* SPDX-License-Identifier: MIT */
/* Spawn storm: 1,000,000 short goroutines, started by four spawner
 * goroutines at once (so run queues overflow, spill to the global queue and
 * get stolen), each adding its number to a sum and signing off on a wait
 * group.  The sum must be exact and the goroutine count must come back
 * to 1. */
#include <stdatomic.h>

#include "testing.h"

enum { SPAWNERS = 4, PER_SPAWNER = 250000 };

static _Atomic int64_t sum;
static goc_waitgroup all_done;

static void add_number(void *arg)
{
    atomic_fetch_add(&sum, (int64_t)(intptr_t)arg);
    goc_waitgroup_done(&all_done);
}

static void spawner(void *arg)
{
    intptr_t base = (intptr_t)arg * PER_SPAWNER;
    for (intptr_t i = 0; i < PER_SPAWNER; i++)
        goc_go(add_number, (void *)(base + i));
    goc_waitgroup_done(&all_done);
}

static int back_to_one(void *arg)
{
    (void)arg;
    return goc_num_goroutine() == 1;
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    const int64_t n = (int64_t)SPAWNERS * PER_SPAWNER;
    goc_waitgroup_add(&all_done, n + SPAWNERS);
    int64_t t0 = test_clock_ns();
    for (intptr_t s = 0; s < SPAWNERS; s++)
        goc_go(spawner, (void *)s);
    goc_waitgroup_wait(&all_done);
    printf("%lld goroutines in %lld ms\n", (long long)n,
           (long long)((test_clock_ns() - t0) / 1000000));
    CHECK(atomic_load(&sum) == n * (n - 1) / 2, "sum %lld, want %lld", (long long)atomic_load(&sum),
          (long long)(n * (n - 1) / 2));
    CHECK(test_wait_until(back_to_one, NULL, 5 * GOC_SECOND), "%d goroutines left",
          goc_num_goroutine());
    return test_status();
}

GOC_MAIN(test_main)
