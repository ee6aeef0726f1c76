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
#include <stdlib.h>

#include "base/critical.h"

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
    bool      pinned;
} candidate;

typedef struct shrink_scan {
    candidate *c;       /* sorted by lo */
    size_t     n, cap;
    goc_g     *self;
    uint64_t   used, nstacks;   /* for the adaptive start size */
    /* Slots packed stacks left, given back by gc_shrink_release. */
    goc_stack *released;
    size_t     nreleased;
} shrink_scan;

static int by_lo(const void *a, const void *b) {
    uintptr_t x = ((const candidate *)a)->lo, y = ((const candidate *)b)->lo;
    return (x > y) - (x < y);
}

static void add_candidate(shrink_scan *sc, candidate c);

/* The size g's stack would move to: 0 to pack it (that leaves less than
 * any slot would), SIZE_MAX to leave it. */
static size_t move_target(goc_g *g) {
    if (g->stack_pins)
        return SIZE_MAX;
    if (stack_packable(g))
        return 0;
    size_t target = stack_shrink_target(g);
    return target ? target : SIZE_MAX;
}

/* The world may run: g is claimed, so its stack and context hold still
 * while they are read. */
static void collect(goc_g *g, void *arg) {
    shrink_scan *sc = arg;
    if (g == sc->self || !sched_g_scan_claim(g))
        return;
    sc->used += g->stack.hi - (uintptr_t)g->ctx.sp;
    sc->nstacks++;
    if (move_target(g) != SIZE_MAX)
        add_candidate(sc, (candidate){.lo = g->stack.lo, .hi = g->stack.hi, .g = g});
    sched_g_scan_release(g, 0);
}

static void add_quarantined(uintptr_t lo, uintptr_t hi, void *arg) {
    add_candidate(arg, (candidate){.lo = lo, .hi = hi});
}

static void add_candidate(shrink_scan *sc, candidate c) {
    if (sc->n == sc->cap)
        sc->c = mem_meta_grow(sc->c, &sc->cap, sc->n, sizeof *sc->c, 64);
    sc->c[sc->n++] = c;
}

/* The candidate whose range holds v, or NULL. */
static candidate *candidate_at(shrink_scan *sc, uintptr_t v) {
    size_t lo = 0, hi = sc->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v < sc->c[mid].lo)
            hi = mid;
        else if (v >= sc->c[mid].hi)
            lo = mid + 1;
        else
            return &sc->c[mid];
    }
    return NULL;
}

/* The word v was found in memory belonging to owner (NULL: to nobody's
 * stack); a candidate it points into is pinned, unless that is owner's own
 * stack, whose words move with it. */
static void found(shrink_scan *sc, uintptr_t v, const void *owner) {
    candidate *c = candidate_at(sc, v);
    /* Two workers may pin the same stack: same value either way.  A
     * quarantined range is pinned by any word. */
    if (c && (!c->g || c->g != owner))
        astore(&c->pinned, true, memory_order_relaxed);
}

static shrink_scan scan;
uintptr_t gc_stack_min_inv, gc_stack_span;

void gc_stack_candidates_begin(void) {
    scan = (shrink_scan){.self = sched_curg()};
    gc_stack_min_inv = ~(uintptr_t)0;
    gc_stack_span = 0;
    sched_for_each_g(collect, &scan);
    if (godebug_value("adaptivestackstart", 1) != 0)
        stack_adapt_start_size(scan.used, scan.nstacks);
    stack_quarantine_for_each(add_quarantined, &scan);
    if (!scan.n)
        return;
    qsort(scan.c, scan.n, sizeof *scan.c, by_lo);
    gc_stack_min_inv = ~scan.c[0].lo;
    gc_stack_span = scan.c[scan.n - 1].hi - scan.c[0].lo;
}

void gc_stack_word(uintptr_t v, const void *owner) { found(&scan, v, owner); }

/* Only a listed goroutine can have run since the mark read its stack
 * (sched_changed_list): walking every candidate took 21 ms of the pause
 * with a million parked goroutines.  One whose stack moved (grew) since
 * is found under its new range or not at all; move_one sees the old
 * candidate's range is no longer its stack. */
void gc_shrink_keep_moved(uint32_t cycle) {
    shrink_scan *sc = &scan;
    if (!sc->n)
        return;
    for (goc_g *g = sched_changed_list(); g; g = g->gc_relink) {
        candidate *c = candidate_at(sc, g->stack.lo);
        if (c && c->g == g &&
            (!sched_g_scanned_in(g, cycle) || !sched_g_suspended(g) || g->stack.lo != c->lo ||
             g->stack.hi != c->hi))
            c->pinned = true;
    }
}

/* Moves candidate c, which nothing the mark saw pins; cycle != 0 when the
 * world runs: the goroutine must then be held still, and must not have run
 * since the mark read its stack (what it did since, no mark has seen).
 * Nor may the kernel be writing into it (I/O in flight: move_target). */
static bool move_one(const candidate *c, uint32_t cycle, goc_stack *released) {
    goc_g *g = c->g;
    if (cycle) {
        if (!sched_g_scan_claim(g))
            return false;
        if (aload(&g->gc_scan, memory_order_relaxed) != ((cycle << 1) | G_SCAN_BUSY) ||
            g->stack.lo != c->lo || g->stack.hi != c->hi) {
            sched_g_scan_release(g, 0);
            return false;
        }
    }
    /* Again: it may have run between the listing and its stack's read. */
    size_t target = move_target(g);
    bool packed = false;
    goc_chan *locked[MAX_LOCKED_WAITS];
    int nlocked = target == SIZE_MAX ? -1 : chan_lock_waits(g, locked, MAX_LOCKED_WAITS);
    if (nlocked >= 0) {   /* a select over more channels stays put */
        if (target)
            stack_shrink(g, target);
        else
            packed = stack_pack(g, released);
        chan_unlock_waits(locked, nlocked);
    }
    if (cycle)
        sched_g_scan_release(g, cycle);
    return packed;
}

void gc_shrink_stacks(uint32_t cycle) {
    shrink_scan *sc = &scan;
    if (!gc_stack_span)
        return;
    gc_stack_span = 0;
    sc->released = mem_meta_alloc(sc->n * sizeof *sc->released);
    for (size_t i = 0; i < sc->n; i++) {
        if (sc->c[i].pinned)
            continue;
        /* A stop of the world meanwhile must not find a stack half moved. */
        critical_begin();
        if (!sc->c[i].g)
            stack_quarantine_release_range(sc->c[i].lo);
        else if (move_one(&sc->c[i], cycle, &sc->released[sc->nreleased]))
            sc->nreleased++;
        critical_end();
    }
}

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
