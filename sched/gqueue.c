/* SPDX-License-Identifier: MIT */
/* Queues of goroutines shared by all Ps (the global run queue, the pool of
 * dead Gs), kept as chunks of pointers rather than linked through the G
 * records: the Gs in them were mostly last written by another core, and a
 * list moved a batch one cache miss at a time under the queue's lock while
 * the other core waited for it (spawn at GOMAXPROCS=2: a fifth of the time
 * in the global run queue's walk).  A batch now moves as a copy.  The
 * chunks are runtime metadata; one emptied chunk is kept for the next. */
#include <string.h>

#include "sched/internal.h"

enum { GQ_CHUNK = 126 };   /* a chunk of 1 KiB */

struct gq_chunk {
    gq_chunk *next;
    uint32_t  lo, hi;      /* g[lo, hi) are queued */
    goc_g    *g[GQ_CHUNK];
};

static gq_chunk *chunk_new(gqueue *q) {
    gq_chunk *c = q->spare;
    if (c)
        q->spare = NULL;
    else
        c = mem_meta_alloc(sizeof *c);
    c->next = NULL;
    c->lo = c->hi = 0;
    return c;
}

static void chunk_retire(gqueue *q, gq_chunk *c) {
    if (!q->spare)
        q->spare = c;
    else
        mem_meta_free(c, sizeof *c);
}

void gq_push_n(gqueue *q, goc_g *const *gs, uint32_t n) {
    while (n > 0) {
        gq_chunk *t = q->tail;
        if (!t || t->hi == GQ_CHUNK) {
            gq_chunk *c = chunk_new(q);
            if (t)
                t->next = c;
            else
                q->head = c;
            q->tail = t = c;
        }
        uint32_t k = GQ_CHUNK - t->hi < n ? GQ_CHUNK - t->hi : n;
        memcpy(&t->g[t->hi], gs, k * sizeof *gs);
        t->hi += k;
        gs += k;
        n -= k;
    }
}

void gq_push(gqueue *q, goc_g *g) { gq_push_n(q, &g, 1); }

uint32_t gq_pop_n(gqueue *q, goc_g **out, uint32_t max) {
    uint32_t got = 0;
    while (got < max && q->head) {
        gq_chunk *h = q->head;
        uint32_t k = h->hi - h->lo < max - got ? h->hi - h->lo : max - got;
        memcpy(out + got, &h->g[h->lo], k * sizeof *out);
        h->lo += k;
        got += k;
        if (h->lo < h->hi)
            break;
        q->head = h->next;
        if (!q->head)
            q->tail = NULL;
        chunk_retire(q, h);
    }
    return got;
}
