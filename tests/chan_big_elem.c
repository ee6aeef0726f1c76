/* SPDX-License-Identifier: MIT */
/* Large elements (1 KiB and 8 KiB structs) cross channels intact: copied
 * whole, buffered or handed directly from a sender's stack to a receiver's,
 * between goroutines on different threads. */
#include <string.h>

#include "testing.h"

enum { MESSAGES = 3000 };

typedef struct {
    uint32_t seq;
    uint8_t  body[1020];
} kib_msg;

typedef struct {
    uint32_t seq;
    uint32_t words[2047];
} big_msg;

static void fill_kib(kib_msg *m, uint32_t seq)
{
    m->seq = seq;
    for (size_t i = 0; i < sizeof m->body; i++)
        m->body[i] = (uint8_t)(seq * 31 + i);
}

static bool kib_intact(const kib_msg *m)
{
    for (size_t i = 0; i < sizeof m->body; i++)
        if (m->body[i] != (uint8_t)(m->seq * 31 + i))
            return false;
    return true;
}

static void fill_big(big_msg *m, uint32_t seq)
{
    m->seq = seq;
    for (size_t i = 0; i < 2047; i++)
        m->words[i] = seq ^ (uint32_t)(i * 2654435761u);
}

static bool big_intact(const big_msg *m)
{
    for (size_t i = 0; i < 2047; i++)
        if (m->words[i] != (m->seq ^ (uint32_t)(i * 2654435761u)))
            return false;
    return true;
}

static void send_kib(void *arg)
{
    kib_msg m;
    for (uint32_t i = 0; i < MESSAGES; i++) {
        fill_kib(&m, i);
        goc_chan_send(arg, &m);
    }
}

static void send_big(void *arg)
{
    big_msg m;
    for (uint32_t i = 0; i < MESSAGES; i++) {
        fill_big(&m, i);
        goc_chan_send(arg, &m);
    }
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    for (size_t cap = 0; cap <= 8; cap += 8) {
        goc_chan *c = goc_chan_make(sizeof(kib_msg), cap);
        CHECK(goc_chan_elem_size(c) == sizeof(kib_msg), "elem size %zu", goc_chan_elem_size(c));
        goc_go(send_kib, c);
        int bad = 0;
        kib_msg m;
        for (uint32_t i = 0; i < MESSAGES; i++) {
            memset(&m, 0, sizeof m);
            goc_chan_recv(c, &m);
            bad += m.seq != i || !kib_intact(&m);
        }
        CHECK(bad == 0, "cap %zu: %d of %d 1 KiB messages damaged or misordered", cap, bad,
              MESSAGES);

        c = goc_chan_make(sizeof(big_msg), cap);
        goc_go(send_big, c);
        bad = 0;
        static big_msg b;
        for (uint32_t i = 0; i < MESSAGES; i++) {
            memset(&b, 0, sizeof b);
            goc_chan_recv(c, &b);
            bad += b.seq != i || !big_intact(&b);
        }
        CHECK(bad == 0, "cap %zu: %d of %d 8 KiB messages damaged or misordered", cap, bad,
              MESSAGES);
    }
    return test_status();
}

GOC_MAIN(test_main)
