/* Deadlock detection (Go's checkdead): called with sched.lock held whenever
 * an M goes idle.  If no M runs, nothing is runnable, no timer or I/O can
 * make anything runnable, and no foreign thread could still act, the
 * program can never make progress. */
#include "sched/internal.h"

void checkdead(void) {
    if (!sched.main_started || atomic_load_explicit(&sched.gcwaiting, memory_order_relaxed))
        return;
    int32_t running = mcount - sched.nmidle - sched.nmidlelocked;
    if (running > 0)
        return;
    if (atomic_load_explicit(&sched.nforeign_active, memory_order_relaxed) > 0 ||
        atomic_load_explicit(&sched.io_pending, memory_order_relaxed) > 0 ||
        atomic_load_explicit(&poller_busy, memory_order_relaxed))
        return;
    if (running < 0)
        fatal("checkdead: inconsistent counts mcount=%d nmidle=%d nmidlelocked=%d",
              mcount, sched.nmidle, sched.nmidlelocked);
    if (sched.runqsize > 0)
        return;
    for (int32_t i = 0; i < sched.nprocs; i++) {
        goc_p *p = sched.allp[i];
        if (!runq_empty(p) || atomic_load_explicit(&p->timer0_when, memory_order_relaxed) != 0)
            return;
    }
    if (atomic_load_explicit(&sched.ngoroutine, memory_order_relaxed) == 0)
        fatal("no goroutines (main called goc_exit) - deadlock!");
    fatal("all goroutines are asleep - deadlock!");
}
