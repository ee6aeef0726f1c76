/* SPDX-License-Identifier: MIT */
/* Buffered channels are FIFO queues: sends complete without a receiver
 * until the buffer is full, len and cap report the queue, a full channel
 * blocks the sender until a receive makes room, and with many senders each
 * sender's values still come out in the order it sent them. */
#include <stdatomic.h>

#include "testing.h"

enum { CAP = 100, SENDERS = 8, PER_SENDER = 20000 };

typedef struct {
    goc_chan   *c;
    _Atomic int done;
} blocked_sender;

static void send_into_full(void *arg)
{
    blocked_sender *b = arg;
    int v = CAP;
    goc_chan_send(b->c, &v);
    atomic_store(&b->done, 1);
}

typedef struct {
    goc_chan *c;
    int       id;
} tagged_sender;

static void send_tagged(void *arg)
{
    tagged_sender *t = arg;
    for (int i = 0; i < PER_SENDER; i++) {
        int64_t v = (int64_t)t->id << 32 | i;
        goc_chan_send(t->c, &v);
    }
}

static void check_fifo_and_len(void)
{
    goc_chan *c = goc_chan_make(sizeof(int), CAP);
    CHECK(goc_chan_cap(c) == CAP, "cap %zu, want %d", goc_chan_cap(c), CAP);
    for (int i = 0; i < CAP; i++) {
        CHECK(goc_chan_len(c) == (size_t)i, "len %zu before send %d", goc_chan_len(c), i);
        goc_chan_send(c, &i);
    }
    CHECK(goc_chan_len(c) == CAP, "full channel has len %zu", goc_chan_len(c));

    blocked_sender b = { .c = c };
    goc_go(send_into_full, &b);
    goc_sleep(30 * GOC_MILLISECOND);
    CHECK(!atomic_load(&b.done), "send into a full channel completed");
    CHECK(goc_chan_len(c) == CAP, "len %zu with a blocked sender", goc_chan_len(c));

    int v;
    for (int i = 0; i <= CAP; i++) {
        CHECK(goc_chan_recv(c, &v) && v == i, "receive %d gave %d", i, v);
        if (i == 0) {
            for (int t = 0; t < 1000 && !atomic_load(&b.done); t++)
                goc_sleep(GOC_MILLISECOND);
            CHECK(atomic_load(&b.done), "blocked sender not released by a receive");
        }
    }
    CHECK(goc_chan_len(c) == 0, "drained channel has len %zu", goc_chan_len(c));
    CHECK(goc_chan_cap(c) == CAP, "cap changed to %zu", goc_chan_cap(c));
}

static void check_per_sender_order(size_t cap)
{
    goc_chan *c = goc_chan_make(sizeof(int64_t), cap);
    tagged_sender senders[SENDERS];
    for (int s = 0; s < SENDERS; s++) {
        senders[s] = (tagged_sender){ c, s };
        goc_go(send_tagged, &senders[s]);
    }
    int next[SENDERS] = {0};
    int misordered = 0, foreign = 0;
    for (int n = 0; n < SENDERS * PER_SENDER; n++) {
        int64_t v;
        goc_chan_recv(c, &v);
        int s = (int)(v >> 32), i = (int)(v & 0xffffffff);
        if (s < 0 || s >= SENDERS) {
            foreign++;
            continue;
        }
        misordered += i != next[s];
        next[s] = i + 1;
    }
    CHECK(foreign == 0 && misordered == 0, "cap %zu: %d corrupt and %d misordered values", cap,
          foreign, misordered);
    CHECK(goc_chan_len(c) == 0, "len %zu after receiving everything", goc_chan_len(c));
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    check_fifo_and_len();
    check_per_sender_order(1);
    check_per_sender_order(16);
    check_per_sender_order(1024);
    return test_status();
}

GOC_MAIN(test_main)
