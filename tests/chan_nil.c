/* SPDX-License-Identifier: MIT */
/* The nil channel, as in Go: sends and receives block forever, non-blocking
 * attempts find it never ready, len and cap are 0, and a select case on it
 * is never chosen.
 *
 *   chan_nil        the checks above; exits 0
 *   chan_nil recv   goroutine 1 receives from nil and nothing else runs:
 *                   the deadlock report shows [chan receive (nil chan)]
 *   chan_nil send   the same for a send: [chan send (nil chan)] */
#include <stdatomic.h>
#include <string.h>

#include "testing.h"

static _Atomic int returned;

static void send_to_nil(void *arg)
{
    (void)arg;
    int v = 1;
    goc_chan_send(NULL, &v);
    atomic_store(&returned, 1);
}

static void recv_from_nil(void *arg)
{
    (void)arg;
    int v;
    goc_chan_recv(NULL, &v);
    atomic_store(&returned, 1);
}

static int test_main(int argc, char **argv)
{
    int v = 0;
    if (argc > 1 && strcmp(argv[1], "recv") == 0)
        goc_chan_recv(NULL, &v);
    if (argc > 1 && strcmp(argv[1], "send") == 0)
        goc_chan_send(NULL, &v);

    CHECK(goc_chan_len(NULL) == 0 && goc_chan_cap(NULL) == 0, "nil len %zu cap %zu",
          goc_chan_len(NULL), goc_chan_cap(NULL));
    CHECK(!goc_chan_try_send(NULL, &v), "try_send on nil succeeded");
    CHECK(goc_chan_try_recv(NULL, &v) == GOC_RECV_EMPTY, "try_recv on nil not EMPTY");

    goc_go(send_to_nil, NULL);
    goc_go(recv_from_nil, NULL);
    goc_sleep(100 * GOC_MILLISECOND);
    CHECK(!atomic_load(&returned), "an operation on the nil channel returned");

    goc_case none[2] = {
        { .chan = NULL, .op = GOC_RECV, .elem = &v },
        { .chan = NULL, .op = GOC_SEND, .elem = &v },
    };
    CHECK(goc_select_try(none, 2) == -1, "select_try over nil channels chose a case");

    goc_chan *ready = goc_chan_make(sizeof(int), 1);
    int wrong = 0;
    for (int i = 0; i < 1000; i++) {
        goc_chan_send(ready, &i);
        goc_case cases[3] = {
            { .chan = NULL, .op = GOC_RECV, .elem = &v },
            { .chan = ready, .op = GOC_RECV, .elem = &v },
            { .chan = NULL, .op = GOC_SEND, .elem = &v },
        };
        int chosen = goc_select(cases, 3);
        wrong += chosen != 1 || v != i;
    }
    CHECK(wrong == 0, "select picked a nil-channel case (or lost the value) %d times", wrong);
    return test_status();
}

GOC_MAIN(test_main)
