/* SPDX-License-Identifier: MIT */
/* Select-heavy traffic: producers each pick, per value, one of two output
 * channels with a blocking select over both send cases; a fan-in stage of
 * selectors merges all outputs into one channel, selecting over every
 * input plus a quit channel and a timeout; the sink checks that every
 * value arrived exactly once. */
#include <stdatomic.h>
#include <string.h>

#include "testing.h"

enum { PRODUCERS = 8, LANES = 8, MERGERS = 4, PER_PRODUCER = 25000 };

static goc_chan *lanes[LANES];
static goc_chan *merged, *quit;
static _Atomic uint8_t seen[PRODUCERS * PER_PRODUCER];
static _Atomic long timeouts;

static void produce(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int i = 0; i < PER_PRODUCER; i++) {
        int v = id * PER_PRODUCER + i;
        goc_case cases[2] = {
            { .chan = lanes[(id + i) % LANES], .op = GOC_SEND, .elem = &v },
            { .chan = lanes[(id + 3 * i + 1) % LANES], .op = GOC_SEND, .elem = &v },
        };
        goc_select(cases, 2);
    }
}

static void merge(void *arg)
{
    goc_waitgroup *wg = arg;
    for (;;) {
        int v = -1;
        goc_case cases[LANES + 2];
        for (int l = 0; l < LANES; l++)
            cases[l] = (goc_case){ .chan = lanes[l], .op = GOC_RECV, .elem = &v };
        cases[LANES] = (goc_case){ .chan = quit, .op = GOC_RECV };
        cases[LANES + 1] = (goc_case){ .chan = goc_after(50 * GOC_MILLISECOND), .op = GOC_RECV };
        int chosen = goc_select(cases, LANES + 2);
        if (chosen == LANES)
            break;
        if (chosen == LANES + 1) {
            atomic_fetch_add(&timeouts, 1);
            continue;
        }
        goc_chan_send(merged, &v);
    }
    goc_waitgroup_done(wg);
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    for (int l = 0; l < LANES; l++)
        lanes[l] = goc_chan_make(sizeof(int), l % 2 ? 4 : 0);
    merged = goc_chan_make(sizeof(int), 16);
    quit = goc_chan_make(0, 0);
    static goc_waitgroup mergers;
    goc_waitgroup_add(&mergers, MERGERS);
    for (int m = 0; m < MERGERS; m++)
        goc_go(merge, &mergers);
    for (int p = 0; p < PRODUCERS; p++)
        goc_go(produce, (void *)(intptr_t)p);

    int bogus = 0, dup = 0;
    for (int n = 0; n < PRODUCERS * PER_PRODUCER; n++) {
        int v;
        goc_chan_recv(merged, &v);
        if (v < 0 || v >= PRODUCERS * PER_PRODUCER)
            bogus++;
        else if (atomic_fetch_add(&seen[v], 1) != 0)
            dup++;
    }
    goc_chan_close(quit);
    goc_waitgroup_wait(&mergers);
    int v, extra = 0;
    while (goc_chan_try_recv(merged, &v) == GOC_RECV_OK)
        extra++;
    CHECK(bogus == 0 && dup == 0 && extra == 0, "%d bogus, %d duplicated, %d extra values", bogus,
          dup, extra);
    printf("merger timeouts: %ld\n", atomic_load(&timeouts));
    return test_status();
}

GOC_MAIN(test_main)
