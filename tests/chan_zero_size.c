/* SPDX-License-Identifier: MIT */
/* Channels of zero-size elements (Go's chan struct{}): pure signals.  The
 * element pointer may be NULL on both sides; buffered ones still count
 * len up to cap, and unbuffered ones still rendezvous. */
#include <stdatomic.h>

#include "testing.h"

enum { SIGNALS = 10000 };

static _Atomic int signalled;

static void signal_many(void *arg)
{
    for (int i = 0; i < SIGNALS; i++) {
        atomic_fetch_add(&signalled, 1);
        goc_chan_send(arg, NULL);
    }
    goc_chan_close(arg);
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    goc_chan *b = goc_chan_make(0, 10);
    CHECK(goc_chan_cap(b) == 10 && goc_chan_elem_size(b) == 0, "cap %zu elem size %zu",
          goc_chan_cap(b), goc_chan_elem_size(b));
    char dummy = 'x';
    for (int i = 0; i < 10; i++)
        CHECK(goc_chan_try_send(b, i % 2 ? NULL : &dummy), "try_send %d into zero-size buffer", i);
    CHECK(goc_chan_len(b) == 10, "len %zu, want 10", goc_chan_len(b));
    CHECK(!goc_chan_try_send(b, NULL), "try_send into full zero-size buffer succeeded");
    for (int i = 0; i < 10; i++)
        CHECK(goc_chan_recv(b, i % 2 ? NULL : &dummy), "receive %d from zero-size buffer", i);
    CHECK(dummy == 'x', "a zero-size receive wrote into elem");
    CHECK(goc_chan_try_recv(b, NULL) == GOC_RECV_EMPTY, "drained zero-size buffer not empty");

    goc_chan *u = goc_chan_make(0, 0);
    goc_go(signal_many, u);
    int received = 0, ahead = 0;
    while (goc_chan_recv(u, NULL)) {
        received++;
        /* Rendezvous: the sender cannot get more than one signal ahead. */
        if (atomic_load(&signalled) > received + 1)
            ahead++;
    }
    CHECK(received == SIGNALS, "received %d signals, want %d", received, SIGNALS);
    CHECK(ahead == 0, "unbuffered zero-size sender ran ahead %d times", ahead);
    return test_status();
}

GOC_MAIN(test_main)
