/* SPDX-License-Identifier: MIT */
/* Which stacks may shrink or be packed, found by the collector's mark.
 *
 * A parked goroutine's stack may move to a smaller slot, or into a packed
 * block (stack/pack.c), only when nothing outside it points into it: C
 * pointers into a stack are not found by any stack map.  Before the roots
 * are queued, the candidates are listed (gc_stack_candidates_begin); the
 * mark then reports every word it scans that falls among them
 * (gc_stack_word), so the heap, globals, goc_add_roots ranges, other
 * stacks and the runtime's records all pin what they point into, at the
 * cost of one comparison per word.  Threads held for the stop (goroutines
 * that were running or in blocking sections, foreign threads) have their
 * registers and signal frames scanned the same way, so C code they run on
 * afterwards holds no address into a stack that moved.  Memory nobody can see (malloc'd blocks not
 * registered as roots) is not covered, exactly as it is not for the
 * collector; a stale pointer from there into a moved stack faults with an
 * explanation, as after growth. */
#include "base/sort.h"
#include "gc/gc.h"
#include "mem/mem.h"
#include "sched/env.h"
#include "sched/sched.h"
#include "stack/move.h"

/* Channels a moving goroutine may wait on at once (select cases). */
#define MAX_LOCKED_WAITS 64

typedef struct candidate {
    uintptr_t lo, hi;   /* the stack's usable range */
    goc_g    *g;        /* NULL: a quarantined range a stack moved away from */
    size_t    target;   /* 0: pack it (stack/pack.c) */
    bool      pinned;
} candidate;

typedef struct shrink_scan {
    /* Sorted by lo.  Sized for every goroutine at once: listing a million
     * parked goroutines doubled and copied it inside the first pause. */
    candidate *c;
    size_t     n, cap;
    goc_g     *self;
    uint64_t   used, nstacks;   /* for the adaptive start size */
    /* Slots packed stacks left, given back once the world runs again. */
    goc_stack *released;
    size_t     nreleased;
} shrink_scan;

static int by_lo(const void *a, const void *b) {
    uintptr_t x = ((const candidate *)a)->lo, y = ((const candidate *)b)->lo;
    return (x > y) - (x < y);
}

static void add_candidate(shrink_scan *sc, candidate c);

static void collect(goc_g *g, void *arg) {
    shrink_scan *sc = arg;
    if (g == sc->self || !sched_g_suspended(g))
        return;
    sc->used += g->stack.hi - (uintptr_t)g->ctx.sp;
    sc->nstacks++;
    /* Packing (target 0) leaves less than any slot would. */
    bool pack = stack_packable(g);
    size_t target = pack ? 0 : stack_shrink_target(g);
    if ((!pack && !target) || g->stack_pins)
        return;
    add_candidate(sc, (candidate){.lo = g->stack.lo, .hi = g->stack.hi, .g = g, .target = target});
}

static void add_quarantined(uintptr_t lo, uintptr_t hi, void *arg) {
    add_candidate(arg, (candidate){.lo = lo, .hi = hi});
}

static void add_candidate(shrink_scan *sc, candidate c) {
    if (sc->n == sc->cap)
        sc->c = mem_meta_grow(sc->c, &sc->cap, sc->n, sizeof *sc->c, 64);
    sc->c[sc->n++] = c;
}

/* The word v was found in memory belonging to owner (NULL: to nobody's
 * stack); a candidate it points into is pinned, unless that is owner's own
 * stack, whose words move with it. */
static void found(shrink_scan *sc, uintptr_t v, const void *owner) {
    size_t lo = 0, hi = sc->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v < sc->c[mid].lo)
            hi = mid;
        else if (v >= sc->c[mid].hi)
            lo = mid + 1;
        else {
            /* Two workers may pin the same stack: same value either way.
             * A quarantined range is pinned by any word. */
            if (!sc->c[mid].g || sc->c[mid].g != owner)
                astore(&sc->c[mid].pinned, true, memory_order_relaxed);
            return;
        }
    }
}

static shrink_scan scan;
uintptr_t gc_stack_min_inv, gc_stack_span;

void gc_stack_candidates_begin(void) {
    size_t cap = (size_t)aload(&sched.nallg, memory_order_relaxed) + 64;
    scan = (shrink_scan){.c = mem_meta_alloc(cap * sizeof *scan.c), .cap = cap, .self = sched_curg()};
    gc_stack_min_inv = ~(uintptr_t)0;
    gc_stack_span = 0;
    sched_for_each_g(collect, &scan);
    if (godebug_value("adaptivestackstart", 1) != 0)
        stack_adapt_start_size(scan.used, scan.nstacks);
    stack_quarantine_for_each(add_quarantined, &scan);
    if (!scan.n)
        return;
    sort_mostly_sorted(scan.c, scan.n, sizeof *scan.c, by_lo);
    gc_stack_min_inv = ~scan.c[0].lo;
    gc_stack_span = scan.c[scan.n - 1].hi - scan.c[0].lo;
}

void gc_stack_word(uintptr_t v, const void *owner) { found(&scan, v, owner); }

void gc_shrink_keep_moved(uint32_t cycle) {
    shrink_scan *sc = &scan;
    for (size_t i = 0; i < sc->n; i++) {
        goc_g *g = sc->c[i].g;
        if (g && (!sched_g_scanned_in(g, cycle) || !sched_g_suspended(g) || g->stack_pins ||
                  g->stack.lo != sc->c[i].lo || g->stack.hi != sc->c[i].hi))
            sc->c[i].pinned = true;
    }
}

void gc_shrink_stacks(void) {
    shrink_scan *sc = &scan;
    if (!gc_stack_span)
        return;
    gc_stack_span = 0;
    sc->released = mem_meta_alloc(sc->n * sizeof *sc->released);
    for (size_t i = 0; i < sc->n; i++) {
        if (sc->c[i].pinned)
            continue;
        if (!sc->c[i].g) {
            stack_quarantine_release_range(sc->c[i].lo);
            continue;
        }
        goc_chan *locked[MAX_LOCKED_WAITS];
        int nlocked = chan_lock_waits(sc->c[i].g, locked, MAX_LOCKED_WAITS);
        if (nlocked < 0)
            continue;   /* a select over that many channels stays put */
        if (sc->c[i].target)
            stack_shrink(sc->c[i].g, sc->c[i].target);
        else if (stack_pack(sc->c[i].g, &sc->released[sc->nreleased]))
            sc->nreleased++;
        chan_unlock_waits(locked, nlocked);
    }
}

/* Giving a slot's pages back costs microseconds each (a million of them
 * took seconds of the pause); nothing refers to the slots any more, so
 * the world need not wait for it. */
void gc_shrink_release(void) {
    shrink_scan *sc = &scan;
    if (sc->released) {
        stack_free_many(sc->released, sc->nreleased);
        mem_meta_free(sc->released, sc->n * sizeof *sc->released);
        sc->released = NULL;
        sc->nreleased = 0;
    }
    if (sc->c)
        mem_meta_free(sc->c, sc->cap * sizeof *sc->c);
    sc->c = NULL;
}
