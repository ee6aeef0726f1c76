/* SPDX-License-Identifier: MIT */
/* Blocking sections and goroutines wired to their thread. */
#include "sched/internal.h"
#include "sched/trace.h"

void goc_blocking_begin(void) {
    goc_g *g = sched_curg();
    if (!g)
        return;   /* a foreign thread blocks only itself */
    sched_safepoint();
    goc_m *m = sched_m();
    if (aload(&g->status, memory_order_relaxed) == G_BLOCKING)
        throw_panic("goc_blocking_begin: already inside a blocking section");
    astore(&g->waitsince, 0, memory_order_relaxed);
    /* A critical section: the stop signal holds a goroutine whose status
     * is G_BLOCKING as one without a P; taken between the status and the
     * handoff, it would hold the P too, and the stopper would wait for
     * that P forever. */
    critical_begin();
    astore(&g->status, G_BLOCKING, memory_order_relaxed);
    afetch_add(&sched.nblocking, 1, memory_order_relaxed);
    trace_blocking_begin(m->p, m, g);
    goc_p *p = releasep(m);
    p->syscalltick++;
    handoffp(p);
    critical_end();
}

void sched_preempt_one(void) {
    if (aload(&sched.npidle, memory_order_acquire) > 0)
        return;
    for (int32_t i = 0; i < aload(&sched.nprocs, memory_order_acquire); i++) {
        goc_p *p = sched.allp[i];
        goc_m *m = aload(&p->status, memory_order_relaxed) == P_RUNNING
                       ? aload(&p->m, memory_order_acquire) : NULL;
        goc_g *g = m ? aload(&m->curg, memory_order_acquire) : NULL;
        if (g) {
            astore(&g->preempt, true, memory_order_relaxed);
            return;
        }
    }
}

void goc_blocking_end(void) {
    goc_m *m = sched_m();
    goc_g *g = m ? m->curg : NULL;
    if (!g)
        return;
    if (aload(&g->status, memory_order_relaxed) != G_BLOCKING)
        throw_panic("goc_blocking_end without goc_blocking_begin");
    afetch_sub(&sched.nblocking, 1, memory_order_relaxed);
    trace_blocking_end(m, g);
    goc_p *p = NULL;
    /* The same, the other way: from owning a P to being G_RUNNING. */
    critical_begin();
    lock_acquire(&sched.lock);
    if (!aload(&sched.gcwaiting, memory_order_relaxed))
        p = pidle_get();
    lock_release(&sched.lock);
    if (p) {
        acquirep(m, p);
        astore(&g->status, G_RUNNING, memory_order_relaxed);
        astore(&g->m, m, memory_order_relaxed);
        critical_end();
        trace_go_start(p, g);
        return;
    }
    critical_end();
    /* Every P is busy: queue ourselves and let this M idle. */
    switch_away(m, g, SW_BLOCKING_EXIT);
}

void goc_lock_os_thread(void) {
    goc_m *m = sched_m();
    goc_g *g = m ? m->curg : NULL;
    if (!g)
        return;   /* a foreign thread is its own thread already */
    g->lock_count++;
    g->lockedm = m;
    m->lockedg = g;
}

void goc_unlock_os_thread(void) {
    goc_m *m = sched_m();
    goc_g *g = m ? m->curg : NULL;
    if (!g || g->lock_count == 0)
        return;
    if (--g->lock_count == 0) {
        g->lockedm = NULL;
        m->lockedg = NULL;
    }
}
