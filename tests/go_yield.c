/* SPDX-License-Identifier: MIT */
/* goc_yield gives the processor to other runnable goroutines.  With one P
 * and goroutines that never block, yielding is the only way anybody else
 * runs, so a spinning loop that yields must let its partner make progress,
 * and two yielding goroutines must take turns.  A goroutine in the global
 * queue (spawned by a thread that is not a goroutine) must also run while
 * yielding goroutines keep every local queue busy: Go looks at the global
 * queue every 61st schedule for that. */
#include <pthread.h>
#include <stdatomic.h>

#include "testing.h"

enum { ROUNDS = 2000, MAX_STREAK = 4 };

static _Atomic int flag_set;

static void set_flag(void *arg)
{
    (void)arg;
    atomic_store(&flag_set, 1);
}

enum { FAIRNESS_BOUND = 1000 };   /* yields; Go's check comes every 61 schedules */

/* With more than one P a goroutine can be taken by another P whose thread
 * the OS leaves waiting, and a yield with nothing queued locally returns at
 * once: only the clock bounds the wait there. */
static const int64_t GIVE_UP_NS = 20 * 1000000000LL;

static bool waited_too_long(int64_t start, int yields, int max_yields)
{
    if (goc_maxprocs(0) == 1)
        return yields >= max_yields;
    return test_clock_ns() - start > GIVE_UP_NS;
}

static _Atomic int global_ran, global_spawned, churn_stop;

static void set_global_ran(void *arg)
{
    (void)arg;
    atomic_store(&global_ran, 1);
}

static void churn(void *arg)
{
    (void)arg;
    while (!atomic_load(&churn_stop))
        goc_yield();
}

static void *spawn_from_thread(void *arg)
{
    (void)arg;
    goc_go(set_global_ran, NULL);
    atomic_store(&global_spawned, 1);
    return NULL;
}

/* Yields until the globally queued goroutine runs; returns the yields
 * made after it was queued. */
static int yields_until_global_runs(void)
{
    int nprocs = goc_maxprocs(0);
    for (int i = 0; i < 2 * nprocs; i++)
        goc_go(churn, NULL);
    goc_yield();
    pthread_t t;
    CHECK(pthread_create(&t, NULL, spawn_from_thread, NULL) == 0, "pthread_create");
    /* Joining would block this goroutine's thread; the spawn is seen by
     * the goroutine running. */
    int yields = 0;
    int64_t start = test_clock_ns();
    while (!atomic_load(&global_ran) && !waited_too_long(start, yields, 1000000)) {
        goc_yield();
        if (atomic_load(&global_spawned))
            yields++;
    }
    atomic_store(&churn_stop, 1);
    pthread_join(t, NULL);
    return yields;
}

typedef struct {
    _Atomic int log_len;
    int         log[2 * ROUNDS];
    goc_waitgroup wg;
} turn_log;

typedef struct {
    turn_log *tl;
    int       who;
} taker;

static void take_turns(void *arg)
{
    taker *t = arg;
    for (int i = 0; i < ROUNDS; i++) {
        int slot = atomic_fetch_add(&t->tl->log_len, 1);
        t->tl->log[slot] = t->who;
        goc_yield();
    }
    goc_waitgroup_done(&t->tl->wg);
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    bool one_p = goc_maxprocs(0) == 1;

    goc_go(set_flag, NULL);
    int yields = 0;
    int64_t start = test_clock_ns();
    while (!atomic_load(&flag_set) && !waited_too_long(start, yields, 100000)) {
        goc_yield();
        yields++;
    }
    CHECK(atomic_load(&flag_set), "spawned goroutine never ran across %d yields", yields);
    if (one_p)
        CHECK(yields <= 10, "with one P the spawned goroutine needed %d yields to run", yields);

    static turn_log tl;
    taker a = { &tl, 0 }, b = { &tl, 1 };
    goc_waitgroup_add(&tl.wg, 2);
    goc_go(take_turns, &a);
    goc_go(take_turns, &b);
    goc_waitgroup_wait(&tl.wg);
    CHECK(atomic_load(&tl.log_len) == 2 * ROUNDS, "log has %d entries", atomic_load(&tl.log_len));

    if (one_p) {
        /* Only the middle counts: one goroutine may start or end alone. */
        int longest = 0, streak = 0;
        for (int i = 1; i < 2 * ROUNDS; i++) {
            streak = tl.log[i] == tl.log[i - 1] ? streak + 1 : 0;
            if (i > MAX_STREAK * 4 && i < 2 * ROUNDS - MAX_STREAK * 4 && streak > longest)
                longest = streak;
        }
        CHECK(longest < MAX_STREAK,
              "one goroutine ran %d yields in a row while another was runnable", longest + 1);
    }

    int waited = yields_until_global_runs();
    CHECK(atomic_load(&global_ran),
          "a globally queued goroutine never ran across %d yields of busy local queues", waited);
    /* With more Ps, the goroutine may be taken by a P whose thread the OS
     * then leaves waiting while this one yields on. */
    if (one_p)
        CHECK(waited <= FAIRNESS_BOUND, "a globally queued goroutine waited %d yields (bound %d)",
              waited, FAIRNESS_BOUND);
    return test_status();
}

GOC_MAIN(test_main)
