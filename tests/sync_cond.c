/* SPDX-License-Identifier: MIT */
/* goc_cond basics: wait releases the mutex while waiting and holds it again
 * on return; signal wakes exactly one waiter, broadcast wakes all; a signal
 * with nobody waiting is not remembered for a later waiter; the zero value
 * is ready.  (sync_cond_stress hunts lost wake-ups under load.) */
#include <stdatomic.h>

#include "testing.h"

enum { WAITERS = 10 };

static goc_mutex mu;
static goc_cond cond;
static int waiting;             /* guarded by mu */
static _Atomic int woken;
static _Atomic int held_on_return;

static void wait_once(void *arg)
{
    (void)arg;
    goc_mutex_lock(&mu);
    waiting++;
    goc_cond_wait(&cond, &mu);
    if (!goc_mutex_trylock(&mu))
        atomic_fetch_add(&held_on_return, 1);
    else
        goc_mutex_unlock(&mu);
    waiting--;
    goc_mutex_unlock(&mu);
    atomic_fetch_add(&woken, 1);
}

static int all_waiting(void *arg)
{
    int want = (int)(intptr_t)arg;
    goc_mutex_lock(&mu);
    int n = waiting;
    goc_mutex_unlock(&mu);
    return n == want;
}

static int woken_at_least(void *arg)
{
    return atomic_load(&woken) >= (int)(intptr_t)arg;
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    /* Nobody waits: this signal must be lost, not saved. */
    goc_cond_signal(&cond);
    goc_cond_broadcast(&cond);

    for (int i = 0; i < WAITERS; i++)
        goc_go(wait_once, NULL);
    REQUIRE(test_wait_until(all_waiting, (void *)(intptr_t)WAITERS, 5 * GOC_SECOND),
            "waiters never all reached goc_cond_wait (is the mutex released while waiting?)");
    goc_sleep(20 * GOC_MILLISECOND);
    CHECK(atomic_load(&woken) == 0, "%d waiters woke without a signal", atomic_load(&woken));

    for (int s = 1; s <= 3; s++) {
        goc_cond_signal(&cond);
        CHECK(test_wait_until(woken_at_least, (void *)(intptr_t)s, 5 * GOC_SECOND),
              "signal %d woke nobody", s);
        goc_sleep(20 * GOC_MILLISECOND);
        CHECK(atomic_load(&woken) == s, "after %d signals %d waiters woke", s,
              atomic_load(&woken));
    }

    goc_mutex_lock(&mu);
    goc_cond_broadcast(&cond);
    goc_mutex_unlock(&mu);
    CHECK(test_wait_until(woken_at_least, (void *)(intptr_t)WAITERS, 5 * GOC_SECOND),
          "broadcast woke %d of the remaining %d", atomic_load(&woken) - 3, WAITERS - 3);
    CHECK(atomic_load(&held_on_return) == WAITERS, "%d of %d waiters returned holding the mutex",
          atomic_load(&held_on_return), WAITERS);
    return test_status();
}

GOC_MAIN(test_main)
