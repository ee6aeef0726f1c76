/* SPDX-License-Identifier: MIT */
/* Goroutines that hold a node only on their stack, park, wake and park
 * again, many times within each mark, while collections run back to back.
 *
 * Mark termination reads again only the goroutines listed as changed since
 * the concurrent mark read their stacks, and each concurrent round drops
 * from that list the ones it read again since (sched_changed_prune).  A
 * goroutine dropped that way and woken afterwards must be listed anew: here
 * it then takes a node out of the shared table (its only other reference)
 * and parks with it on its stack.  Missed, the node is freed while held,
 * which shows as a bad checksum, a goc_alloc_size of 0, or with
 * GODEBUG=gccheckmark=1 as the verifying mark's report.
 *
 *   gc_stack_relist [seconds]   default 2 (1 with GOC_TEST_QUICK=1) */
#include <stdatomic.h>
#include <stdint.h>

#include "testing.h"

enum { NHOLDERS = 2000, NTABLE = 4096 };

static _Atomic(test_node *) table[NTABLE];
static _Atomic uint64_t held;
static goc_waitgroup done;
static test_gc_loop gc_loop = {.done = &done};

static void holder(void *arg) {
    uint64_t r = (uintptr_t)arg * 0x9e3779b97f4a7c15ull + 7;
    while (!test_gc_loop_finished(&gc_loop)) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        size_t i = r % NTABLE;
        test_node *volatile n = atomic_exchange(&table[i], NULL);
        if (!n) {
            goc_yield();
            continue;
        }
        /* Parked with the node on this stack alone, once or twice: each
         * wake lists this goroutine again. */
        goc_sleep((int64_t)(r >> 40) % 200000);
        if (r & 1)
            goc_sleep((int64_t)(r >> 44) % 100000);
        test_node_check(n);
        atomic_fetch_add(&held, 1);
        atomic_store(&table[i], n);
    }
    goc_waitgroup_done(&done);
}

static int test_main(int argc, char **argv) {
    test_node_table_run(table, NTABLE, &gc_loop, holder, NHOLDERS, argc > 1 ? atof(argv[1]) : 0);
    fprintf(stderr, "gc_stack_relist: %llu nodes held on parked stacks, %llu collections\n",
            (unsigned long long)atomic_load(&held),
            (unsigned long long)atomic_load(&gc_loop.cycles));
    return test_status();
}

GOC_MAIN(test_main)
