/* SPDX-License-Identifier: MIT */
/* Stopping the world when goroutines spin in loops with no runtime call:
 * one spinner per P (GOMAXPROCS of them, so at GOMAXPROCS=1 nothing else
 * could ever run), and the main thread, which never calls goc_main, stops
 * and starts the world 50 times through the runtime's own stw_stop and
 * stw_start.  Each stop returns within a second (the signal fallback);
 * while the world is stopped no counter moves (a real suspension, not a
 * flag nobody reads), and every counter moves again between stops (each
 * spinner resumes with its P). */
#include <stdatomic.h>
#include <string.h>

#include "sched/stw.h"
#include "testing.h"

void stw_stop(const char *reason);
void stw_start(void);

enum { STOPS = 50, MAX_SPINNERS = 64 };

static _Atomic uint64_t counters[MAX_SPINNERS];
static _Atomic int quit;
static int nspinners;

/* No runtime call inside: only the signal can stop it. */
static void spin(void *arg)
{
    _Atomic uint64_t *c = arg;
    while (!atomic_load_explicit(&quit, memory_order_relaxed))
        atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                              memory_order_relaxed);
}

static void snapshot(uint64_t *out)
{
    for (int i = 0; i < nspinners; i++)
        out[i] = atomic_load_explicit(&counters[i], memory_order_relaxed);
}

/* Until every counter passed base (or 10 s). */
static int all_moved(const uint64_t *base)
{
    int64_t deadline = test_clock_ns() + 10 * 1000000000LL;
    for (;;) {
        int moved = 1;
        for (int i = 0; i < nspinners; i++)
            if (atomic_load_explicit(&counters[i], memory_order_relaxed) <= base[i])
                moved = 0;
        if (moved || test_clock_ns() > deadline)
            return moved;
        struct timespec ms = {0, 1000 * 1000};
        nanosleep(&ms, NULL);
    }
}

int main(void)
{
    nspinners = goc_maxprocs(0);
    REQUIRE(nspinners >= 1 && nspinners <= MAX_SPINNERS, "GOMAXPROCS %d", nspinners);
    for (int i = 0; i < nspinners; i++)
        goc_go(spin, &counters[i]);
    uint64_t zero[MAX_SPINNERS] = {0};
    REQUIRE(all_moved(zero), "spinners did not all start");
    int64_t worst = 0;
    for (int round = 0; round < STOPS; round++) {
        uint64_t stopped[MAX_SPINNERS], later[MAX_SPINNERS];
        int64_t t0 = test_clock_ns();
        stw_stop("test");
        int64_t took = test_clock_ns() - t0;
        snapshot(stopped);
        struct timespec pause = {0, 2 * 1000 * 1000};
        nanosleep(&pause, NULL);
        snapshot(later);
        stw_start();
        CHECK(took < 1000000000LL, "round %d: stw_stop took %lld ns", round, (long long)took);
        CHECK(memcmp(stopped, later, sizeof(uint64_t) * (size_t)nspinners) == 0,
              "round %d: a spinner ran while the world was stopped", round);
        CHECK(all_moved(later), "round %d: a spinner did not resume", round);
        CHECK(stw_last_stop_ns() > 0 && stw_last_stop_ns() <= took,
              "round %d: stw_last_stop_ns %lld, stop took %lld", round,
              (long long)stw_last_stop_ns(), (long long)took);
        if (took > worst)
            worst = took;
    }
    atomic_store(&quit, 1);
    fprintf(stderr, "%d spinners, %d stops, slowest %lld us\n", nspinners, STOPS,
            (long long)worst / 1000);
    return test_status();
}
