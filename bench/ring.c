/* SPDX-License-Identifier: MIT */
/* The benchmarks-game thread-ring: 503 goroutines linked by unbuffered
 * channels pass a token that each decrements; the one that receives 0
 * reports its number.  Only the passing is timed.  Go twin: go/ring/main.go. */
#include "bench/bench.h"

enum { RING_SIZE = 503 };

struct member_args {
    int64_t   id;
    goc_chan *in, *out, *winner;
};

static void member(void *arg)
{
    struct member_args *a = arg;
    for (;;) {
        int64_t token;
        goc_chan_recv(a->in, &token);
        if (token == 0) {
            goc_chan_send(a->winner, &a->id);
            return;
        }
        token--;
        goc_chan_send(a->out, &token);
    }
}

static int ring_main(int argc, char **argv)
{
    int64_t n = bench_count(argc, argv, 10000000);
    goc_chan *first = goc_chan_make(sizeof(int64_t), 0);
    goc_chan *winner = goc_chan_make(sizeof(int64_t), 0);
    goc_chan *in = first;
    for (int64_t id = 1; id <= RING_SIZE; id++) {
        /* Collected heap, as a Go closure's captures would be: the GC must
         * keep the channels alive while only these records point to them. */
        struct member_args *a = goc_alloc(sizeof *a);
        a->id = id;
        a->in = in;
        a->out = id < RING_SIZE ? goc_chan_make(sizeof(int64_t), 0) : first;
        a->winner = winner;
        go(member, a);
        in = a->out;
    }
    int64_t start = goc_now();
    goc_chan_send(first, &n);
    int64_t id;
    goc_chan_recv(winner, &id);
    int64_t elapsed = goc_now() - start;
    int64_t want = n % RING_SIZE + 1;
    if (id != want) {
        fprintf(stderr, "ring: goroutine %lld got the last token, want %lld\n",
                (long long)id, (long long)want);
        return 1;
    }
    bench_report_ns_per_op(elapsed, n);
    return 0;
}

GOC_MAIN(ring_main)
