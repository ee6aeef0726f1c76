/* SPDX-License-Identifier: MIT */
/* main sends a value on an unbuffered channel, an echo goroutine sends it
 * back on another: N round trips.  Go twin: go/pingpong/main.go. */
#include "bench/bench.h"

struct echo_args {
    goc_chan *ping, *pong;
    int64_t   n;
};

static void echo(void *arg)
{
    /* A copy: the arguments live in main's frame, and main may return
     * (its frame then overwritten) before this loop looks at n again. */
    struct echo_args a = *(struct echo_args *)arg;
    for (int64_t i = 0; i < a.n; i++) {
        int64_t v;
        goc_chan_recv(a.ping, &v);
        goc_chan_send(a.pong, &v);
    }
}

static int pingpong_main(int argc, char **argv)
{
    struct echo_args a = {
        .ping = goc_chan_make(sizeof(int64_t), 0),
        .pong = goc_chan_make(sizeof(int64_t), 0),
        .n = bench_count(argc, argv, 1000000),
    };
    int64_t start = goc_now();
    go(echo, &a);
    for (int64_t i = 0; i < a.n; i++) {
        int64_t v;
        goc_chan_send(a.ping, &i);
        goc_chan_recv(a.pong, &v);
        if (v != i) {
            fprintf(stderr, "pingpong: sent %lld, got back %lld\n", (long long)i, (long long)v);
            return 1;
        }
    }
    bench_report_ns_per_op(goc_now() - start, a.n);
    return 0;
}

GOC_MAIN(pingpong_main)
