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

typedef struct node {
    uint64_t id, sum;
} node;

/* A holder spans several pages; the node's address sits at its far end,
 * on a page of its own. */
typedef struct holder {
    char  pad[HOLDER_BYTES - sizeof(node *)];
    node *kept;
} holder;

static _Atomic(node *) table[NTABLE];
static _Atomic uint64_t moved;
static goc_waitgroup done;
static test_gc_loop gc_loop = {.done = &done};

static bool finished(void) { return test_gc_loop_finished(&gc_loop); }

static uint64_t mix(uint64_t x) { return (x ^ (x >> 29)) * 0xbf58476d1ce4e5b9ull; }

static void check_node(const node *n) {
    REQUIRE(goc_alloc_size(n) >= sizeof *n, "node %p was freed", (const void *)n);
    REQUIRE(n->sum == mix(n->id), "node %p: id %llu, checksum %#llx", (const void *)n,
            (unsigned long long)n->id, (unsigned long long)n->sum);
}

static void mover(void *arg) {
    uint64_t r = (uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
    while (!finished()) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        size_t i = r % NTABLE;
        node *n = atomic_exchange(&table[i], NULL);
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
        check_node(h->kept);
        atomic_store(&table[i], h->kept);
        atomic_fetch_add(&moved, 1);
    }
    goc_waitgroup_done(&done);
}

static int test_main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : getenv("GOC_TEST_QUICK") ? 1 : 2;
    gc_loop.end_ns = test_clock_ns() + (int64_t)(seconds * 1e9);
    for (size_t i = 0; i < NTABLE; i++) {
        node *n = goc_alloc(sizeof *n);
        REQUIRE(n, "goc_alloc failed");
        n->id = i + 1;
        n->sum = mix(n->id);
        atomic_store(&table[i], n);
    }
    goc_waitgroup_add(&done, NMOVERS + 1);
    for (uintptr_t m = 0; m < NMOVERS; m++)
        goc_go(mover, (void *)(m + 1));
    goc_go(test_gc_loop_run, &gc_loop);
    goc_waitgroup_wait(&done);
    for (size_t i = 0; i < NTABLE; i++) {
        node *n = atomic_load(&table[i]);
        REQUIRE(n, "slot %zu empty at the end", i);
        check_node(n);
    }
    goc_memstats ms;
    goc_read_memstats(&ms);
    fprintf(stderr, "gc_scavenge_wp: %llu moves, %llu collections, %.1f MiB released\n",
            (unsigned long long)atomic_load(&moved), (unsigned long long)atomic_load(&gc_loop.cycles),
            ms.heap_released / 1048576.0);
    return test_status();
}

GOC_MAIN(test_main)
