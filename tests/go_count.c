/* SPDX-License-Identifier: MIT */
/* goc_num_goroutine counts live goroutines: it rises by one per spawn at
 * once (a goroutine that has not started yet is alive) and falls back when
 * they end.  Runtime-internal goroutines are not counted, as in Go, so a
 * program that has spawned nothing sees exactly 1. */
#include "testing.h"

enum { SPAWNED = 500 };

static void wait_for_release(void *arg)
{
    goc_chan_recv(arg, NULL);
}

static int back_to_one(void *arg)
{
    (void)arg;
    return goc_num_goroutine() == 1;
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    CHECK(goc_num_goroutine() == 1, "fresh program counts %d goroutines, want 1",
          goc_num_goroutine());

    goc_chan *release = goc_chan_make(0, 0);
    for (int i = 0; i < SPAWNED; i++) {
        goc_go(wait_for_release, release);
        CHECK(goc_num_goroutine() == i + 2, "after %d spawns: %d goroutines", i + 1,
              goc_num_goroutine());
    }
    goc_sleep(20 * GOC_MILLISECOND);
    CHECK(goc_num_goroutine() == SPAWNED + 1, "all blocked: %d goroutines, want %d",
          goc_num_goroutine(), SPAWNED + 1);

    goc_chan_close(release);
    CHECK(test_wait_until(back_to_one, NULL, 5 * GOC_SECOND),
          "after release: %d goroutines, want 1", goc_num_goroutine());
    return test_status();
}

GOC_MAIN(test_main)
