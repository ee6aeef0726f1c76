/* SPDX-License-Identifier: MIT */
/* goc_read_memstats's collector figures mean what runtime.MemStats's do:
 *   - num_gc and num_forced_gc count exactly the goc_gc calls made (the
 *     program allocates too little for a heap-triggered cycle);
 *   - pause_ns is Go's ring (the latest pause at (num_gc+255)%256), every
 *     recent entry non-zero, and pause_total_ns is their sum while fewer
 *     than 256 cycles ran;
 *   - last_gc is wall-clock (CLOCK_REALTIME) nanoseconds of the last cycle;
 *   - after goc_gc with nothing live, heap_alloc is back near zero, the
 *     garbage is counted in frees, and mallocs - frees == heap_objects;
 *   - next_gc is at least Go's 4 MiB minimum, gc_cpu_fraction is in [0, 1],
 *     total_alloc never decreases. */
#include <string.h>

#include "testing.h"

enum { GARBAGE_OBJECTS = 2048, GARBAGE_SIZE = 1024, FORCED = 5 };

static uint64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Allocates 2 MiB that nothing keeps (under the 4 MiB minimum goal: no
 * heap-triggered cycle), in a frame of its own so that no pointer to it
 * stays in the caller's frame. */
__attribute__((noinline))
static void make_garbage(void)
{
    for (int i = 0; i < GARBAGE_OBJECTS; i++) {
        char *p = goc_alloc(GARBAGE_SIZE);
        REQUIRE(p, "goc_alloc failed");
        p[0] = (char)i;
    }
}

/* Overwrites the stack below the caller, where the garbage's pointers were. */
__attribute__((noinline))
static void clear_stack(void)
{
    volatile char pad[16384];
    memset((char *)pad, 0, sizeof pad);
    /* Or the compiler drops the stores to an array about to die (and the
     * call with them). */
    __asm__ volatile("" : : "r"(pad) : "memory");
}

static void check_invariants(const goc_memstats *m, const char *when)
{
    CHECK(m->mallocs - m->frees == m->heap_objects,
          "%s: mallocs %llu - frees %llu != heap_objects %llu", when,
          (unsigned long long)m->mallocs, (unsigned long long)m->frees,
          (unsigned long long)m->heap_objects);
    CHECK(m->next_gc >= (4u << 20), "%s: next_gc %llu below 4 MiB", when,
          (unsigned long long)m->next_gc);
    CHECK(m->gc_cpu_fraction >= 0 && m->gc_cpu_fraction <= 1, "%s: gc_cpu_fraction %g",
          when, m->gc_cpu_fraction);
    CHECK(m->heap_alloc == m->alloc, "%s: heap_alloc %llu != alloc %llu", when,
          (unsigned long long)m->heap_alloc, (unsigned long long)m->alloc);
}

static int run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    static goc_memstats before, m, prev;
    goc_read_memstats(&before);
    check_invariants(&before, "at start");
    prev = before;

    for (int k = 1; k <= FORCED; k++) {
        make_garbage();
        clear_stack();
        uint64_t t0 = wall_ns();
        goc_gc();
        uint64_t t1 = wall_ns();
        goc_read_memstats(&m);
        check_invariants(&m, "after goc_gc");
        CHECK(m.num_gc == before.num_gc + (uint32_t)k, "num_gc %u after %d goc_gc, started at %u",
              m.num_gc, k, before.num_gc);
        CHECK(m.num_forced_gc == before.num_forced_gc + (uint32_t)k,
              "num_forced_gc %u after %d goc_gc, started at %u", m.num_forced_gc, k,
              before.num_forced_gc);
        CHECK(m.last_gc >= t0 && m.last_gc <= t1, "last_gc %llu not within goc_gc's [%llu, %llu]",
              (unsigned long long)m.last_gc, (unsigned long long)t0, (unsigned long long)t1);
        CHECK(m.total_alloc >= prev.total_alloc + (uint64_t)GARBAGE_OBJECTS * GARBAGE_SIZE,
              "total_alloc %llu, was %llu before 2 MiB more",
              (unsigned long long)m.total_alloc, (unsigned long long)prev.total_alloc);
        CHECK(m.mallocs >= prev.mallocs + GARBAGE_OBJECTS, "mallocs %llu, was %llu",
              (unsigned long long)m.mallocs, (unsigned long long)prev.mallocs);
        /* The garbage of this round is swept by the time goc_gc returns. */
        CHECK(m.frees >= prev.frees + GARBAGE_OBJECTS, "frees %llu, was %llu",
              (unsigned long long)m.frees, (unsigned long long)prev.frees);
        /* What is left: the runtime's own few objects (channels, records). */
        CHECK(m.heap_alloc < 256 * 1024, "heap_alloc %llu after goc_gc with nothing live",
              (unsigned long long)m.heap_alloc);
        CHECK(m.pause_ns[(m.num_gc + 255) % 256] > 0, "latest pause is 0");
        CHECK(m.pause_total_ns > prev.pause_total_ns, "pause_total_ns did not grow");
        prev = m;
    }

    REQUIRE(m.num_gc < 256, "%u cycles: the ring wrapped", m.num_gc);
    uint64_t sum = 0;
    for (uint32_t i = 0; i < 256; i++) {
        if (i < m.num_gc)
            CHECK(m.pause_ns[i] > 0, "pause_ns[%u] of cycle %u is 0", i, i + 1);
        else
            CHECK(m.pause_ns[i] == 0, "pause_ns[%u] %llu with %u cycles", i,
                  (unsigned long long)m.pause_ns[i], m.num_gc);
        sum += m.pause_ns[i];
    }
    CHECK(sum == m.pause_total_ns, "pause_ns sums to %llu, pause_total_ns %llu",
          (unsigned long long)sum, (unsigned long long)m.pause_total_ns);
    /* A cycle stops the world for well under a second on this program. */
    CHECK(m.pause_total_ns < (uint64_t)GOC_SECOND * FORCED, "pause_total_ns %llu",
          (unsigned long long)m.pause_total_ns);
    return test_status();
}

GOC_MAIN(run)
