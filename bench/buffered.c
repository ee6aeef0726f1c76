/* SPDX-License-Identifier: MIT */
/* A producer goroutine sends 0..N-1 over a channel of capacity 1024 and
 * closes it; main receives and sums them.  Go twin: go/buffered/main.go. */
#include "bench/bench.h"

enum { CAPACITY = 1024 };

struct producer_args {
    goc_chan *ch;
    int64_t   n;
};

static void produce(void *arg)
{
    struct producer_args *a = arg;
    for (int64_t i = 0; i < a->n; i++)
        goc_chan_send(a->ch, &i);
    goc_chan_close(a->ch);
}

static int buffered_main(int argc, char **argv)
{
    struct producer_args a = {
        .ch = goc_chan_make(sizeof(int64_t), CAPACITY),
        .n = bench_count(argc, argv, 10000000),
    };
    int64_t start = goc_now();
    go(produce, &a);
    int64_t sum = 0, v;
    while (goc_chan_recv(a.ch, &v))
        sum += v;
    int64_t elapsed = goc_now() - start;
    int64_t want = a.n * (a.n - 1) / 2;
    if (sum != want) {
        fprintf(stderr, "buffered: sum %lld, want %lld\n", (long long)sum, (long long)want);
        return 1;
    }
    bench_report_ns_per_op(elapsed, a.n);
    return 0;
}

GOC_MAIN(buffered_main)
