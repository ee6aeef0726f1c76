/* SPDX-License-Identifier: MIT */
/* Closing a channel: every blocked receiver wakes with ok=false and a
 * zeroed element; values buffered before the close are still delivered,
 * in order, before receivers see the close; len and cap stay truthful;
 * a receive with a NULL element is allowed. */
#include <stdatomic.h>
#include <string.h>

#include "testing.h"

enum { RECEIVERS = 50 };

typedef struct {
    long a, b, c;
} triple;

typedef struct {
    goc_chan      *c;
    goc_waitgroup *started, *finished;
    _Atomic int   *woke_closed;
    _Atomic int   *dirty;
} receiver_args;

static void receive_until_closed(void *arg)
{
    receiver_args *r = arg;
    triple t;
    memset(&t, 0xAA, sizeof t);
    goc_waitgroup_done(r->started);
    bool ok = goc_chan_recv(r->c, &t);
    if (!ok)
        atomic_fetch_add(r->woke_closed, 1);
    if (t.a != 0 || t.b != 0 || t.c != 0)
        atomic_fetch_add(r->dirty, 1);
    goc_waitgroup_done(r->finished);
}

static void check_close_wakes_all(size_t cap)
{
    static goc_waitgroup started, finished;
    static _Atomic int woke_closed, dirty;
    atomic_store(&woke_closed, 0);
    atomic_store(&dirty, 0);
    goc_chan *c = goc_chan_make(sizeof(triple), cap);
    receiver_args args = { c, &started, &finished, &woke_closed, &dirty };
    goc_waitgroup_add(&started, RECEIVERS);
    goc_waitgroup_add(&finished, RECEIVERS);
    for (int i = 0; i < RECEIVERS; i++)
        goc_go(receive_until_closed, &args);
    goc_waitgroup_wait(&started);
    goc_sleep(20 * GOC_MILLISECOND);
    goc_chan_close(c);
    goc_waitgroup_wait(&finished);
    CHECK(atomic_load(&woke_closed) == RECEIVERS, "cap %zu: %d of %d receivers saw the close",
          cap, atomic_load(&woke_closed), RECEIVERS);
    CHECK(atomic_load(&dirty) == 0, "cap %zu: %d receivers got a non-zeroed element", cap,
          atomic_load(&dirty));
}

static void check_drain_after_close(void)
{
    goc_chan *c = goc_chan_make(sizeof(int), 3);
    for (int i = 1; i <= 3; i++)
        goc_chan_send(c, &i);
    goc_chan_close(c);
    CHECK(goc_chan_len(c) == 3 && goc_chan_cap(c) == 3, "closed: len %zu cap %zu",
          goc_chan_len(c), goc_chan_cap(c));
    int v;
    for (int i = 1; i <= 3; i++)
        CHECK(goc_chan_recv(c, &v) && v == i, "buffered value %d after close: got %d", i, v);
    for (int i = 0; i < 3; i++) {
        v = -1;
        CHECK(!goc_chan_recv(c, &v) && v == 0, "drained closed channel: ok or elem %d", v);
    }
    CHECK(!goc_chan_recv(c, NULL), "NULL-elem receive on a closed channel reported ok");
    CHECK(goc_chan_len(c) == 0 && goc_chan_cap(c) == 3, "drained: len %zu cap %zu",
          goc_chan_len(c), goc_chan_cap(c));
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    check_close_wakes_all(0);
    check_close_wakes_all(4);
    check_drain_after_close();

    goc_chan *c = goc_chan_make(sizeof(int), 1);
    int v = 3;
    goc_chan_send(c, &v);
    CHECK(goc_chan_recv(c, NULL), "NULL-elem receive of a buffered value failed");
    return test_status();
}

GOC_MAIN(test_main)
