/* SPDX-License-Identifier: MIT */
/* How the collector's own goroutines (collector, sweeper, finalizers) wait
 * for work: parked on a lock, readied by whoever posts work, from any
 * thread (a goroutine, a foreign thread, or sysmon through injection). */
#include "gc/gc.h"
#include "sched/sched.h"

uint32_t gc_waiter_wait(gc_waiter *w) {
    for (;;) {
        lock_acquire(&w->lock);
        w->g = sched_curg();
        uint32_t bits = axchg(&w->pending, 0, memory_order_seq_cst);
        if (bits) {
            lock_release(&w->lock);
            return bits;
        }
        w->parked = true;
        sched_park(sched_commit_unlock, &w->lock, w->reason);
    }
}

struct goc_g *gc_waiter_post(gc_waiter *w, uint32_t bits) {
    afetch_or(&w->pending, bits, memory_order_seq_cst);
    lock_acquire(&w->lock);
    goc_g *g = w->parked ? w->g : NULL;
    w->parked = false;
    lock_release(&w->lock);
    return g;
}

void gc_waiter_wake(gc_waiter *w, uint32_t bits) {
    goc_g *g = gc_waiter_post(w, bits);
    if (g)
        sched_ready(g);
}
