/* SPDX-License-Identifier: MIT */
/* goc_now is a monotonic nanosecond clock: it never goes backwards, not in
 * one goroutine and not between goroutines on different threads (a value
 * read before a send is never ahead of a value read after the receive), and
 * it advances at the rate of real time. */
#include <time.h>

#include "testing.h"

enum { READS = 1000000, HOPS = 20000 };

static void pass_times(void *arg)
{
    goc_chan **pair = arg;
    int64_t t;
    int behind = 0;
    while (goc_chan_recv(pair[0], &t)) {
        behind += goc_now() < t;
        t = goc_now();
        goc_chan_send(pair[1], &t);
    }
    CHECK(behind == 0, "clock read after a receive was behind the sender's %d times", behind);
    goc_chan_close(pair[1]);
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    int64_t prev = goc_now();
    int back = 0;
    CHECK(prev > 0, "goc_now() = %lld", (long long)prev);
    for (int i = 0; i < READS; i++) {
        int64_t t = goc_now();
        back += t < prev;
        prev = t;
    }
    CHECK(back == 0, "goc_now went backwards %d times in %d reads", back, READS);

    goc_chan *pair[2] = { goc_chan_make(sizeof(int64_t), 0), goc_chan_make(sizeof(int64_t), 0) };
    goc_go(pass_times, pair);
    back = 0;
    for (int i = 0; i < HOPS; i++) {
        int64_t t = goc_now(), reply;
        goc_chan_send(pair[0], &t);
        goc_chan_recv(pair[1], &reply);
        back += goc_now() < reply;
    }
    goc_chan_close(pair[0]);
    goc_chan_recv(pair[1], NULL);
    CHECK(back == 0, "clock behind a value received from another goroutine %d times", back);

    int64_t g0 = goc_now(), c0 = test_clock_ns();
    struct timespec ts = { 0, 200 * 1000000 };
    goc_blocking_begin();
    nanosleep(&ts, NULL);
    goc_blocking_end();
    int64_t dg = goc_now() - g0, dc = test_clock_ns() - c0;
    CHECK(dg >= dc * 9 / 10 && dg <= dc * 11 / 10, "goc_now advanced %lld ns while %lld ns passed",
          (long long)dg, (long long)dc);
    return test_status();
}

GOC_MAIN(test_main)
