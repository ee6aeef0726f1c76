/* SPDX-License-Identifier: MIT */
/* Mutex fairness (Go's starvation mode): a goroutine that re-locks in a
 * tight loop cannot keep a waiter out indefinitely.  Go hands the lock
 * straight to a waiter that has waited over 1 ms; the bound here is 1 s,
 * generous for a loaded machine yet far below "never" (the hog runs 3 s). */
#include <stdatomic.h>

#include "testing.h"

enum { WAITERS = 4 };
#define HOG_TIME (3 * GOC_SECOND)

static goc_mutex mu;
static _Atomic int hog_started;
static _Atomic int stop_hog;

static void busy_for(int64_t ns)
{
    int64_t end = test_clock_ns() + ns;
    while (test_clock_ns() < end)
        ;
}

static void hog(void *arg)
{
    int64_t end = test_clock_ns() + HOG_TIME;
    while (!atomic_load(&stop_hog) && test_clock_ns() < end) {
        goc_mutex_lock(&mu);
        atomic_store(&hog_started, 1);
        busy_for(20 * GOC_MICROSECOND);
        goc_mutex_unlock(&mu);
    }
    goc_waitgroup_done(arg);
}

typedef struct {
    int64_t        waited;
    goc_waitgroup *wg;
} waiter;

static void wait_for_lock(void *arg)
{
    waiter *w = arg;
    int64_t t0 = test_clock_ns();
    goc_mutex_lock(&mu);
    w->waited = test_clock_ns() - t0;
    goc_mutex_unlock(&mu);
    goc_waitgroup_done(w->wg);
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    static goc_waitgroup hogs, waiters;
    int nhogs = goc_maxprocs(0) > 1 ? 2 : 1;
    goc_waitgroup_add(&hogs, nhogs);
    for (int i = 0; i < nhogs; i++)
        goc_go(hog, &hogs);
    while (!atomic_load(&hog_started))
        goc_sleep(GOC_MILLISECOND);

    static waiter w[WAITERS];
    goc_waitgroup_add(&waiters, WAITERS);
    for (int i = 0; i < WAITERS; i++) {
        w[i] = (waiter){ -1, &waiters };
        goc_go(wait_for_lock, &w[i]);
        goc_sleep(10 * GOC_MILLISECOND);
    }
    goc_waitgroup_wait(&waiters);
    atomic_store(&stop_hog, 1);
    goc_waitgroup_wait(&hogs);
    for (int i = 0; i < WAITERS; i++)
        CHECK(w[i].waited < GOC_SECOND,
              "waiter %d waited %lld ms for a mutex a loop kept re-locking", i,
              (long long)(w[i].waited / 1000000));
    return test_status();
}

GOC_MAIN(test_main)
