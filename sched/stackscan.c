/* SPDX-License-Identifier: MIT */
/* Holding a goroutine still while the collector reads its stack (the
 * protocol is described in sched/sched.h, next to sched_stack_scans). */
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

/* The list (a stack pushed with compare-exchange, never popped while
 * anyone pushes) and the cycle it is for. */
static goc_g *_Atomic changed_head;
static _Atomic uint32_t changed_cycle;

void sched_changed_begin(uint32_t cycle) {
    astore(&changed_head, NULL, memory_order_relaxed);
    astore(&changed_cycle, cycle, memory_order_relaxed);
}

void sched_g_changed_slow(goc_g *g) {
    uint32_t cycle = aload(&changed_cycle, memory_order_relaxed);
    if (aload(&g->gc_listed, memory_order_relaxed) == cycle ||
        axchg(&g->gc_listed, cycle, memory_order_relaxed) == cycle)
        return;
    goc_g *head = aload(&changed_head, memory_order_relaxed);
    do
        g->gc_relink = head;
    while (!acas_weak(&changed_head, &head, g, memory_order_release, memory_order_relaxed));
}

goc_g *sched_changed_list(void) { return aload(&changed_head, memory_order_acquire); }

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
