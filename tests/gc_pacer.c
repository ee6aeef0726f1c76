/* SPDX-License-Identifier: MIT */
/* The pacer keeps the heap where Go 1.19's would.  A live set of 16 MiB
 * (4 KiB nodes in a list a global holds) and churn of short-lived 4 KiB
 * objects; heap_alloc is sampled every 64 allocations (256 KiB) and its
 * peak compared with the goal.
 *
 *   gc_pacer gogc     (run with GOGC=50, 100, 200) the peak heap_alloc is
 *                     within 10% of live x (1 + GOGC/100), live being
 *                     heap_alloc right after goc_gc; next_gc within 3% of
 *                     that figure
 *   gc_pacer off      (GOGC=off) churning 10x the live set collects
 *                     nothing; goc_gc still collects, once
 *   gc_pacer limit    (GOGC=400, GOMEMLIMIT=40MiB: the natural peak is
 *                     80 MiB) the runtime's memory stays within 5% of the
 *                     limit: what Go's limit bounds, sys - heap_released
 *                     (memory mapped and not given back), except that
 *                     stacks count as stack_inuse, since goc's stack_sys
 *                     is the address space reserved for stacks
 *   gc_pacer setters  goc_set_gc_percent and goc_set_memory_limit return
 *                     the previous settings and move next_gc at once
 *
 * With GC_PACER_VERBOSE=1 the figures are printed, for comparing with the
 * same program in Go (bench/go/pacer). */
#include <stdbool.h>
#include <string.h>

#include "testing.h"

enum { NODE = 4096, LIVE = 16 << 20, RING = 16, SAMPLE_EVERY = 64 };
#define MIB (1024.0 * 1024.0)

typedef struct node {
    struct node *next;
} node;

static node *live_list;
static void *ring[RING];
static bool verbose;

/* Peaks seen while churning. */
typedef struct peaks {
    uint64_t heap_alloc, mapped, next_gc_max;   /* mapped: see "limit" above */
    uint32_t cycles;
} peaks;

static void build_live_set(void)
{
    for (size_t n = 0; n < LIVE / NODE; n++) {
        node *x = goc_alloc(NODE);
        REQUIRE(x, "goc_alloc failed");
        x->next = live_list;
        live_list = x;
    }
}

static void sample(peaks *pk)
{
    static goc_memstats ms;
    goc_read_memstats(&ms);
    if (ms.heap_alloc > pk->heap_alloc)
        pk->heap_alloc = ms.heap_alloc;
    uint64_t mapped = ms.sys - ms.heap_released - ms.stack_sys + ms.stack_inuse;
    if (mapped > pk->mapped)
        pk->mapped = mapped;
    if (ms.next_gc > pk->next_gc_max)
        pk->next_gc_max = ms.next_gc;
    pk->cycles = ms.num_gc;
}

/* Allocates bytes of 4 KiB objects, each alive until RING more follow. */
static void churn(uint64_t bytes, peaks *pk)
{
    uint32_t start;
    sample(pk);
    start = pk->cycles;
    for (uint64_t i = 0; i < bytes / NODE; i++) {
        void *p = goc_alloc(NODE);
        REQUIRE(p, "goc_alloc failed");
        memset(p, (int)i, 64);
        ring[i % RING] = p;
        if (i % SAMPLE_EVERY == 0)
            sample(pk);
    }
    sample(pk);
    pk->cycles -= start;
}

static uint64_t heap_after_gc(void)
{
    goc_memstats ms;
    goc_gc();
    goc_read_memstats(&ms);
    return ms.heap_alloc;
}

static void test_gogc(void)
{
    int gogc = goc_set_gc_percent(100);
    goc_set_gc_percent(gogc);
    REQUIRE(gogc > 0, "run with GOGC set to a percentage");
    build_live_set();
    uint64_t live = heap_after_gc();
    goc_memstats ms;
    goc_read_memstats(&ms);
    double goal = (double)live * (1 + gogc / 100.0);
    if (goal < 4 * MIB * gogc / 100.0)
        goal = 4 * MIB * gogc / 100.0;
    CHECK(ms.next_gc > goal * 0.97 && ms.next_gc < goal * 1.03,
          "next_gc %.2f MiB, goal %.2f MiB (live %.2f MiB)", ms.next_gc / MIB, goal / MIB,
          live / MIB);
    peaks pk = {0};
    churn(10 * (uint64_t)LIVE, &pk);
    if (verbose)
        fprintf(stderr, "GOGC=%d live %.1f MiB goal %.1f MiB next_gc %.1f MiB peak %.1f MiB "
                "(%.3f of goal) cycles %u\n", gogc, live / MIB, goal / MIB, ms.next_gc / MIB,
                pk.heap_alloc / MIB, pk.heap_alloc / goal, pk.cycles);
    CHECK(pk.cycles >= 2, "%u cycles while churning 10x the live set", pk.cycles);
    CHECK(pk.heap_alloc > goal * 0.90 && pk.heap_alloc < goal * 1.10,
          "GOGC=%d: peak heap %.2f MiB, goal %.2f MiB (live %.2f MiB)", gogc,
          pk.heap_alloc / MIB, goal / MIB, live / MIB);
}

static void test_off(void)
{
    REQUIRE(goc_set_gc_percent(-1) < 0, "run with GOGC=off");
    build_live_set();
    goc_memstats ms;
    goc_read_memstats(&ms);
    uint32_t before = ms.num_gc;
    peaks pk = {0};
    churn(10 * (uint64_t)LIVE, &pk);
    CHECK(pk.cycles == 0, "GOGC=off: %u cycles while churning", pk.cycles);
    CHECK(pk.heap_alloc >= 11 * (uint64_t)LIVE - (1 << 20), "GOGC=off: heap %.1f MiB",
          pk.heap_alloc / MIB);
    goc_gc();
    goc_read_memstats(&ms);
    CHECK(ms.num_gc == before + 1, "num_gc %u after goc_gc, was %u", ms.num_gc, before);
    CHECK(ms.heap_alloc < 2 * (uint64_t)LIVE, "heap %.1f MiB after goc_gc", ms.heap_alloc / MIB);
}

static void test_limit(void)
{
    int64_t limit = goc_set_memory_limit(-1);
    REQUIRE(limit < INT64_MAX, "run with GOMEMLIMIT");
    build_live_set();
    uint64_t live = heap_after_gc();
    peaks pk = {0};
    churn(10 * (uint64_t)LIVE, &pk);
    if (verbose)
        fprintf(stderr, "GOMEMLIMIT=%.1f MiB live %.1f MiB peak heap %.1f MiB, "
                "peak sys-released %.1f MiB (%.3f of the limit), cycles %u\n",
                limit / MIB, live / MIB, pk.heap_alloc / MIB, pk.mapped / MIB,
                pk.mapped / (double)limit, pk.cycles);
    if (verbose) {
        goc_memstats ms;
        goc_read_memstats(&ms);
        fprintf(stderr, "at the end: sys %.1f heap_sys %.1f heap_inuse %.1f heap_idle %.1f "
                "heap_released %.1f stack_sys %.1f MiB, next_gc %.1f MiB\n", ms.sys / MIB,
                ms.heap_sys / MIB, ms.heap_inuse / MIB, ms.heap_idle / MIB,
                ms.heap_released / MIB, ms.stack_sys / MIB, ms.next_gc / MIB);
    }
    CHECK(pk.mapped < limit * 1.05, "the runtime's memory reached %.2f MiB, limit %.2f MiB",
          pk.mapped / MIB, limit / MIB);
    /* The limit, not GOGC, paces: the heap uses most of what it leaves. */
    CHECK(pk.heap_alloc > limit * 0.75, "peak heap %.2f MiB under the limit %.2f MiB",
          pk.heap_alloc / MIB, limit / MIB);
}

static void test_setters(void)
{
    build_live_set();
    uint64_t live = heap_after_gc();
    goc_memstats ms;
    CHECK(goc_set_gc_percent(50) == 100, "goc_set_gc_percent did not return GOGC's 100");
    goc_read_memstats(&ms);
    CHECK(ms.next_gc > live * 1.45 && ms.next_gc < live * 1.55,
          "GOGC 50: next_gc %.2f MiB, live %.2f MiB", ms.next_gc / MIB, live / MIB);
    CHECK(goc_set_gc_percent(300) == 50, "goc_set_gc_percent did not return 50");
    goc_read_memstats(&ms);
    CHECK(ms.next_gc > live * 3.9 && ms.next_gc < live * 4.1,
          "GOGC 300: next_gc %.2f MiB, live %.2f MiB", ms.next_gc / MIB, live / MIB);
    CHECK(goc_set_gc_percent(-1) == 300, "goc_set_gc_percent did not return 300");

    int64_t limit = (int64_t)(live * 1.5);
    CHECK(goc_set_memory_limit(limit) == INT64_MAX, "no limit is not INT64_MAX");
    CHECK(goc_set_memory_limit(-1) == limit, "goc_set_memory_limit(-1) is not the limit");
    goc_read_memstats(&ms);
    CHECK(ms.next_gc > live && ms.next_gc <= (uint64_t)limit,
          "limit %.2f MiB: next_gc %.2f MiB, live %.2f MiB", limit / MIB, ms.next_gc / MIB,
          live / MIB);
    CHECK(goc_set_memory_limit(INT64_MAX) == limit, "goc_set_memory_limit did not return %lld",
          (long long)limit);
    CHECK(goc_set_gc_percent(100) == -1, "goc_set_gc_percent did not return -1 (off)");
    goc_read_memstats(&ms);
    CHECK(ms.next_gc > live * 1.95 && ms.next_gc < live * 2.05,
          "GOGC 100 again: next_gc %.2f MiB, live %.2f MiB", ms.next_gc / MIB, live / MIB);
}

static int run(int argc, char **argv)
{
    REQUIRE(argc == 2, "usage: gc_pacer gogc|off|limit|setters");
    const char *v = getenv("GC_PACER_VERBOSE");
    verbose = v && *v == '1';
    if (!strcmp(argv[1], "gogc"))
        test_gogc();
    else if (!strcmp(argv[1], "off"))
        test_off();
    else if (!strcmp(argv[1], "limit"))
        test_limit();
    else if (!strcmp(argv[1], "setters"))
        test_setters();
    else
        REQUIRE(0, "unknown case %s", argv[1]);
    return test_status();
}

GOC_MAIN(run)
