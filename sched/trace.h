/* SPDX-License-Identifier: MIT */
/* Execution traces (GODEBUG=trace=FILE, goc_trace_start): scheduler, GC and
 * blocking events, recorded in a compact binary form (sched/tracefmt.h)
 * that goc_trace_to_json turns into Chrome trace-event JSON afterwards.
 *
 * Every event site is one of the inline calls below: with tracing off it
 * costs a relaxed load of trace_on and a branch never taken.  With tracing
 * on, an event is a cputicks() reading and 24 bytes appended to its P's
 * buffer, with no lock: only the P's owner writes there (events without a
 * P go to one buffer under a lock: blocking sections, foreign threads).
 * Full buffers go to a writer thread that writes them out as they are
 * (sched/tracewrite.c).  Starting and stopping stop the world, so that no
 * event is half written when the buffers change hands. */
#ifndef GOC_SCHED_TRACE_H
#define GOC_SCHED_TRACE_H

#include <stdio.h>

#include "sched/sched.h"
#include "sched/tracefmt.h"

extern _Atomic bool trace_on;

/* The slow halves, out of line.  type: the record's type byte. */
void trace_emit(goc_p *p, uint32_t type, uint64_t a, uint64_t b);
void trace_switch_slow(goc_p *p, goc_g *g, int action, goc_g *next);
void trace_gc_phase_slow(const char *name, uint32_t cycle, int64_t begin, int64_t end);

#define TRACE_ON() __builtin_expect(aload(&trace_on, memory_order_relaxed), 0)

static inline void trace_go_create(goc_p *p, goc_g *g) {
    if (TRACE_ON())
        trace_emit(p, TEV_GO_CREATE, (uint64_t)g->id, (uint64_t)(uintptr_t)g->fn);
}
static inline void trace_go_start(goc_p *p, goc_g *g) {
    if (TRACE_ON())
        trace_emit(p, TEV_GO_START, (uint64_t)g->id, (uint64_t)(uintptr_t)g->fn);
}
static inline void trace_go_end(goc_p *p, goc_g *g) {
    if (TRACE_ON())
        trace_emit(p, TEV_GO_STOP | TSTOP_EXIT << 4, (uint64_t)g->id, 0);
}
/* g switches away (action: enum switch_action) to next, or to g0 (NULL). */
static inline void trace_switch(goc_p *p, goc_g *g, int action, goc_g *next) {
    if (TRACE_ON())
        trace_switch_slow(p, g, action, next);
}
/* by: the goroutine that readied g, NULL for the runtime (poller, timers). */
static inline void trace_go_unblock(goc_p *p, goc_g *g, goc_g *by) {
    if (TRACE_ON())
        trace_emit(p, TEV_GO_UNBLOCK, (uint64_t)g->id, by ? (uint64_t)by->id : 0);
}
static inline void trace_p_start(goc_p *p, goc_m *m) {
    if (TRACE_ON())
        trace_emit(p, TEV_P_START, (uint64_t)m->id, 0);
}
static inline void trace_p_stop(goc_p *p, goc_m *m) {
    if (TRACE_ON())
        trace_emit(p, TEV_P_STOP, (uint64_t)m->id, 0);
}
static inline void trace_steal(goc_p *p, goc_p *victim, goc_g *g) {
    if (TRACE_ON())
        trace_emit(p, TEV_STEAL, (uint64_t)victim->id, (uint64_t)g->id);
}
/* Around a blocking section of g on m: begin while m still holds its P
 * (the goroutine's run on it ends there), end once it has none. */
static inline void trace_blocking_begin(goc_p *p, goc_m *m, goc_g *g) {
    if (TRACE_ON()) {
        trace_emit(p, TEV_GO_STOP | TSTOP_BLOCKING << 4, (uint64_t)g->id, 0);
        trace_emit(NULL, TEV_BLOCKING_BEGIN, (uint64_t)g->id, (uint64_t)m->id);
    }
}
static inline void trace_blocking_end(goc_m *m, goc_g *g) {
    if (TRACE_ON())
        trace_emit(NULL, TEV_BLOCKING_END, (uint64_t)g->id, (uint64_t)m->id);
}
/* A phase of GC cycle `cycle` that ran from begin to end (nanotime()). */
static inline void trace_gc_phase(const char *name, uint32_t cycle, int64_t begin, int64_t end) {
    if (TRACE_ON())
        trace_gc_phase_slow(name, cycle, begin, end);
}

/* GODEBUG=trace=FILE, read at start-up: the trace starts before the first
 * goroutine and ends when goc_main's main function returns. */
void trace_env_start(void);
void trace_main_exit(void);

/* ---- the writer (tracewrite.c) ---------------------------------------------- */
/* 64 KiB with the header: records are 3 or 5 words. */
#define TRACE_BUF_WORDS 8190
typedef struct trace_buf {
    struct trace_buf *next;      /* writer's queue, free list */
    int32_t           pid;       /* P id, -1: events without a P */
    uint32_t          n;         /* words used */
    uint64_t          w[TRACE_BUF_WORDS];
} trace_buf;

/* The origin's cputicks(): records count from it (set by tracew_start). */
extern int64_t trace_origin;

/* Start the writer thread on f (the header and the origin's clock
 * readings are written at once), feed it buffers in order (per P), and
 * stop it: stop returns once every buffer queued before it is written. */
void tracew_start(FILE *f);
void tracew_queue(trace_buf *b);
void tracew_stop(void);
/* A buffer for pid: from the writer's free list, or new. */
trace_buf *tracew_buf_get(int32_t pid);

#endif
