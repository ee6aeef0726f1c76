/* SPDX-License-Identifier: MIT */
/* Blocking sections and goroutines wired to their thread. */
#include "sched/internal.h"

void goc_blocking_begin(void) {
    goc_g *g = sched_curg();
    if (!g)
        return;   /* a foreign thread blocks only itself */
    sched_safepoint();
    goc_m *m = sched_m();
    if (atomic_load_explicit(&g->status, memory_order_relaxed) == G_BLOCKING)
        throw_panic("goc_blocking_begin: already inside a blocking section");
    atomic_store_explicit(&g->status, G_BLOCKING, memory_order_relaxed);
    atomic_fetch_add_explicit(&sched.nblocking, 1, memory_order_relaxed);
    goc_p *p = releasep(m);
    p->syscalltick++;
    handoffp(p);
}

void goc_blocking_end(void) {
    goc_m *m = sched_m();
    goc_g *g = m ? m->curg : NULL;
    if (!g)
        return;
    if (atomic_load_explicit(&g->status, memory_order_relaxed) != G_BLOCKING)
        throw_panic("goc_blocking_end without goc_blocking_begin");
    atomic_fetch_sub_explicit(&sched.nblocking, 1, memory_order_relaxed);
    goc_p *p = NULL;
    lock_acquire(&sched.lock);
    if (!atomic_load_explicit(&sched.gcwaiting, memory_order_relaxed))
        p = pidle_get();
    lock_release(&sched.lock);
    if (p) {
        acquirep(m, p);
        atomic_store_explicit(&g->status, G_RUNNING, memory_order_relaxed);
        RELAXED_STORE(g->m, m);
        return;
    }
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
