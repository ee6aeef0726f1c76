/* SPDX-License-Identifier: MIT */
/* A goroutine readied by one that keeps running still gets an idle P.
 * sched_ready wakes no M for a goroutine that waits alone in its P's
 * runnext (the readier mostly blocks next and runs it itself); sysmon
 * wakes one when the P has not scheduled since its last look.  Here the
 * readier never blocks nor calls into the runtime after readying: it
 * spins until the readied goroutine has run, which with more than one P
 * only the M that sysmon wakes can make happen.  Both ways a channel
 * readies are tried: a send to a parked receiver, and a receive from a
 * parked sender (unbuffered, and a full buffer). */
#include <stdatomic.h>

#include "testing.h"

enum { ROUNDS = 10 };

/* sysmon looks every 0.1 ms while a wake-up is deferred; the margin is
 * for loaded CI machines and sanitizers. */
static const int64_t MAX_LATENCY_NS = 2000 * 1000000LL;

static _Atomic int about_to_park, ran;

static void receiver(void *arg)
{
    int v;
    atomic_store(&about_to_park, 1);
    goc_chan_recv(arg, &v);
    atomic_store(&ran, 1);
}

static void sender(void *arg)
{
    int v = 2;
    atomic_store(&about_to_park, 1);
    goc_chan_send(arg, &v);
    atomic_store(&ran, 1);
}

/* Starts fn(c) and returns once it is (nearly always) parked on c, every
 * idle M asleep. */
static void start_parked(goc_fn fn, goc_chan *c)
{
    atomic_store(&about_to_park, 0);
    atomic_store(&ran, 0);
    goc_go(fn, c);
    /* It parks right after setting the flag (on this P, which a yield
     * gives it, or on another one, within nanoseconds). */
    while (!atomic_load(&about_to_park))
        goc_yield();
    /* Long enough for an M that its start woke to stop spinning (50 us):
     * none is then around to take what this goroutine readies next. */
    int64_t start = test_clock_ns();
    while (test_clock_ns() - start < 5 * 1000000LL)
        KEEP_FRAME();
}

/* Spins without any runtime call until the readied goroutine has run;
 * returns how long that took. */
static int64_t spin_until_ran(int64_t start)
{
    while (!atomic_load(&ran) && test_clock_ns() - start < 2 * MAX_LATENCY_NS)
        KEEP_FRAME();
    return test_clock_ns() - start;
}

static int64_t worst;
static bool several_procs;

/* With one P only blocking lets the readied goroutine run. */
static void wait_until_ran(int64_t start)
{
    if (several_procs) {
        int64_t t = spin_until_ran(start);
        worst = t > worst ? t : worst;
    }
    while (!atomic_load(&ran))
        goc_yield();
}

/* The goroutine parked long ago unless its thread was descheduled in
 * between (a loaded machine): then retry, as a later try finds it parked. */
static int64_t send_to_parked(goc_chan *c, int v)
{
    for (;;) {
        int64_t start = test_clock_ns();
        if (goc_chan_try_send(c, &v))
            return start;
        goc_yield();
    }
}

static int64_t recv_from_parked(goc_chan *c, int *v)
{
    for (;;) {
        int64_t start = test_clock_ns();
        if (goc_chan_try_recv(c, v) == GOC_RECV_OK)
            return start;
        goc_yield();
    }
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    several_procs = goc_maxprocs(0) > 1;
    for (int round = 0; round < ROUNDS; round++) {
        int v = 1;
        goc_chan *c = goc_chan_make(sizeof(int), 0);
        start_parked(receiver, c);
        wait_until_ran(send_to_parked(c, 1));

        start_parked(sender, c);
        wait_until_ran(recv_from_parked(c, &v));
        CHECK(v == 2, "unbuffered: got %d, want 2", v);

        goc_chan *b = goc_chan_make(sizeof(int), 1);
        v = 1;
        goc_chan_send(b, &v);
        start_parked(sender, b);   /* the buffer is full: it parks sending 2 */
        wait_until_ran(recv_from_parked(b, &v));
        CHECK(v == 1, "buffered: got %d, want 1", v);
        CHECK(goc_chan_try_recv(b, &v) == GOC_RECV_OK && v == 2, "buffered: got %d, want 2", v);
    }
    CHECK(worst < MAX_LATENCY_NS, "a readied goroutine waited %.1f ms for an idle P",
          (double)worst / 1e6);
    return test_status();
}

GOC_MAIN(test_main)
