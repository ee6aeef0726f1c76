/* SPDX-License-Identifier: MIT */
/* The chunked goroutine queue under the global run queue and the dead-G
 * pool (sched/gqueue.c): first in, first out across chunk boundaries, for
 * single pushes and batches of every length up to a few chunks, popped in
 * batches of every length, against a plain array as the model; a pop of an
 * empty queue or past its end takes what there is.  The queue holds
 * pointers only and never reads a G, so stand-in addresses do. */
#include "sched/internal.h"
#include "testing.h"

enum { MODEL = 1 << 16, MAX_BATCH = 400 };

static goc_g *fake(uint32_t i) { return (goc_g *)(uintptr_t)(((uintptr_t)i + 1) << 4); }

static goc_g *model[MODEL];
static uint32_t model_head, model_tail;

static void push(gqueue *q, uint32_t n, uint32_t *next) {
    goc_g *batch[MAX_BATCH];
    for (uint32_t i = 0; i < n; i++) {
        batch[i] = fake((*next)++);
        model[model_tail++ % MODEL] = batch[i];
    }
    if (n == 1)
        gq_push(q, batch[0]);
    else
        gq_push_n(q, batch, n);
}

static void pop(gqueue *q, uint32_t max) {
    goc_g *out[MAX_BATCH];
    uint32_t want = model_tail - model_head < max ? model_tail - model_head : max;
    uint32_t got = gq_pop_n(q, out, max);
    CHECK(got == want, "popped %u of %u queued (asked %u)", got, model_tail - model_head, max);
    for (uint32_t i = 0; i < got && i < want; i++) {
        goc_g *expect = model[model_head++ % MODEL];
        CHECK(out[i] == expect, "pop %u: got %p, want %p", i, (void *)out[i], (void *)expect);
    }
}

static int main_fn(int argc, char **argv) {
    (void)argc;
    (void)argv;
    gqueue q = {0};
    uint32_t next = 0;
    goc_g *out[4];
    CHECK(gq_pop_n(&q, out, 4) == 0, "an empty queue gave something");

    /* Every batch length against every pop length, the queue drained each
     * time, so both meet every chunk boundary. */
    for (uint32_t n = 1; n <= MAX_BATCH; n += 7) {
        for (uint32_t m = 1; m <= MAX_BATCH; m += 13) {
            push(&q, n, &next);
            push(&q, 1, &next);
            while (model_tail != model_head)
                pop(&q, m);
        }
    }
    CHECK(gq_pop_n(&q, out, 4) == 0, "a drained queue gave something");

    /* A long queue built and emptied in random steps. */
    uint32_t seed = 12345;
    for (int step = 0; step < 200000; step++) {
        seed = seed * 1103515245 + 12345;
        uint32_t r = seed >> 16;
        if (r % 3 != 0 && model_tail - model_head < MODEL - MAX_BATCH)
            push(&q, 1 + r % MAX_BATCH, &next);
        else
            pop(&q, 1 + (r >> 3) % MAX_BATCH);
    }
    while (model_tail != model_head)
        pop(&q, MAX_BATCH);
    CHECK(gq_pop_n(&q, out, 4) == 0, "the queue kept Gs after the model emptied");
    return test_status();
}

GOC_MAIN(main_fn)
