/* SPDX-License-Identifier: MIT */
/* Lost wake-up hunt: work arrives in small bursts separated by idle gaps,
 * so threads keep going idle and being woken (the window where idle
 * work-stealing schedulers lose a wake-up).  Four relay chains pass tokens
 * with short sleeps between bursts; a plain thread feeds one chain from
 * outside the scheduler.  A lost wake-up leaves a token stuck and the run
 * times out; a watchdog thread names the stuck chains first. */
#include <pthread.h>
#include <stdatomic.h>

#include "testing.h"

enum { CHAINS = 4, LINKS = 8, TOKENS = 3000 };

static goc_chan *links[CHAINS][LINKS + 1];
static goc_chan *relay_ends[CHAINS][LINKS][2];
static _Atomic long delivered[CHAINS];
static _Atomic int all_done;
static goc_waitgroup drained;

static void relay(void *arg)
{
    goc_chan **ends = arg;
    int v;
    while (goc_chan_recv(ends[0], &v))
        goc_chan_send(ends[1], &v);
    goc_chan_close(ends[1]);
}

static void feed_chain(int chain)
{
    for (int t = 0; t < TOKENS; t++) {
        goc_chan_send(links[chain][0], &t);
        if (t % 10 == 9)
            goc_sleep((t % 7 + 1) * 20 * GOC_MICROSECOND);
    }
    goc_chan_close(links[chain][0]);
}

static void feed_chain_g(void *arg)
{
    feed_chain((int)(intptr_t)arg);
}

static void *feed_chain_thread(void *arg)
{
    feed_chain((int)(intptr_t)arg);
    return NULL;
}

static void drain_chain(void *arg)
{
    int chain = (int)(intptr_t)arg, v, expect = 0, bad = 0;
    while (goc_chan_recv(links[chain][LINKS], &v)) {
        bad += v != expect;
        expect = v + 1;
        atomic_fetch_add(&delivered[chain], 1);
    }
    CHECK(bad == 0 && expect == TOKENS, "chain %d: %d misordered, %d delivered", chain, bad,
          expect);
    goc_waitgroup_done(&drained);
}

static void *watchdog(void *arg)
{
    (void)arg;
    long last[CHAINS] = {0};
    int quiet = 0;
    while (!atomic_load(&all_done)) {
        usleep(100 * 1000);
        int moved = 0;
        for (int c = 0; c < CHAINS; c++) {
            long d = atomic_load(&delivered[c]);
            moved += d != last[c];
            last[c] = d;
        }
        quiet = moved ? 0 : quiet + 1;
        if (quiet == 50)
            for (int c = 0; c < CHAINS; c++)
                fprintf(stderr, "watchdog: no progress for 5 s; chain %d at %ld of %d tokens\n", c,
                        last[c], TOKENS);
    }
    return NULL;
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    pthread_t dog, outsider;
    pthread_create(&dog, NULL, watchdog, NULL);
    goc_waitgroup_add(&drained, CHAINS);
    for (int c = 0; c < CHAINS; c++) {
        for (int l = 0; l <= LINKS; l++)
            links[c][l] = goc_chan_make(sizeof(int), l % 3 == 0 ? 1 : 0);
        for (int l = 0; l < LINKS; l++) {
            relay_ends[c][l][0] = links[c][l];
            relay_ends[c][l][1] = links[c][l + 1];
            goc_go(relay, relay_ends[c][l]);
        }
        goc_go(drain_chain, (void *)(intptr_t)c);
    }
    pthread_create(&outsider, NULL, feed_chain_thread, (void *)(intptr_t)0);
    for (int c = 1; c < CHAINS; c++)
        goc_go(feed_chain_g, (void *)(intptr_t)c);
    goc_waitgroup_wait(&drained);
    pthread_join(outsider, NULL);
    atomic_store(&all_done, 1);
    pthread_join(dog, NULL);
    return test_status();
}

GOC_MAIN(test_main)
