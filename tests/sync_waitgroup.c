/* SPDX-License-Identifier: MIT */
/* goc_waitgroup: wait returns only after the counter has come down to zero
 * through add/done (including a negative add), several waiters are all
 * released, a zero counter does not block, the group is reusable once a
 * wait has returned, and the zero value is ready.  A negative counter
 * panics: see sync_misuse negative_waitgroup in tests/cases. */
#include <stdatomic.h>

#include "testing.h"

enum { WORKERS = 200, WAITERS = 10 };

static goc_waitgroup wg;        /* zero value */
static _Atomic int finished;

static void work_then_done(void *arg)
{
    goc_sleep((int64_t)(intptr_t)arg * 50 * GOC_MICROSECOND);
    atomic_fetch_add(&finished, 1);
    goc_waitgroup_done(&wg);
}

static _Atomic int waiters_saw_all;

static void wait_and_check(void *arg)
{
    goc_waitgroup_wait(&wg);
    if (atomic_load(&finished) == WORKERS)
        atomic_fetch_add(&waiters_saw_all, 1);
    goc_waitgroup_done(arg);
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    int64_t t0 = test_clock_ns();
    goc_waitgroup_wait(&wg);
    CHECK(test_clock_ns() - t0 < 100 * GOC_MILLISECOND, "wait on a zero counter blocked");

    for (int round = 0; round < 3; round++) {
        static goc_waitgroup waiters_done;
        atomic_store(&finished, 0);
        atomic_store(&waiters_saw_all, 0);
        goc_waitgroup_add(&wg, WORKERS);
        goc_waitgroup_add(&waiters_done, WAITERS);
        for (int i = 0; i < WAITERS; i++)
            goc_go(wait_and_check, &waiters_done);
        for (int i = 0; i < WORKERS; i++)
            goc_go(work_then_done, (void *)(intptr_t)(i % 40));
        goc_waitgroup_wait(&wg);
        CHECK(atomic_load(&finished) == WORKERS, "round %d: wait returned after %d of %d dones",
              round, atomic_load(&finished), WORKERS);
        goc_waitgroup_wait(&waiters_done);
        CHECK(atomic_load(&waiters_saw_all) == WAITERS, "round %d: %d of %d waiters saw all done",
              round, atomic_load(&waiters_saw_all), WAITERS);
    }

    goc_waitgroup_add(&wg, 5);
    goc_waitgroup_add(&wg, -3);
    goc_waitgroup_done(&wg);
    goc_waitgroup_done(&wg);
    t0 = test_clock_ns();
    goc_waitgroup_wait(&wg);
    CHECK(test_clock_ns() - t0 < 100 * GOC_MILLISECOND, "add(5), add(-3), done x2 left a count");
    return test_status();
}

GOC_MAIN(test_main)
