/* SPDX-License-Identifier: MIT */
/* goc_tick(period): a channel of int64_t firing times with capacity 1.
 * A prompt reader gets the k-th tick no earlier than start + k * period; a
 * slow reader finds at most one tick waiting, the rest dropped (no backlog);
 * after goc_tick_stop no tick arrives. */
#include "testing.h"

#define PERIOD (20 * GOC_MILLISECOND)

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    int64_t start = goc_now(), t0 = test_clock_ns();
    goc_chan *t = goc_tick(PERIOD);
    CHECK(goc_chan_cap(t) == 1 && goc_chan_elem_size(t) == sizeof(int64_t),
          "ticker channel: cap %zu elem %zu", goc_chan_cap(t), goc_chan_elem_size(t));

    int64_t prev = start;
    for (int k = 1; k <= 10; k++) {
        int64_t when = 0;
        CHECK(goc_chan_recv(t, &when), "ticker channel closed");
        CHECK(when >= start + k * PERIOD, "tick %d at start+%lld ms", k,
              (long long)((when - start) / 1000000));
        CHECK(when > prev, "tick %d not after tick %d", k, k - 1);
        prev = when;
    }
    int64_t ten_ms = (test_clock_ns() - t0) / 1000000;
    CHECK(ten_ms >= 200 && ten_ms < 2000, "10 ticks of 20 ms took %lld ms", (long long)ten_ms);

    /* Slow reader: ten periods pass, one tick waits, the rest are gone. */
    goc_sleep(10 * PERIOD);
    CHECK(goc_chan_len(t) == 1, "after 10 missed periods len is %zu, want 1", goc_chan_len(t));
    int64_t when;
    CHECK(goc_chan_try_recv(t, &when) == GOC_RECV_OK, "no tick waiting for the slow reader");
    CHECK(goc_chan_try_recv(t, &when) == GOC_RECV_EMPTY, "ticks piled up for a slow reader");
    /* The ticker keeps going after dropping. */
    int64_t before = goc_now();
    CHECK(goc_chan_recv(t, &when) && when >= before, "no tick after the slow read");
    CHECK(goc_now() - before < 10 * PERIOD, "next tick took %lld ms",
          (long long)((goc_now() - before) / 1000000));

    goc_tick_stop(t);
    goc_chan_try_recv(t, &when);
    goc_sleep(5 * PERIOD);
    CHECK(goc_chan_try_recv(t, &when) == GOC_RECV_EMPTY, "a tick arrived after goc_tick_stop");

    /* Two tickers at different periods run independently. */
    goc_chan *fast = goc_tick(5 * GOC_MILLISECOND), *slow = goc_tick(50 * GOC_MILLISECOND);
    int nfast = 0, nslow = 0;
    int64_t end = goc_now() + 275 * GOC_MILLISECOND;
    while (goc_now() < end) {
        goc_case cases[2] = {
            { .chan = fast, .op = GOC_RECV, .elem = &when },
            { .chan = slow, .op = GOC_RECV, .elem = &when },
        };
        if (goc_select(cases, 2) == 0)
            nfast++;
        else
            nslow++;
    }
    goc_tick_stop(fast);
    goc_tick_stop(slow);
    CHECK(nslow >= 3 && nslow <= 6, "50 ms ticker fired %d times in 275 ms", nslow);
    CHECK(nfast > 2 * nslow && nfast <= 56, "5 ms ticker fired %d times in 275 ms", nfast);
    return test_status();
}

GOC_MAIN(test_main)
