/* SPDX-License-Identifier: MIT */
/* Holding a goroutine still while the collector reads its stack (the
 * protocol is described in sched/sched.h, next to sched_stack_scans). */
#include "base/membarrier.h"
#include "mem/mem.h"
#include "sched/sched.h"

_Atomic bool sched_stack_scans;
void (*_Atomic sched_stack_copy_hook)(goc_g *g, uint32_t cycle);

void sched_request_stack_copy(goc_g *g, uint32_t cycle) {
    astore(&g->scan_request, cycle, memory_order_release);
    astore(&g->preempt, true, memory_order_release);
}

void sched_g_resuming_slow(goc_g *g) {
    /* The G_RUNNING store must be visible before gc_scan is read. */
    STORE_LOAD_FENCE();
    while (aload(&g->gc_scan, memory_order_seq_cst) & G_SCAN_BUSY)
        cpu_relax();
    astore(&g->gc_scan, 0, memory_order_relaxed);
    sched_g_changed_slow(g);
}

/* The list (a stack pushed with compare-exchange; nothing pops it, the
 * prune takes it whole with an exchange) and the cycle it is for.  A G is
 * on it once: whoever turns its gc_listed to the cycle pushes it, and the
 * prune re-pushes only Gs still listed. */
static goc_g *_Atomic changed_head;
static _Atomic uint32_t changed_cycle;

void sched_changed_begin(uint32_t cycle) {
    astore(&changed_head, NULL, memory_order_relaxed);
    astore(&changed_cycle, cycle, memory_order_relaxed);
}

static void push(goc_g *g) {
    goc_g *head = aload(&changed_head, memory_order_relaxed);
    do
        g->gc_relink = head;
    while (!acas_weak(&changed_head, &head, g, memory_order_release, memory_order_relaxed));
}

/* Whoever turns gc_listed to the cycle pushes g: once per listing.  The
 * change that calls this (a status store, gc_scan cleared) is ordered
 * before the gc_listed load by sched_changed_prune's process barrier, or
 * here by a fence where there is none. */
void sched_g_changed_slow(goc_g *g) {
    if (process_barrier_ready())
        atomic_signal_fence(memory_order_seq_cst);
    else
        STORE_LOAD_FENCE();
    uint32_t cycle = aload(&changed_cycle, memory_order_relaxed);
    if (aload(&g->gc_listed, memory_order_relaxed) == cycle ||
        axchg(&g->gc_listed, cycle, memory_order_acq_rel) == cycle)
        return;
    push(g);
}

goc_g *sched_changed_list(void) { return aload(&changed_head, memory_order_acquire); }

/* The goroutines dropped by a prune, runtime metadata (a global array of
 * them would be a root).  Only the collector prunes. */
static goc_g **dropped;
static size_t dropped_cap;

void sched_changed_prune(bool (*needed)(goc_g *g, void *arg), void *arg) {
    if (!process_barrier_ready())
        return;
    uint32_t cycle = aload(&changed_cycle, memory_order_relaxed);
    size_t n = 0;
    goc_g *next;
    for (goc_g *g = axchg(&changed_head, NULL, memory_order_acquire); g; g = next) {
        /* Read first: once unlisted, a change may push g anew. */
        next = g->gc_relink;
        if (needed(g, arg)) {
            push(g);
            continue;
        }
        if (n == dropped_cap)
            dropped = mem_meta_grow(dropped, &dropped_cap, n, sizeof *dropped, 256);
        dropped[n++] = g;
        astore(&g->gc_listed, 0, memory_order_release);
    }
    if (!n)
        return;
    /* Each dropped goroutine's change since needed() looked either sees
     * gc_listed cleared (and lists g itself), or is seen by the look
     * below (and the collector lists g). */
    process_barrier();
    for (size_t i = 0; i < n; i++) {
        goc_g *g = dropped[i];
        if (needed(g, arg) && axchg(&g->gc_listed, cycle, memory_order_acq_rel) != cycle)
            push(g);
    }
}

bool sched_g_scan_claim(goc_g *g) {
    uint32_t old = aload(&g->gc_scan, memory_order_relaxed);
    do {
        if (old & G_SCAN_BUSY)
            return false;
    } while (!acas_weak(&g->gc_scan, &old, old | G_SCAN_BUSY, memory_order_seq_cst,
                        memory_order_relaxed));
    uint32_t st = aload(&g->status, memory_order_seq_cst);
    if ((st == G_WAITING || st == G_RUNNABLE) && sched_g_suspended(g))
        return true;
    /* Nobody else changes gc_scan while it is busy. */
    astore(&g->gc_scan, old, memory_order_seq_cst);
    return false;
}

void sched_g_scan_release(goc_g *g, uint32_t cycle) {
    astore(&g->gc_scan, cycle ? cycle << 1 : 0, memory_order_seq_cst);
}
