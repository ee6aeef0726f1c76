/* SPDX-License-Identifier: MIT */
/* goc_select and goc_select_try, case by case: select_try returns -1 when
 * nothing is ready and never blocks; a blocked select runs the case that
 * becomes ready (a receive, a send taken by a receiver, or a close, which
 * sets ok=false and zeroes elem); NULL elem on a receive case is allowed;
 * a channel named in several cases delivers each value to only one case;
 * select works from a plain thread too. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "testing.h"

typedef struct {
    goc_chan *c;
    int64_t   delay;
    int       value;
} delayed;

static void send_later(void *arg)
{
    delayed *d = arg;
    goc_sleep(d->delay);
    goc_chan_send(d->c, &d->value);
}

static void recv_later(void *arg)
{
    delayed *d = arg;
    goc_sleep(d->delay);
    goc_chan_recv(d->c, &d->value);
}

static void close_later(void *arg)
{
    delayed *d = arg;
    goc_sleep(d->delay);
    goc_chan_close(d->c);
}

static void check_try_none_ready(void)
{
    goc_chan *empty = goc_chan_make(sizeof(int), 4);
    goc_chan *full = goc_chan_make(sizeof(int), 1);
    goc_chan *unbuf = goc_chan_make(sizeof(int), 0);
    int v = 5, got = -1;
    goc_chan_send(full, &v);
    goc_case cases[4] = {
        { .chan = empty, .op = GOC_RECV, .elem = &got },
        { .chan = full, .op = GOC_SEND, .elem = &v },
        { .chan = unbuf, .op = GOC_SEND, .elem = &v },
        { .chan = unbuf, .op = GOC_RECV, .elem = &got },
    };
    int64_t t0 = test_clock_ns();
    CHECK(goc_select_try(cases, 4) == -1, "select_try chose a case although none was ready");
    CHECK(test_clock_ns() - t0 < 100 * GOC_MILLISECOND, "select_try blocked");
    CHECK(got == -1 && goc_chan_len(full) == 1 && goc_chan_len(empty) == 0,
          "a failed select_try had side effects");
    CHECK(goc_select_try(cases, 0) == -1, "select_try with no cases is not -1");

    goc_chan_send(empty, &v);
    CHECK(goc_select_try(cases, 4) == 0 && got == 5, "select_try missed the ready receive");
}

static void check_blocking_recv(void)
{
    goc_chan *a = goc_chan_make(sizeof(int), 0), *b = goc_chan_make(sizeof(int), 0);
    /* Shared with another goroutine: not on this goroutine's (movable) stack. */
    static delayed d;
    d = (delayed){ b, 20 * GOC_MILLISECOND, 77 };
    int64_t t0 = test_clock_ns();   /* before the sender starts its 20 ms */
    goc_go(send_later, &d);
    int ga = -1, gb = -1;
    goc_case cases[2] = {
        { .chan = a, .op = GOC_RECV, .elem = &ga },
        { .chan = b, .op = GOC_RECV, .elem = &gb },
    };
    int chosen = goc_select(cases, 2);
    CHECK(chosen == 1 && gb == 77 && cases[1].ok, "blocked select: case %d value %d ok %d", chosen,
          gb, cases[1].ok);
    CHECK(ga == -1, "the case not chosen wrote %d", ga);
    CHECK(test_clock_ns() - t0 >= 15 * GOC_MILLISECOND, "select returned before the send");
}

static void check_blocking_send(void)
{
    goc_chan *out = goc_chan_make(sizeof(int), 0), *idle = goc_chan_make(sizeof(int), 0);
    /* Shared with another goroutine: not on this goroutine's (movable) stack. */
    static delayed d;
    d = (delayed){ out, 20 * GOC_MILLISECOND, -1 };
    goc_go(recv_later, &d);
    int v = 31, sink;
    goc_case cases[2] = {
        { .chan = idle, .op = GOC_RECV, .elem = &sink },
        { .chan = out, .op = GOC_SEND, .elem = &v },
    };
    int chosen = goc_select(cases, 2);
    CHECK(chosen == 1, "blocked send case: select returned %d", chosen);
    for (int i = 0; i < 1000 && d.value == -1; i++)
        goc_sleep(GOC_MILLISECOND);
    CHECK(d.value == 31, "receiver of the send case got %d", d.value);
}

static void check_close_wakes_select(void)
{
    goc_chan *a = goc_chan_make(sizeof(long), 0), *b = goc_chan_make(sizeof(long), 2);
    /* Shared with another goroutine: not on this goroutine's (movable) stack. */
    static delayed d;
    d = (delayed){ b, 20 * GOC_MILLISECOND, 0 };
    goc_go(close_later, &d);
    long ga = -1, gb = -1;
    goc_case cases[2] = {
        { .chan = a, .op = GOC_RECV, .elem = &ga },
        { .chan = b, .op = GOC_RECV, .elem = &gb, .ok = true },
    };
    int chosen = goc_select(cases, 2);
    CHECK(chosen == 1 && !cases[1].ok && gb == 0, "close during select: case %d ok %d elem %ld",
          chosen, cases[1].ok, gb);

    /* A closed channel stays ready: select_try and select pick it at once. */
    cases[1].ok = true;
    CHECK(goc_select_try(cases, 2) == 1 && !cases[1].ok, "select_try on a closed channel");
    goc_case null_elem = { .chan = b, .op = GOC_RECV, .elem = NULL, .ok = true };
    CHECK(goc_select(&null_elem, 1) == 0 && !null_elem.ok, "NULL-elem case on a closed channel");
}

static void check_ok_on_value(void)
{
    goc_chan *c = goc_chan_make(sizeof(int), 1);
    int v = 4, got = 0;
    goc_chan_send(c, &v);
    goc_case rc = { .chan = c, .op = GOC_RECV, .elem = &got, .ok = false };
    CHECK(goc_select(&rc, 1) == 0 && rc.ok && got == 4, "received value: ok %d got %d", rc.ok, got);
    goc_chan_send(c, &v);
    goc_case null_elem = { .chan = c, .op = GOC_RECV, .elem = NULL };
    CHECK(goc_select(&null_elem, 1) == 0 && null_elem.ok, "NULL-elem receive case");
}

static void check_same_channel_twice(void)
{
    goc_chan *c = goc_chan_make(sizeof(int), 0);
    int received = 0;
    for (int round = 0; round < 200; round++) {
        /* Shared with another goroutine: not on this goroutine's (movable) stack. */
        static delayed d;
        d = (delayed){ c, 0, round };
        goc_go(send_later, &d);
        int g0 = -1, g1 = -1;
        goc_case cases[2] = {
            { .chan = c, .op = GOC_RECV, .elem = &g0 },
            { .chan = c, .op = GOC_RECV, .elem = &g1 },
        };
        int chosen = goc_select(cases, 2);
        int got = chosen == 0 ? g0 : g1;
        int other = chosen == 0 ? g1 : g0;
        CHECK(got == round && other == -1, "round %d: case %d got %d, other case %d", round,
              chosen, got, other);
        received++;
    }
    int v;
    CHECK(goc_chan_try_recv(c, &v) == GOC_RECV_EMPTY, "a value was delivered twice");

    /* Send and receive cases on one buffered channel: both are ready when
     * it is half full, and over many rounds both get chosen. */
    goc_chan *b = goc_chan_make(sizeof(int), 2);
    int one = 1, sink, chosen_send = 0, chosen_recv = 0;
    goc_chan_send(b, &one);
    for (int i = 0; i < 400; i++) {
        goc_case cases[2] = {
            { .chan = b, .op = GOC_SEND, .elem = &one },
            { .chan = b, .op = GOC_RECV, .elem = &sink },
        };
        if (goc_select(cases, 2) == 0) {
            chosen_send++;
            goc_chan_recv(b, &sink);
        } else {
            chosen_recv++;
            goc_chan_send(b, &one);
        }
    }
    CHECK(chosen_send > 100 && chosen_recv > 100, "send chosen %d, recv chosen %d of 400",
          chosen_send, chosen_recv);
}

static void *select_on_plain_thread(void *arg)
{
    goc_chan *c = arg;
    int got = -1;
    goc_case cases[2] = {
        { .chan = goc_chan_make(sizeof(int), 0), .op = GOC_RECV, .elem = &got },
        { .chan = c, .op = GOC_RECV, .elem = &got },
    };
    CHECK(goc_select(cases, 2) == 1 && got == 55, "plain thread select: got %d", got);
    return NULL;
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    check_try_none_ready();
    check_blocking_recv();
    check_blocking_send();
    check_close_wakes_select();
    check_ok_on_value();
    check_same_channel_twice();

    goc_chan *c = goc_chan_make(sizeof(int), 0);
    pthread_t t;
    pthread_create(&t, NULL, select_on_plain_thread, c);
    goc_sleep(20 * GOC_MILLISECOND);
    int v = 55;
    goc_chan_send(c, &v);
    pthread_join(t, NULL);
    return test_status();
}

GOC_MAIN(test_main)
