/* SPDX-License-Identifier: MIT */
/* Mark assists in proportion to allocation (Go's gcAssistAlloc): during a
 * concurrent mark, a goroutine that allocates owes the mark scan work in
 * the ratio of the work left to the heap left before the goal, so that
 * the mark ends as the heap reaches the goal, and a fast allocator slows
 * down all through the mark instead of running into the goal and
 * standing still until the mark ends.
 *
 * Work is counted in bytes scanned (objects, stacks, globals, and written
 * pages read again), as Go counts it; the work expected is what the last
 * concurrent mark scanned, its rounds over written pages included (the
 * part of a mark that marks little: counted in bytes marked, the ratio
 * fell to nothing while they went on and the heap ran into the goal).  A
 * goroutine pays with its own credit from earlier assists, then with
 * credit the worker threads earned beyond what other assists took, then
 * by scanning itself (at least ASSIST_MIN_WORK, so that one assist pays
 * for several allocations); when none of that is possible (the mark's work
 * is in the workers' hands, a long list being followed) it waits until
 * the workers' credit covers its debt or the mark ends.  The goroutine
 * holds its balance, as in Go; it is charged at each span refill of its
 * P's cache (the bytes the refill counted live) and for each large
 * object. */
#include <time.h>

#include "gc/gc.h"
#include "mem/mem.h"
#include "sched/sched.h"

/* Marking less than this per assist costs more in joining the run than
 * it does (Go's gcOverAssistWork). */
#define ASSIST_MIN_WORK ((int64_t)64 << 10)
/* Sleep between looks at the workers' credit. */
#define ASSIST_WAIT_NS 30000
/* The work counted left never falls under this share of the expected:
 * a mark may well do more than the last one. */
#define MIN_REMAINING_SHARE 16
/* Near the goal, a distance this small would ask for all the mark's work
 * at once: the ratio never goes above that of this distance. */
#define MIN_DISTANCE ((uint64_t)1 << 20)

/* The cycle the credits belong to and the scan work its mark should do,
 * set as the mark begins. */
static _Atomic uint32_t assist_cycle;
static _Atomic uint64_t expected_work;
static _Atomic bool settled;   /* see gc_assist_settle */
/* The cycle's figures (gctrace=2). */
static _Atomic uint64_t assisted_bytes;
static _Atomic int64_t waited_ns;

void gc_assist_cycle_begin(uint32_t cycle) {
    astore(&expected_work, gc_mark_cycle_begin(), memory_order_relaxed);
    astore(&settled, false, memory_order_relaxed);
    astore(&assisted_bytes, 0, memory_order_relaxed);
    astore(&waited_ns, 0, memory_order_relaxed);
    astore(&assist_cycle, cycle, memory_order_release);
}

/* Scan work that allocating bytes now owes. */
static int64_t debt_of(uint64_t bytes) {
    uint64_t expected = aload(&expected_work, memory_order_relaxed);
    uint64_t done = gc_mark_cycle_scanned();
    uint64_t remaining = done < expected ? expected - done : 0;
    if (remaining < expected / MIN_REMAINING_SHARE)
        remaining = expected / MIN_REMAINING_SHARE;
    uint64_t goal = gc_heap_goal(), live = aload(&mem_heap_live, memory_order_relaxed);
    uint64_t distance = goal > live + MIN_DISTANCE ? goal - live : MIN_DISTANCE;
    return (int64_t)((unsigned __int128)bytes * remaining / distance);
}

void gc_assist_settle(void) { astore(&settled, true, memory_order_release); }

/* Other goroutines wait for this P: they run while this one sleeps
 * parked (taking turns with goc_yield kept both cores busy polling: binary-
 * trees spent 20% more CPU), or, once the mark settled, while it waits for
 * the mark's end (goroutines waking in turn would each leave a stack to
 * read again: 10,000 of them at 1.9 MB of stacks made a 3 ms pause).  With
 * none, the thread sleeps holding the P: a parked goroutine's M spins
 * looking for work before it sleeps (a 50 us goc_sleep took 130 us and
 * 53 us of CPU), CPU the mark's threads need.  A stop of the world
 * interrupts the sleep (sched/stw.c). */
static void wait_for_credit(void) {
    int64_t t0 = nanotime();
    if (!sched_others_runnable())
        nanosleep(&(struct timespec){.tv_nsec = ASSIST_WAIT_NS}, NULL);
    else if (aload(&settled, memory_order_acquire))
        gc_mark_wait_end();
    else
        goc_sleep(ASSIST_WAIT_NS);
    afetch_add(&waited_ns, nanotime() - t0, memory_order_relaxed);
    sched_safepoint();
}

void gc_assist_charge(uint64_t bytes) {
    goc_g *g = sched_curg();
    /* Threads that are not goroutines have no P to assist on. */
    if (!g || !sched_p() || aload(&gc_phase, memory_order_acquire) != GC_MARK)
        return;
    uint32_t cycle = aload(&assist_cycle, memory_order_acquire);
    if (g->gc_assist_cycle != cycle) {
        g->gc_assist_cycle = cycle;
        g->gc_assist_credit = 0;
    }
    g->gc_assist_credit -= debt_of(bytes);
    while (g->gc_assist_credit < 0 && aload(&gc_phase, memory_order_acquire) == GC_MARK) {
        int64_t owed = -g->gc_assist_credit;
        int64_t paid = gc_mark_take_credit(owed);
        if (paid < owed) {
            int64_t want = owed - paid > ASSIST_MIN_WORK ? owed - paid : ASSIST_MIN_WORK;
            int64_t scanned = gc_mark_assist(want, sched_p()->id);
            afetch_add(&assisted_bytes, (uint64_t)scanned, memory_order_relaxed);
            paid += scanned;
        }
        g->gc_assist_credit += paid;
        if (!paid)
            wait_for_credit();
    }
}

void gc_assist_cycle_figures(uint64_t *scanned, int64_t *waited) {
    *scanned = aload(&assisted_bytes, memory_order_relaxed);
    *waited = aload(&waited_ns, memory_order_relaxed);
}
