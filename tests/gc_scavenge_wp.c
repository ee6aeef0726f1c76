/* SPDX-License-Identifier: MIT */
/* The scavenger and the dirty-page tracker together.  Pages the scavenger
 * returns to the OS (MADV_DONTNEED) while the heap is write-protected for
 * a concurrent mark must come back tracked: the allocator hands them out
 * again as black objects, and a pointer stored there to an object nobody
 * else holds must be found by the mark.
 *
 * A low GOMEMLIMIT keeps the scavenger returning pages all the time, and
 * large short-lived blocks keep freeing whole page runs.  Meanwhile movers
 * take nodes out of a shared table and put them into freshly allocated
 * holders (black during a mark, often on pages just returned to the OS),
 * clearing the table's slot, so the fresh holder is the node's only
 * reference; later they check the node and put it back.  Collections run
 * back to back.  A lost write shows as a freed node (checksum,
 * goc_alloc_size) or, with GODEBUG=gccheckmark=1, as the verifying mark's
 * report.
 *
 *   gc_scavenge_wp [seconds]   default 2 (1 with GOC_TEST_QUICK=1) */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "testing.h"

enum { NTABLE = 4096, NMOVERS = 4, HOLDER_BYTES = 24 << 10, BLOCK_BYTES = 512 << 10 };

/* A holder spans several pages; the node's address sits at its far end,
 * on a page of its own. */
typedef struct holder {
    char       pad[HOLDER_BYTES - sizeof(test_node *)];
    test_node *kept;
} holder;

static _Atomic(test_node *) table[NTABLE];
static _Atomic uint64_t moved;
static goc_waitgroup done;
static test_gc_loop gc_loop = {.done = &done};

static bool finished(void) { return test_gc_loop_finished(&gc_loop); }

static void mover(void *arg) {
    uint64_t r = (uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
    while (!finished()) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        size_t i = r % NTABLE;
        test_node *n = atomic_exchange(&table[i], NULL);
        if (!n)
            continue;
        holder *h = goc_alloc(sizeof *h);
        REQUIRE(h, "goc_alloc failed");
        h->kept = n;
        n = NULL;
        __asm__ volatile("" : : "r"(n) : "memory");
        /* Large blocks come and go, so whole page runs are freed and
         * scavenged while the holder is the node's only reference. */
        char *block = goc_alloc_atomic(BLOCK_BYTES);
        REQUIRE(block, "goc_alloc_atomic failed");
        memset(block, 1, 4096);
        goc_yield();
        test_node_check(h->kept);
        atomic_store(&table[i], h->kept);
        atomic_fetch_add(&moved, 1);
    }
    goc_waitgroup_done(&done);
}

static int test_main(int argc, char **argv) {
    test_node_table_run(table, NTABLE, &gc_loop, mover, NMOVERS, argc > 1 ? atof(argv[1]) : 0);
    goc_memstats ms;
    goc_read_memstats(&ms);
    fprintf(stderr, "gc_scavenge_wp: %llu moves, %llu collections, %.1f MiB released\n",
            (unsigned long long)atomic_load(&moved), (unsigned long long)atomic_load(&gc_loop.cycles),
            ms.heap_released / 1048576.0);
    return test_status();
}

GOC_MAIN(test_main)
