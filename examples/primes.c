/* SPDX-License-Identifier: MIT */
/* The concurrent prime sieve: a chain of goroutines, one per prime found,
 * each filtering the multiples of its prime out of the stream it passes on.
 *
 *   primes [N]     print the first N primes (default 100) and some figures */
#include <goc.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct filter_args {
    goc_chan *in, *out;
    int prime;
} filter_args;

static void generate(void *arg) {
    goc_chan *out = arg;
    for (int i = 2;; i++)
        chan_send(out, &i);
}

static void filter(void *arg) {
    filter_args *f = arg;
    for (;;) {
        int n;
        chan_recv(f->in, &n);
        if (n % f->prime != 0)
            chan_send(f->out, &n);
    }
}

static int app(int argc, char **argv) {
    int count = argc > 1 ? atoi(argv[1]) : 100;
    if (count < 1) {
        fprintf(stderr, "usage: %s [number of primes > 0]\n", argv[0]);
        return 2;
    }
    int64_t start = goc_now();
    goc_chan *ch = chan_make(sizeof(int), 0);
    go(generate, ch);
    for (int i = 0; i < count; i++) {
        int prime;
        chan_recv(ch, &prime);
        printf("%d%c", prime, (i + 1) % 10 == 0 || i + 1 == count ? '\n' : ' ');
        filter_args *f = goc_alloc(sizeof *f);
        f->in = ch;
        f->out = chan_make(sizeof(int), 0);
        f->prime = prime;
        go(filter, f);
        ch = f->out;
    }
    double ms = (double)(goc_now() - start) / GOC_MILLISECOND;
    printf("%d primes in %.1f ms with %d goroutines on %d Ps\n", count, ms,
           goc_num_goroutine(), goc_maxprocs(0));
    return 0;
}

GOC_MAIN(app)
