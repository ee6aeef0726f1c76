/* SPDX-License-Identifier: MIT */
/* The classic concurrent prime sieve: a generator feeding a chain of filter
 * goroutines, one per prime found; N primes.  Go twin: go/sieve/main.go. */
#include <stdbool.h>

#include "bench/bench.h"

struct filter_args {
    goc_chan *in, *out;
    int64_t   prime;
};

static void generate(void *arg)
{
    goc_chan *ch = arg;
    for (int64_t i = 2;; i++)
        goc_chan_send(ch, &i);
}

static void filter(void *arg)
{
    struct filter_args *a = arg;
    for (;;) {
        int64_t i;
        goc_chan_recv(a->in, &i);
        if (i % a->prime != 0)
            goc_chan_send(a->out, &i);
    }
}

/* The answer by trial division, to check the sieve. */
static int64_t nth_prime(int64_t n)
{
    int64_t found = 0;
    for (int64_t c = 2;; c++) {
        bool is_prime = true;
        for (int64_t d = 2; d * d <= c; d++) {
            if (c % d == 0) {
                is_prime = false;
                break;
            }
        }
        if (is_prime && ++found == n)
            return c;
    }
}

static int sieve_main(int argc, char **argv)
{
    int64_t n = bench_count(argc, argv, 3000);
    int64_t start = goc_now();
    goc_chan *ch = goc_chan_make(sizeof(int64_t), 0);
    go(generate, ch);
    int64_t prime = 0;
    for (int64_t i = 0; i < n; i++) {
        goc_chan_recv(ch, &prime);
        /* Collected heap, as a Go closure's captures would be. */
        struct filter_args *a = goc_alloc(sizeof *a);
        a->in = ch;
        a->out = goc_chan_make(sizeof(int64_t), 0);
        a->prime = prime;
        go(filter, a);
        ch = a->out;
    }
    int64_t elapsed = goc_now() - start;
    int64_t want = nth_prime(n);
    if (prime != want) {
        fprintf(stderr, "sieve: prime %lld is %lld, want %lld\n",
                (long long)n, (long long)prime, (long long)want);
        return 1;
    }
    bench_report("ms", (double)elapsed / 1e6);
    return 0;
}

GOC_MAIN(sieve_main)
