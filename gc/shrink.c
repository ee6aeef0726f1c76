/* SPDX-License-Identifier: MIT */
/* Which stacks may shrink or be packed, with the world stopped.
 *
 * A parked goroutine's stack may move to a smaller slot, or into a packed
 * block (stack/pack.c), only when nothing
 * outside it points into it: C pointers into a stack are not found by any
 * stack map.  Until the collector's mark does the same scan as part of a
 * cycle, this looks where the collector will look (other goroutines'
 * stacks and the runtime's records of them, goc_add_roots ranges, the
 * writable segments of every loaded object, and goc_alloc objects) for
 * words that fall in a candidate's stack; a hit pins that stack.  While a
 * goroutine runs in a blocking section, nothing shrinks.  Memory
 * nobody can see (malloc'd blocks not registered as roots, other threads'
 * registers and stacks) is not covered, exactly as it is not for the
 * collector; a stale pointer from there into a moved stack faults with an
 * explanation, as after growth. */
#include <link.h>
#include <stdlib.h>

#include "gc/gc.h"
#include "mem/mem.h"
#include "sched/env.h"
#include "sched/sched.h"
#include "stack/move.h"

/* Channels a moving goroutine may wait on at once (select cases). */
#define MAX_LOCKED_WAITS 64

typedef struct candidate {
    uintptr_t lo, hi;   /* the stack's usable range */
    goc_g    *g;
    size_t    target;   /* 0: pack it (stack/pack.c) */
    bool      pinned;
} candidate;

typedef struct shrink_scan {
    candidate *c;       /* sorted by lo */
    size_t     n, cap;
    uintptr_t  min, span;   /* every candidate lies in [min, min + span) */
    goc_g     *self;
    bool       running;     /* some goroutine runs on in a blocking section */
    uint64_t   used, nstacks;   /* for the adaptive start size */
} shrink_scan;

static int by_lo(const void *a, const void *b) {
    uintptr_t x = ((const candidate *)a)->lo, y = ((const candidate *)b)->lo;
    return (x > y) - (x < y);
}

/* Parked or queued: its registers are saved at ctx.sp, all of its state is
 * in [ctx.sp, hi). */
static bool suspended(goc_g *g) {
    uint32_t st = atomic_load_explicit(&g->status, memory_order_relaxed);
    return !g->is_thread && g->stack.hi && (st == G_WAITING || st == G_RUNNABLE);
}

static void collect(goc_g *g, void *arg) {
    shrink_scan *sc = arg;
    uint32_t st = atomic_load_explicit(&g->status, memory_order_relaxed);
    if (g != sc->self && !g->is_thread && (st == G_BLOCKING || st == G_RUNNING))
        sc->running = true;
    if (g == sc->self || !suspended(g))
        return;
    sc->used += g->stack.hi - (uintptr_t)g->ctx.sp;
    sc->nstacks++;
    /* Packing (target 0) leaves less than any slot would. */
    bool pack = stack_packable(g);
    size_t target = pack ? 0 : stack_shrink_target(g);
    if ((!pack && !target) || g->stack_pins)
        return;
    if (sc->n == sc->cap) {
        size_t cap = sc->cap ? 2 * sc->cap : 64;
        candidate *grown = mem_meta_alloc(cap * sizeof *grown);
        if (sc->n)
            __builtin_memcpy(grown, sc->c, sc->n * sizeof *grown);
        if (sc->c)
            mem_meta_free(sc->c, sc->cap * sizeof *grown);
        sc->c = grown;
        sc->cap = cap;
    }
    sc->c[sc->n++] = (candidate){.lo = g->stack.lo, .hi = g->stack.hi, .g = g, .target = target};
}

/* The word v was found in memory belonging to owner (NULL: to nobody's
 * stack); a candidate it points into is pinned, unless that is owner's own
 * stack, whose words move with it. */
static void found(shrink_scan *sc, uintptr_t v, const goc_g *owner) {
    size_t lo = 0, hi = sc->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v < sc->c[mid].lo)
            hi = mid;
        else if (v >= sc->c[mid].hi)
            lo = mid + 1;
        else {
            if (sc->c[mid].g != owner)
                sc->c[mid].pinned = true;
            return;
        }
    }
}

/* Reads memory other threads may be writing (foreign threads, goroutines
 * in blocking sections) and sanitizer redzones: not instrumented. */
NO_SANITIZE static void scan_range(shrink_scan *sc, uintptr_t lo, uintptr_t hi, const goc_g *owner) {
    const uintptr_t *w = (const uintptr_t *)((lo + sizeof(uintptr_t) - 1) & ~(sizeof(uintptr_t) - 1));
    const uintptr_t *end = (const uintptr_t *)(hi & ~(sizeof(uintptr_t) - 1));
    for (; w < end; w++) {
        uintptr_t v = *(const volatile uintptr_t *)w;
        if (v - sc->min < sc->span)
            found(sc, v, owner);
    }
}

static void scan_sudog(shrink_scan *sc, const goc_sudog *s, const goc_g *g) {
    /* Its own element pointers move with the stack (stack_move_records);
     * a semaphore keyed by an address in it would lose its waiters. */
    found(sc, (uintptr_t)s->elem, g);
    found(sc, (uintptr_t)s->chan, NULL);
}

static void scan_g(goc_g *g, void *arg) {
    shrink_scan *sc = arg;
    uint32_t st = atomic_load_explicit(&g->status, memory_order_relaxed);
    if (st == G_DEAD || g == sc->self)
        return;
    found(sc, (uintptr_t)g->arg, NULL);   /* not yet on its own stack */
    scan_sudog(sc, &g->wait_sudog, g);
    for (goc_sudog *s = g->waiting; s; s = s->waitlink)
        scan_sudog(sc, s, g);
    if (suspended(g))
        scan_range(sc, (uintptr_t)g->ctx.sp, g->stack.hi, g);
}

static void scan_root(void *start, size_t len, void *arg) {
    scan_range(arg, (uintptr_t)start, (uintptr_t)start + len, NULL);
}

static int scan_object_segments(struct dl_phdr_info *info, size_t size, void *arg) {
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W)) {
            uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
            scan_range(arg, lo, lo + ph->p_memsz, NULL);
        }
    }
    return 0;
}

static void scan_span(mem_span *s, void *arg) {
    if (span_noscan(s))
        return;
    for (uint32_t i = 0; i < s->nelems; i++)
        if (span_slot_allocated(s, i))
            scan_range(arg, s->base + i * s->elemsize, s->base + (i + 1) * s->elemsize, NULL);
}

void gc_shrink_stacks(void) {
    shrink_scan sc = {.self = sched_curg()};
    sched_for_each_g(collect, &sc);
    if (godebug_value("adaptivestackstart", 1) != 0)
        stack_adapt_start_size(sc.used, sc.nstacks);
    /* A goroutine in a blocking section runs C code that may take a
     * stack address from its registers, or grow its own stack (and guard
     * the old range) while it is being read: nothing moves meanwhile. */
    if (!sc.n || sc.running) {
        if (sc.c)
            mem_meta_free(sc.c, sc.cap * sizeof *sc.c);
        return;
    }
    goc_stack *released = mem_meta_alloc(sc.n * sizeof *released);
    size_t nreleased = 0;
    qsort(sc.c, sc.n, sizeof *sc.c, by_lo);
    sc.min = sc.c[0].lo;
    sc.span = sc.c[sc.n - 1].hi - sc.min;
    sched_for_each_g(scan_g, &sc);
    gc_for_each_root(scan_root, &sc);
    dl_iterate_phdr(scan_object_segments, &sc);
    mem_for_each_span(scan_span, &sc);
    for (size_t i = 0; i < sc.n; i++) {
        if (sc.c[i].pinned)
            continue;
        goc_chan *locked[MAX_LOCKED_WAITS];
        int nlocked = chan_lock_waits(sc.c[i].g, locked, MAX_LOCKED_WAITS);
        if (nlocked < 0)
            continue;   /* a select over that many channels stays put */
        if (sc.c[i].target)
            stack_shrink(sc.c[i].g, sc.c[i].target);
        else if (stack_pack(sc.c[i].g, &released[nreleased]))
            nreleased++;
        chan_unlock_waits(locked, nlocked);
    }
    stack_free_many(released, nreleased);
    mem_meta_free(released, sc.n * sizeof *released);
    mem_meta_free(sc.c, sc.cap * sizeof *sc.c);
}
