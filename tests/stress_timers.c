/* SPDX-License-Identifier: MIT */
/* Timer churn: 10,000 goroutines each sleep a few random short times and
 * wait on goc_after timeouts racing against channel sends, so timers are
 * added, fire and are abandoned on every P while goroutines move between
 * Ps.  No sleep may end early, every goroutine must finish, and the whole
 * run must take about as long as the longest sleeper, not the sum. */
#include <stdatomic.h>

#include "testing.h"

enum { SLEEPERS = 10000, NAPS = 5 };

static _Atomic int early, finished;
static goc_waitgroup wg;
static goc_chan *shared_events;

static uint32_t next_random(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

static void napper(void *arg)
{
    uint32_t rnd = (uint32_t)(intptr_t)arg * 2654435761u + 1;
    for (int i = 0; i < NAPS; i++) {
        int64_t d = (int64_t)(next_random(&rnd) % 5000) * GOC_MICROSECOND;
        int64_t t0 = test_clock_ns();
        goc_sleep(d);
        if (test_clock_ns() - t0 < d)
            atomic_fetch_add(&early, 1);

        int v;
        int64_t when;
        t0 = goc_now();
        d = (int64_t)(next_random(&rnd) % 3000) * GOC_MICROSECOND;
        goc_case cases[2] = {
            { .chan = shared_events, .op = GOC_RECV, .elem = &v },
            { .chan = goc_after(d), .op = GOC_RECV, .elem = &when },
        };
        if (goc_select(cases, 2) == 1 && when < t0 + d)
            atomic_fetch_add(&early, 1);
    }
    atomic_fetch_add(&finished, 1);
    goc_waitgroup_done(&wg);
}

static void emit_events(void *arg)
{
    (void)arg;
    for (int i = 0; i < SLEEPERS; i++) {
        goc_chan_send(shared_events, &i);
        if (i % 100 == 0)
            goc_sleep(GOC_MILLISECOND);
    }
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    shared_events = goc_chan_make(sizeof(int), 0);
    goc_waitgroup_add(&wg, SLEEPERS);
    int64_t t0 = test_clock_ns();
    goc_go(emit_events, NULL);
    for (int i = 0; i < SLEEPERS; i++)
        goc_go(napper, (void *)(intptr_t)i);
    goc_waitgroup_wait(&wg);
    int64_t took_ms = (test_clock_ns() - t0) / 1000000;
    CHECK(atomic_load(&finished) == SLEEPERS, "%d of %d finished", atomic_load(&finished),
          SLEEPERS);
    CHECK(atomic_load(&early) == 0, "%d sleeps or timeouts ended early", atomic_load(&early));
    /* Each goroutine sleeps at most 5 * (5 + 3) ms = 40 ms in total. */
    CHECK(took_ms < 10000, "took %lld ms", (long long)took_ms);
    printf("took %lld ms\n", (long long)took_ms);
    return test_status();
}

GOC_MAIN(test_main)
