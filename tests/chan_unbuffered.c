/* SPDX-License-Identifier: MIT */
/* Unbuffered channels rendezvous: a send does not complete until a receiver
 * takes the value, and each side's earlier writes are visible to the other
 * afterwards (Go's memory model: the send happens before the receive
 * completes, and the receive happens before the send completes). */
#include <stdatomic.h>

#include "testing.h"

enum { VALUES = 100000 };

typedef struct {
    goc_chan   *c;
    _Atomic int sent;
} lone_sender;

static void send_once(void *arg)
{
    lone_sender *s = arg;
    int v = 42;
    goc_chan_send(s->c, &v);
    atomic_store(&s->sent, 1);
}

static void send_sequence(void *arg)
{
    for (int i = 0; i < VALUES; i++)
        goc_chan_send(arg, &i);
}

/* Plain (non-atomic) data published through the channel. */
static int message_for_receiver;
static int message_for_sender;

static void publish_then_send(void *arg)
{
    goc_chan *c = arg;
    message_for_receiver = 1234;
    int token = 1;
    goc_chan_send(c, &token);
    CHECK(message_for_sender == 5678, "after send completed, sender sees %d", message_for_sender);
    goc_chan_send(c, &token);
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    lone_sender s = { .c = goc_chan_make(sizeof(int), 0) };
    CHECK(goc_chan_cap(s.c) == 0 && goc_chan_len(s.c) == 0, "unbuffered len %zu cap %zu",
          goc_chan_len(s.c), goc_chan_cap(s.c));
    goc_go(send_once, &s);
    goc_sleep(50 * GOC_MILLISECOND);
    CHECK(!atomic_load(&s.sent), "send completed with no receiver");
    CHECK(goc_chan_len(s.c) == 0, "a blocked sender shows as len %zu", goc_chan_len(s.c));
    int v = 0;
    CHECK(goc_chan_recv(s.c, &v) && v == 42, "received %d, want 42", v);
    for (int i = 0; i < 1000 && !atomic_load(&s.sent); i++)
        goc_sleep(GOC_MILLISECOND);
    CHECK(atomic_load(&s.sent), "sender still blocked after its value was received");

    goc_chan *seq = goc_chan_make(sizeof(int), 0);
    goc_go(send_sequence, seq);
    int bad = 0;
    for (int i = 0; i < VALUES; i++) {
        goc_chan_recv(seq, &v);
        bad += v != i;
    }
    CHECK(bad == 0, "%d of %d values arrived out of order", bad, VALUES);

    goc_chan *sync = goc_chan_make(sizeof(int), 0);
    goc_go(publish_then_send, sync);
    message_for_sender = 5678;
    goc_chan_recv(sync, &v);
    CHECK(message_for_receiver == 1234, "after receive, receiver sees %d", message_for_receiver);
    goc_chan_recv(sync, &v);
    return test_status();
}

GOC_MAIN(test_main)
