/* SPDX-License-Identifier: MIT */
/* 100,000 goroutines (10,000 under TSan) in pairs, each pair bouncing a
 * counter 20 times through two unbuffered channels: every goroutine parks
 * and wakes over and over across all Ps.  The sum of the final counters
 * and of the values each side saw must come out exact. */
#include <stdatomic.h>

#include "base/sanitizers.h"
#include "testing.h"

#ifdef GOC_TSAN
enum { PAIRS = 5000, ROUNDS = 20 };   /* TSan's goroutines cost ~4 ms to start */
#else
enum { PAIRS = 50000, ROUNDS = 20 };
#endif

typedef struct {
    goc_chan *ping, *pong;
    int       pair;
} pair_chans;

static _Atomic long total_seen;
static goc_waitgroup wg;

static void pinger(void *arg)
{
    pair_chans *p = arg;
    long v = p->pair, seen = 0;
    for (int r = 0; r < ROUNDS; r++) {
        goc_chan_send(p->ping, &v);
        goc_chan_recv(p->pong, &v);
        seen += v;
        v++;
    }
    atomic_fetch_add(&total_seen, seen);
    goc_waitgroup_done(&wg);
}

static void ponger(void *arg)
{
    pair_chans *p = arg;
    long v, seen = 0;
    for (int r = 0; r < ROUNDS; r++) {
        goc_chan_recv(p->ping, &v);
        seen += v;
        v++;
        goc_chan_send(p->pong, &v);
    }
    atomic_fetch_add(&total_seen, seen);
    goc_waitgroup_done(&wg);
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    static pair_chans pairs[PAIRS];
    goc_waitgroup_add(&wg, 2 * PAIRS);
    for (int i = 0; i < PAIRS; i++) {
        pairs[i] = (pair_chans){
            goc_chan_make(sizeof(long), 0), goc_chan_make(sizeof(long), 0), i
        };
        goc_go(pinger, &pairs[i]);
        goc_go(ponger, &pairs[i]);
    }
    goc_waitgroup_wait(&wg);
    /* Pair i: the ponger sees i, i+2, ..., i+2(R-1); the pinger sees one
     * more each time.  Both together: 2*R*i + 2*R*(R-1) + R per pair. */
    long expect = 0;
    for (long i = 0; i < PAIRS; i++)
        expect += 2L * ROUNDS * i + 2L * ROUNDS * (ROUNDS - 1) + ROUNDS;
    CHECK(atomic_load(&total_seen) == expect, "checksum %ld, want %ld", atomic_load(&total_seen),
          expect);
    return test_status();
}

GOC_MAIN(test_main)
