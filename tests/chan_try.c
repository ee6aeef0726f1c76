/* SPDX-License-Identifier: MIT */
/* Non-blocking channel operations (Go's select with a default case):
 * try_send fails on a full buffer or an unbuffered channel with no waiting
 * receiver and succeeds when one waits; try_recv reports EMPTY, OK, or
 * CLOSED (elem zeroed) once a closed channel is drained. */
#include <stdatomic.h>

#include "testing.h"

typedef struct {
    goc_chan   *c;
    int         got;
    _Atomic int done;
} waiting_receiver;

static void receive_one(void *arg)
{
    waiting_receiver *w = arg;
    goc_chan_recv(w->c, &w->got);
    atomic_store(&w->done, 1);
}

static void check_buffered(void)
{
    goc_chan *c = goc_chan_make(sizeof(int), 2);
    int v = 1, got = -1;
    CHECK(goc_chan_try_recv(c, &got) == GOC_RECV_EMPTY, "try_recv on empty buffered channel");
    CHECK(got == -1, "failed try_recv wrote %d into elem", got);
    CHECK(goc_chan_try_send(c, &v), "try_send into empty buffer failed");
    v = 2;
    CHECK(goc_chan_try_send(c, &v), "try_send into half-full buffer failed");
    v = 3;
    CHECK(!goc_chan_try_send(c, &v), "try_send into full buffer succeeded");
    CHECK(goc_chan_len(c) == 2, "len %zu after a refused try_send", goc_chan_len(c));
    CHECK(goc_chan_try_recv(c, &got) == GOC_RECV_OK && got == 1, "try_recv gave %d", got);
    CHECK(goc_chan_try_recv(c, NULL) == GOC_RECV_OK, "try_recv with NULL elem");
    CHECK(goc_chan_try_recv(c, &got) == GOC_RECV_EMPTY, "third try_recv not EMPTY");

    v = 4;
    goc_chan_try_send(c, &v);
    goc_chan_close(c);
    CHECK(goc_chan_try_recv(c, &got) == GOC_RECV_OK && got == 4,
          "closed channel's buffered value: got %d", got);
    got = 77;
    CHECK(goc_chan_try_recv(c, &got) == GOC_RECV_CLOSED, "drained closed channel not CLOSED");
    CHECK(got == 0, "CLOSED left elem = %d, want zeroed", got);
}

static void check_unbuffered(void)
{
    goc_chan *c = goc_chan_make(sizeof(int), 0);
    int v = 5, got = -1;
    CHECK(!goc_chan_try_send(c, &v), "try_send on unbuffered channel with nobody waiting");
    CHECK(goc_chan_try_recv(c, &got) == GOC_RECV_EMPTY, "try_recv with no sender waiting");

    waiting_receiver w = { .c = c };
    goc_go(receive_one, &w);
    bool sent = false;
    for (int i = 0; i < 5000 && !sent; i++) {
        sent = goc_chan_try_send(c, &v);
        if (!sent)
            goc_sleep(GOC_MILLISECOND);
    }
    CHECK(sent, "try_send never met the waiting receiver");
    for (int i = 0; i < 1000 && !atomic_load(&w.done); i++)
        goc_sleep(GOC_MILLISECOND);
    CHECK(atomic_load(&w.done) && w.got == 5, "waiting receiver got %d", w.got);

    goc_chan_close(c);
    got = 9;
    CHECK(goc_chan_try_recv(c, &got) == GOC_RECV_CLOSED && got == 0,
          "try_recv on closed unbuffered channel: elem %d", got);
}

typedef struct {
    goc_chan *c, *done;
} sender_args;

static void send_seven(void *arg)
{
    sender_args *a = arg;
    int v = 7;
    goc_chan_send(a->c, &v);
    goc_chan_send(a->done, NULL);
}

static void check_waiting_sender(void)
{
    sender_args args = { goc_chan_make(sizeof(int), 0), goc_chan_make(0, 1) };
    goc_go(send_seven, &args);
    int got = -1, r = GOC_RECV_EMPTY;
    for (int i = 0; i < 5000 && r == GOC_RECV_EMPTY; i++) {
        r = goc_chan_try_recv(args.c, &got);
        if (r == GOC_RECV_EMPTY)
            goc_sleep(GOC_MILLISECOND);
    }
    CHECK(r == GOC_RECV_OK && got == 7, "try_recv from a waiting sender: %d, %d", r, got);
    goc_chan_recv(args.done, NULL);
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    check_buffered();
    check_unbuffered();
    check_waiting_sender();
    return test_status();
}

GOC_MAIN(test_main)
