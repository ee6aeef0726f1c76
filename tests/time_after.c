/* SPDX-License-Identifier: MIT */
/* goc_after(d): a channel of int64_t with capacity 1 that receives, once,
 * the goc_now() of its firing, which is at least start + d.  Many timers
 * fire in the order of their deadlines, and a timer makes the usual
 * timeout-in-a-select pattern work. */
#include "testing.h"

enum { TIMERS = 100 };
#define SPACING (3 * GOC_MILLISECOND)

static void check_single(int64_t d)
{
    int64_t start = goc_now();
    goc_chan *c = goc_after(d);
    CHECK(goc_chan_cap(c) == 1 && goc_chan_elem_size(c) == sizeof(int64_t),
          "goc_after channel: cap %zu elem %zu", goc_chan_cap(c), goc_chan_elem_size(c));
    int64_t fired = 0;
    CHECK(goc_chan_recv(c, &fired), "goc_after channel closed");
    int64_t now = goc_now();
    int64_t floor = start + (d > 0 ? d : 0);
    CHECK(fired >= floor, "after(%lld): fired at start+%lld", (long long)d,
          (long long)(fired - start));
    CHECK(fired <= now, "after(%lld): firing time is in the future by %lld ns", (long long)d,
          (long long)(fired - now));
    CHECK(now - floor < GOC_SECOND, "after(%lld) took %lld ns", (long long)d,
          (long long)(now - start));
    goc_sleep(d > 0 ? 3 * d : GOC_MILLISECOND);
    CHECK(goc_chan_try_recv(c, &fired) == GOC_RECV_EMPTY, "after(%lld) fired twice", (long long)d);
}

static void check_deadline_order(void)
{
    static goc_chan *timers[TIMERS];
    static int64_t deadline[TIMERS], fired[TIMERS], due_lo[TIMERS], due_hi[TIMERS];
    int64_t start = goc_now();
    /* Created in a scrambled order, so creation order is not the answer.
     * Each one's absolute deadline lies in [due_lo, due_hi]: a creation
     * held up longer than SPACING (a collection's pause) legitimately puts
     * a timer behind the next one. */
    for (int k = 0; k < TIMERS; k++) {
        int i = (k * 37) % TIMERS;
        deadline[i] = (i + 1) * SPACING;
        due_lo[i] = goc_now() + deadline[i];
        timers[i] = goc_after(deadline[i]);
        due_hi[i] = goc_now() + deadline[i];
    }
    for (int i = 0; i < TIMERS; i++)
        goc_chan_recv(timers[i], &fired[i]);
    /* Each P fires the timers of its own heap, and the creating goroutine
     * may move between Ps while it creates them: with more than one P, a
     * P whose thread the OS (or a sanitizer) holds back fires its timers
     * late, behind another P's later ones.  Go orders timers per P too.
     * Only an inversion longer than that jitter shows a misordered heap. */
    int64_t jitter = goc_maxprocs(0) == 1 ? 0 : 50 * GOC_MILLISECOND;
    int early = 0, misordered = 0;
    for (int i = 0; i < TIMERS; i++) {
        early += fired[i] < start + deadline[i];
        if (i > 0 && due_lo[i] > due_hi[i - 1])
            misordered += fired[i] + jitter < fired[i - 1];
    }
    CHECK(early == 0, "%d of %d timers fired before their deadline", early, TIMERS);
    CHECK(misordered == 0, "%d timers fired before one with an earlier deadline", misordered);
}

static void check_timeout_select(void)
{
    goc_chan *never = goc_chan_make(sizeof(int), 0);
    int v;
    int64_t when, t0 = test_clock_ns();
    goc_case cases[2] = {
        { .chan = never, .op = GOC_RECV, .elem = &v },
        { .chan = goc_after(30 * GOC_MILLISECOND), .op = GOC_RECV, .elem = &when },
    };
    CHECK(goc_select(cases, 2) == 1, "timeout case did not fire");
    CHECK(test_clock_ns() - t0 >= 30 * GOC_MILLISECOND, "timeout fired early");
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    check_single(0);
    check_single(-GOC_SECOND);
    check_single(GOC_MILLISECOND);
    check_single(40 * GOC_MILLISECOND);
    check_deadline_order();
    check_timeout_select();
    return test_status();
}

GOC_MAIN(test_main)
