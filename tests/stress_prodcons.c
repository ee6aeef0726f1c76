/* SPDX-License-Identifier: MIT */
/* Many producers and many consumers on one channel, unbuffered and
 * buffered: every value arrives exactly once, nothing is invented, and each
 * consumer sees any one producer's values in increasing order (FIFO). */
#include <stdatomic.h>
#include <string.h>

#include "testing.h"

enum { PRODUCERS = 16, CONSUMERS = 16, PER_PRODUCER = 20000 };

static _Atomic uint8_t received[PRODUCERS][PER_PRODUCER];
static _Atomic int bogus, misordered;

typedef struct {
    goc_chan      *c;
    int            id;
    goc_waitgroup *wg;
} worker;

static void produce(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < PER_PRODUCER; i++) {
        uint64_t v = (uint64_t)w->id << 32 | (uint32_t)i;
        goc_chan_send(w->c, &v);
    }
    goc_waitgroup_done(w->wg);
}

static void consume(void *arg)
{
    worker *w = arg;
    int last[PRODUCERS];
    memset(last, -1, sizeof last);
    uint64_t v;
    while (goc_chan_recv(w->c, &v)) {
        uint32_t p = (uint32_t)(v >> 32), i = (uint32_t)v;
        if (p >= PRODUCERS || i >= PER_PRODUCER) {
            atomic_fetch_add(&bogus, 1);
            continue;
        }
        if ((int)i <= last[p])
            atomic_fetch_add(&misordered, 1);
        last[p] = (int)i;
        atomic_fetch_add(&received[p][i], 1);
    }
    goc_waitgroup_done(w->wg);
}

static void run(size_t cap)
{
    static goc_waitgroup producers, consumers;
    static worker pw[PRODUCERS], cw[CONSUMERS];
    memset(received, 0, sizeof received);
    atomic_store(&bogus, 0);
    atomic_store(&misordered, 0);
    goc_chan *c = goc_chan_make(sizeof(uint64_t), cap);
    goc_waitgroup_add(&producers, PRODUCERS);
    goc_waitgroup_add(&consumers, CONSUMERS);
    for (int i = 0; i < CONSUMERS; i++) {
        cw[i] = (worker){ c, i, &consumers };
        goc_go(consume, &cw[i]);
    }
    for (int i = 0; i < PRODUCERS; i++) {
        pw[i] = (worker){ c, i, &producers };
        goc_go(produce, &pw[i]);
    }
    goc_waitgroup_wait(&producers);
    goc_chan_close(c);
    goc_waitgroup_wait(&consumers);

    int lost = 0, duplicated = 0;
    for (int p = 0; p < PRODUCERS; p++)
        for (int i = 0; i < PER_PRODUCER; i++) {
            int n = atomic_load(&received[p][i]);
            lost += n == 0;
            duplicated += n > 1;
        }
    CHECK(lost == 0 && duplicated == 0, "cap %zu: %d values lost, %d duplicated", cap, lost,
          duplicated);
    CHECK(atomic_load(&bogus) == 0, "cap %zu: %d values never sent", cap, atomic_load(&bogus));
    CHECK(atomic_load(&misordered) == 0, "cap %zu: %d values out of producer order", cap,
          atomic_load(&misordered));
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    run(0);
    run(1);
    run(64);
    return test_status();
}

GOC_MAIN(test_main)
