/* SPDX-License-Identifier: MIT */
/* goc_mutex: mutual exclusion under contention (8 goroutines x 100k
 * increments of a plain counter, and nobody ever finds another holder
 * inside), trylock fails while held and succeeds when free, the all-zero
 * mutex is unlocked, and a mutex may be unlocked by a goroutine other than
 * the one that locked it (as in Go).  Waiting parks the goroutine, so with
 * one P a holder that sleeps still lets the others run. */
#include <stdatomic.h>

#include "testing.h"

enum { WORKERS = 8, ITERATIONS = 100000 };

static goc_mutex mu;           /* zero value, never initialised */
static long counter;
static _Atomic int inside;
static _Atomic int overlaps;

static void hammer(void *arg)
{
    for (int i = 0; i < ITERATIONS; i++) {
        goc_mutex_lock(&mu);
        if (atomic_fetch_add(&inside, 1) != 0)
            atomic_fetch_add(&overlaps, 1);
        counter++;
        if (i % 1000 == 0)
            goc_yield();      /* a holder that is descheduled keeps the lock */
        atomic_fetch_sub(&inside, 1);
        goc_mutex_unlock(&mu);
    }
    goc_waitgroup_done(arg);
}

static void unlock_for_other(void *arg)
{
    goc_mutex_unlock(arg);
}

static _Atomic long progress;

static void count_while_waiting(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++) {
        atomic_fetch_add(&progress, 1);
        goc_yield();
    }
}

static void lock_and_sleep(void *arg)
{
    goc_mutex *m = arg;
    goc_mutex_lock(m);
    goc_sleep(50 * GOC_MILLISECOND);
    goc_mutex_unlock(m);
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    CHECK(goc_mutex_trylock(&mu), "trylock of a zero-valued mutex failed");
    CHECK(!goc_mutex_trylock(&mu), "trylock of a held mutex succeeded");
    goc_mutex_unlock(&mu);

    static goc_waitgroup wg;
    goc_waitgroup_add(&wg, WORKERS);
    for (int i = 0; i < WORKERS; i++)
        goc_go(hammer, &wg);
    goc_waitgroup_wait(&wg);
    CHECK(counter == (long)WORKERS * ITERATIONS, "counter %ld, want %ld", counter,
          (long)WORKERS * ITERATIONS);
    CHECK(atomic_load(&overlaps) == 0, "two holders inside at once %d times",
          atomic_load(&overlaps));
    CHECK(goc_mutex_trylock(&mu), "mutex not free after the workers finished");

    /* Locked here, unlocked by another goroutine. */
    goc_go(unlock_for_other, &mu);
    goc_mutex_lock(&mu);
    goc_mutex_unlock(&mu);

    /* A goroutine blocked on a mutex is parked, not spinning its thread. */
    static goc_mutex held;
    goc_go(lock_and_sleep, &held);
    goc_sleep(5 * GOC_MILLISECOND);
    goc_go(count_while_waiting, NULL);
    goc_mutex_lock(&held);
    CHECK(atomic_load(&progress) == 100, "others made %ld of 100 steps while main waited",
          atomic_load(&progress));
    goc_mutex_unlock(&held);
    return test_status();
}

GOC_MAIN(test_main)
