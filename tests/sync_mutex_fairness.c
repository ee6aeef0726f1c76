/* SPDX-License-Identifier: MIT */
/* Mutex starvation mode when the holder parks inside its critical section:
 * a hog locks, sleeps 100 us, unlocks and at once locks again.  Each unlock
 * wakes the waiter, but the hog, still running, re-takes the mutex before the
 * waiter gets to run; the waiter then finds it held and queues again.  Only
 * starvation mode (after 1 ms of waiting, unlock hands the mutex straight to
 * the waiter) lets the waiter in.  Ten acquisitions must take under a second
 * in all; without the handoff each takes close to a second or never ends.
 *
 * A second hog spins while holding the mutex instead of sleeping: with one P
 * the waiter then runs only when the hog is preempted.
 *
 * A watchdog thread ends the program if the waiter is stuck, since a lock
 * call that never returns cannot report anything itself. */
#include <pthread.h>
#include <stdatomic.h>

#include "testing.h"

enum { ACQUISITIONS = 10 };
#define TOTAL_LIMIT_NS GOC_SECOND
#define HOLD_NS        (100 * GOC_MICROSECOND)
#define STUCK_NS       (10 * GOC_SECOND)

typedef struct {
    goc_mutex     mu;
    _Atomic bool  stop;
    _Atomic long  hog_rounds;
    goc_waitgroup wg;
} contest;

static _Atomic int64_t waiting_since;   /* 0 when the waiter is not in lock */
static _Atomic bool finished;

static void *watchdog(void *arg)
{
    (void)arg;
    while (!atomic_load(&finished)) {
        usleep(50 * 1000);
        int64_t since = atomic_load(&waiting_since);
        if (since && test_clock_ns() - since > STUCK_NS) {
            fprintf(stderr, "waiter stuck in goc_mutex_lock for %.1f s: no handoff\n",
                    (test_clock_ns() - since) / 1e9);
            _exit(1);
        }
    }
    return NULL;
}

static void hog_sleeping(void *arg)
{
    contest *c = arg;
    while (!atomic_load(&c->stop)) {
        goc_mutex_lock(&c->mu);
        goc_sleep(HOLD_NS);
        goc_mutex_unlock(&c->mu);
        atomic_fetch_add(&c->hog_rounds, 1);
    }
    goc_waitgroup_done(&c->wg);
}

static void hog_spinning(void *arg)
{
    contest *c = arg;
    while (!atomic_load(&c->stop)) {
        goc_mutex_lock(&c->mu);
        int64_t until = test_clock_ns() + HOLD_NS;
        while (test_clock_ns() < until)
            ;
        goc_mutex_unlock(&c->mu);
        atomic_fetch_add(&c->hog_rounds, 1);
    }
    goc_waitgroup_done(&c->wg);
}

static void run_contest(contest *c, const char *name, goc_fn hog)
{
    goc_waitgroup_add(&c->wg, 1);
    goc_go(hog, c);
    /* Measure only once the hog is looping. */
    while (atomic_load(&c->hog_rounds) < 3)
        goc_sleep(HOLD_NS);

    int64_t total = 0, worst = 0;
    for (int i = 0; i < ACQUISITIONS; i++) {
        goc_sleep(HOLD_NS);
        int64_t start = test_clock_ns();
        atomic_store(&waiting_since, start);
        goc_mutex_lock(&c->mu);
        atomic_store(&waiting_since, 0);
        int64_t waited = test_clock_ns() - start;
        goc_mutex_unlock(&c->mu);
        total += waited;
        if (waited > worst)
            worst = waited;
    }
    atomic_store(&c->stop, true);
    goc_waitgroup_wait(&c->wg);
    CHECK(total < TOTAL_LIMIT_NS, "%s: %d acquisitions took %.3f s (worst %.3f s)", name,
          ACQUISITIONS, total / 1e9, worst / 1e9);
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    pthread_t dog;
    REQUIRE(pthread_create(&dog, NULL, watchdog, NULL) == 0, "cannot start the watchdog");
    pthread_detach(dog);

    static contest sleeping, spinning;
    run_contest(&sleeping, "sleeping hog", hog_sleeping);
    run_contest(&spinning, "spinning hog", hog_spinning);

    atomic_store(&finished, true);
    return test_status();
}

GOC_MAIN(test_main)
