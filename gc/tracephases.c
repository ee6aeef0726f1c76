/* SPDX-License-Identifier: MIT */
/* A finished cycle's phases and pauses in the execution trace (the
 * scheduler's trace facility draws them on its GC lane). */
#include "gc/gc.h"
#include "sched/trace.h"

void gc_trace_phases(const gc_cycle_stats *c, uint32_t n) {
    if (!TRACE_ON())
        return;
    int64_t pause0 = c->stw_ns[0], pause1 = c->stw_ns[1];
    /* While the whole cycle runs with the world stopped, it is one pause. */
    bool whole = pause0 >= c->t_end - c->t_start;
    trace_gc_phase(whole ? "GC (world stopped)" : "GC", n, c->t_start, c->t_end);
    trace_gc_phase("sweep termination", n, c->t_start, c->t_mark);
    trace_gc_phase("stopping the world", n, c->t_start, c->t_start + c->stop_ns[0]);
    trace_gc_phase("mark", n, c->t_mark, c->t_markterm);
    trace_gc_phase("mark termination", n, c->t_markterm, c->t_end);
    if (!whole) {
        trace_gc_phase("STW pause", n, c->t_start, c->t_start + pause0);
        if (pause1 > 0)
            trace_gc_phase("STW pause", n, c->t_markterm, c->t_markterm + pause1);
    }
}
