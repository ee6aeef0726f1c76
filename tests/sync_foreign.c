/* SPDX-License-Identifier: MIT */
/* Plain threads (not goroutines) share goc_mutex and goc_waitgroup with
 * goroutines.  main never calls goc_main: the main thread is itself a foreign
 * thread, and the runtime starts on first use.  A foreign thread that blocks
 * blocks only itself; a goroutine that blocks on a mutex a foreign thread
 * holds parks, leaving its P to other goroutines. */
#include <pthread.h>
#include <stdatomic.h>

#include "testing.h"

enum { THREADS = 3, GOROUTINES = 3, INCREMENTS = 20000 };

/* ---- mixed increments under one mutex ------------------------------------- */
static struct {
    goc_mutex     mu;
    long          counter;
    goc_waitgroup wg;
} shared;

static void increment_many(void)
{
    for (int i = 0; i < INCREMENTS; i++) {
        goc_mutex_lock(&shared.mu);
        shared.counter++;
        goc_mutex_unlock(&shared.mu);
    }
    goc_waitgroup_done(&shared.wg);
}

static void increment_goroutine(void *arg)
{
    (void)arg;
    increment_many();
}

static void *increment_thread(void *arg)
{
    (void)arg;
    increment_many();
    return NULL;
}

static void mixed_increments(void)
{
    pthread_t threads[THREADS];
    goc_waitgroup_add(&shared.wg, THREADS + GOROUTINES);
    for (int i = 0; i < GOROUTINES; i++)
        goc_go(increment_goroutine, NULL);
    for (int i = 0; i < THREADS; i++)
        REQUIRE(pthread_create(&threads[i], NULL, increment_thread, NULL) == 0,
                "pthread_create failed");
    goc_waitgroup_wait(&shared.wg);
    goc_mutex_lock(&shared.mu);
    long total = shared.counter;
    goc_mutex_unlock(&shared.mu);
    CHECK(total == (long)(THREADS + GOROUTINES) * INCREMENTS,
          "counter %ld, want %ld: mutual exclusion failed", total,
          (long)(THREADS + GOROUTINES) * INCREMENTS);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
}

/* ---- waiters of both kinds on one waitgroup -------------------------------- */
static struct {
    goc_waitgroup work, waiters_done;
    _Atomic int   finished;
    _Atomic int   early_returns;
} gate;

static void slow_worker(void *arg)
{
    (void)arg;
    goc_sleep(20 * GOC_MILLISECOND);
    atomic_fetch_add(&gate.finished, 1);
    goc_waitgroup_done(&gate.work);
}

static void check_all_finished(void)
{
    if (atomic_load(&gate.finished) != GOROUTINES)
        atomic_fetch_add(&gate.early_returns, 1);
    goc_waitgroup_done(&gate.waiters_done);
}

static void *waiting_thread(void *arg)
{
    (void)arg;
    goc_waitgroup_wait(&gate.work);
    check_all_finished();
    return NULL;
}

static void waiting_goroutine(void *arg)
{
    (void)arg;
    goc_waitgroup_wait(&gate.work);
    check_all_finished();
}

static void mixed_waiters(void)
{
    pthread_t waiter;
    goc_waitgroup_add(&gate.work, GOROUTINES);
    goc_waitgroup_add(&gate.waiters_done, 2);
    REQUIRE(pthread_create(&waiter, NULL, waiting_thread, NULL) == 0, "pthread_create failed");
    goc_go(waiting_goroutine, NULL);
    for (int i = 0; i < GOROUTINES; i++)
        goc_go(slow_worker, NULL);
    goc_waitgroup_wait(&gate.work);       /* the main thread waits too */
    CHECK(atomic_load(&gate.finished) == GOROUTINES, "main thread's Wait returned early");
    goc_waitgroup_wait(&gate.waiters_done);
    CHECK(atomic_load(&gate.early_returns) == 0, "%d waiters returned before the work was done",
          atomic_load(&gate.early_returns));
    pthread_join(waiter, NULL);
}

/* ---- a goroutine blocked on a thread's mutex does not hold its P ------------- */
enum { TICKS_WANTED = 5 };
#define HOLD_LIMIT_NS (5 * GOC_SECOND)

static struct {
    goc_mutex     mu;
    _Atomic bool  held;
    _Atomic bool  trying;          /* the blocked goroutine is inside lock */
    _Atomic bool  blocked_got_it;
    _Atomic long  ticks_while_blocked;
    goc_waitgroup wg;
} hold;

/* Holds the mutex until another goroutine has run a few times while the
 * blocked one waits, or gives up after HOLD_LIMIT_NS. */
static void *holding_thread(void *arg)
{
    (void)arg;
    goc_mutex_lock(&hold.mu);
    atomic_store(&hold.held, true);
    int64_t limit = test_clock_ns() + HOLD_LIMIT_NS;
    while (atomic_load(&hold.ticks_while_blocked) < TICKS_WANTED && test_clock_ns() < limit)
        usleep(1000);
    atomic_store(&hold.held, false);
    goc_mutex_unlock(&hold.mu);
    return NULL;
}

static void blocked_goroutine(void *arg)
{
    (void)arg;
    atomic_store(&hold.trying, true);
    goc_mutex_lock(&hold.mu);
    atomic_store(&hold.blocked_got_it, true);
    goc_mutex_unlock(&hold.mu);
    goc_waitgroup_done(&hold.wg);
}

static void ticking_goroutine(void *arg)
{
    (void)arg;
    while (!atomic_load(&hold.blocked_got_it)) {
        if (atomic_load(&hold.held) && atomic_load(&hold.trying))
            atomic_fetch_add(&hold.ticks_while_blocked, 1);
        goc_sleep(GOC_MILLISECOND);
    }
    goc_waitgroup_done(&hold.wg);
}

static int is_held(void *arg)
{
    (void)arg;
    return atomic_load(&hold.held);
}

static void goroutine_parks(void)
{
    pthread_t holder;
    REQUIRE(pthread_create(&holder, NULL, holding_thread, NULL) == 0, "pthread_create failed");
    REQUIRE(test_wait_until(is_held, NULL, 10 * GOC_SECOND), "holder never took the mutex");
    goc_waitgroup_add(&hold.wg, 2);
    goc_go(blocked_goroutine, NULL);
    goc_go(ticking_goroutine, NULL);
    goc_waitgroup_wait(&hold.wg);
    pthread_join(holder, NULL);
    CHECK(atomic_load(&hold.blocked_got_it), "blocked goroutine never got the mutex");
    CHECK(atomic_load(&hold.ticks_while_blocked) >= TICKS_WANTED,
          "other goroutines ran only %ld times while one waited for a thread's mutex "
          "(GOMAXPROCS=%d)", atomic_load(&hold.ticks_while_blocked), goc_maxprocs(0));
}

int main(void)
{
    mixed_increments();
    mixed_waiters();
    goroutine_parks();
    return test_status();
}
