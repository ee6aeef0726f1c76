/* SPDX-License-Identifier: MIT */
/* Stacks that may not grow any further, and pointers into moved stacks.
 * Each mode ends the program on purpose; tests/cases checks the report.
 *
 *   stack_overflow live    100,000 parked goroutines; one recurses past
 *                          goc_set_max_stack(1 MiB): "fatal error: stack
 *                          overflow" naming it and the limit, exit 2
 *   stack_overflow fixed   a GOC_STACK_FIXED goroutine recurses past its
 *                          fixed stack: the same report, its size as limit
 *   stack_overflow stale   a goroutine keeps a pointer into another's stack
 *                          across a move and writes through it: a fault
 *                          that explains it, exit 2, nothing corrupted
 *   stack_overflow limit   goc_set_max_stack returns the previous limit, and
 *                          a goroutine may grow below it: exit 0 */
#include <string.h>

#include "base/sanitizers.h"
#include "testing.h"

/* TSan counts every goroutine as a thread, and stops at 8,128. */
#ifdef GOC_TSAN
enum { PARKED = 6000 };
#else
enum { PARKED = 100000 };
#endif
enum {
    SMALL_LIMIT = 1 << 20,
    GROW_LIMIT = 8 << 20,
    DEFAULT_LIMIT = 1 << 30,
};

__attribute__((noinline))
static uint64_t recurse(uint64_t depth, uint64_t limit)
{
    volatile uint64_t frame[16];
    frame[depth % 16] = depth;
    if (depth == limit)
        return frame[depth % 16];
    uint64_t r = recurse(depth + 1, limit);
    return r + frame[depth % 16];
}

static void forever(void *arg)
{
    (void)arg;
    recurse(0, UINT64_MAX);
}

static void park(void *arg)
{
    goc_chan_recv(arg, NULL);
}

static void live(void)
{
    goc_chan *never = goc_chan_make(0, 0);
    for (int i = 0; i < PARKED; i++)
        goc_go(park, never);
    goc_sleep(50 * GOC_MILLISECOND);
    CHECK(goc_num_goroutine() == PARKED + 1, "%d goroutines alive", goc_num_goroutine());
    goc_set_max_stack(SMALL_LIMIT);
    goc_go_with(forever, NULL, &(goc_go_opts){.name = "deep-diver"});
    goc_chan_recv(never, NULL);
}

static void fixed(void)
{
    goc_go_with(forever, NULL, &(goc_go_opts){.name = "fixed-one", .flags = GOC_STACK_FIXED});
    goc_sleep(10 * GOC_SECOND);
}

/* The stale case: the keeper publishes the address of its local, then
 * recurses deep enough to move its stack and waits; the other goroutine
 * writes through the published address. */
static uint64_t *volatile published;

static void keeper(void *arg)
{
    uint64_t local = 42;
    published = &local;
    recurse(0, 20000);   /* a few hundred KiB: several moves */
    goc_chan_send(arg, NULL);
    goc_chan_recv(arg, NULL);
    CHECK(local == 42, "the keeper's local changed to %llu", (unsigned long long)local);
}

static void stale(void)
{
    goc_chan *sync = goc_chan_make(0, 0);
    goc_go(keeper, sync);
    goc_chan_recv(sync, NULL);
    *published = 7;   /* faults: the range is quarantined */
    goc_chan_send(sync, NULL);
}

static void grow_to_limit(void *arg)
{
    /* 4,500 frames of 160 bytes (more under ASan): several moves, below
     * the limit. */
    recurse(0, 4500);
    goc_chan_send(arg, NULL);
}

static void limit(void)
{
    size_t previous = goc_set_max_stack(GROW_LIMIT);
    CHECK(previous == DEFAULT_LIMIT, "default limit %zu, want %d", previous, DEFAULT_LIMIT);
    previous = goc_set_max_stack(GROW_LIMIT);
    CHECK(previous == GROW_LIMIT, "limit read back as %zu, want %d", previous, GROW_LIMIT);
    goc_chan *done = goc_chan_make(0, 0);
    goc_go(grow_to_limit, done);
    goc_chan_recv(done, NULL);
}

static int test_main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "limit";
    if (strcmp(mode, "live") == 0)
        live();
    else if (strcmp(mode, "fixed") == 0)
        fixed();
    else if (strcmp(mode, "stale") == 0)
        stale();
    else
        limit();
    return test_status();
}

GOC_MAIN(test_main)
