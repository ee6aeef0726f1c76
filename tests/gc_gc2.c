/* SPDX-License-Identifier: MIT */
/* Go's test/gc2.go ("Test that buffered channels are garbage collected
 * properly"), ported: 10,000 buffered channels made and dropped, with
 * collections every 100; afterwards the heap holds at most N/5 more
 * objects than before (memstats heap_objects), so memory does not grow
 * over allocation and collection rounds. */
#include "testing.h"

enum { N = 10000 };

/* noinline: the channel dies with this frame, as in Go's loop body. */
static __attribute__((noinline)) void make_chan(void) {
    goc_chan *c = goc_chan_make(sizeof(int), 10);
    goc_keep_alive(c);
}

static int test_main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    goc_memstats st, memstats;
    goc_read_memstats(&st);
    for (int i = 0; i < N; i++) {
        make_chan();
        if (i % 100 == 0) {
            for (int j = 0; j < 4; j++) {
                goc_gc();
                goc_yield();
                goc_gc();
                goc_yield();
            }
        }
    }
    goc_read_memstats(&memstats);
    int64_t obj = (int64_t)(memstats.heap_objects - st.heap_objects);
    fprintf(stderr, "gc_gc2: %lld objects left of %d channels (heap_objects %llu -> %llu)\n",
            (long long)obj, N, (unsigned long long)st.heap_objects,
            (unsigned long long)memstats.heap_objects);
    CHECK(obj <= N / 5, "too many objects left: %lld", (long long)obj);
    return test_status();
}

GOC_MAIN(test_main)
