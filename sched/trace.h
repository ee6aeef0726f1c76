/* SPDX-License-Identifier: MIT */
/* Execution traces (GODEBUG=trace=FILE, goc_trace_start): scheduler, GC and
 * blocking events, recorded in a compact binary form (sched/tracefmt.h)
 * that goc_trace_to_json turns into Chrome trace-event JSON afterwards.
 *
 * Every event site is one of the inline calls below: with tracing off it
 * costs a relaxed load of trace_on and a branch never taken.  With tracing
 * on, an event is a cputicks() reading and a few bytes appended to its P's
 * buffer, inline and with no lock: only the P's owner writes there.  Only
 * a full buffer, or an event without a P (blocking sections, foreign
 * threads: one buffer under a lock), takes a call.  Full buffers go to a
 * writer thread that writes them out as they are (sched/tracewrite.c).
 * Starting and stopping stop the world, so that no event is half written
 * when the buffers change hands.
 *
 * The clock reading is most of an event's cost (rdtsc: 8 ns under a
 * hypervisor, 12 next to the scheduler's atomics, against a 90 ns ping-pong
 * round trip), so events recorded together, tens of nanoseconds apart with
 * only the runtime's bookkeeping between them, share one: the stop of a
 * goroutine and the start of the next one (one record), and the two
 * records of a blocking section's begin.  Nothing else does: an unblock,
 * say, may be followed by any amount of the goroutine's own work before
 * its next event, and a stop to g0 by any wait for work before a start. */
#ifndef GOC_SCHED_TRACE_H
#define GOC_SCHED_TRACE_H

#include <stdio.h>

#include "base/critical.h"
#include "sched/sched.h"
#include "sched/tracefmt.h"

extern _Atomic bool trace_on;

#define TRACE_ON() __builtin_expect(aload(&trace_on, memory_order_relaxed), 0)

/* ---- buffers (the writer's side: tracewrite.c) ---------------------------------- */
/* 64 KiB with the header. */
#define TRACE_BUF_BYTES (65536 - 32)
typedef struct trace_buf {
    struct trace_buf *next;      /* writer's queue, free list */
    int32_t           pid;       /* P id, -1: events without a P */
    uint32_t          n;         /* bytes used */
    int64_t           last;      /* cputicks() of the last record (or the origin) */
    uint8_t           b[TRACE_BUF_BYTES];
} trace_buf;

/* The origin's cputicks(): each buffer's first record counts from it
 * (set by tracew_start). */
extern int64_t trace_origin;

/* Start the writer thread on f (the header and the origin's clock
 * readings are written at once), feed it buffers in order (per P), and
 * stop it: stop returns once every buffer queued before it is written. */
void tracew_start(FILE *f);
void tracew_queue(trace_buf *b);
void tracew_stop(void);
/* A buffer for pid: from the writer's free list, or new. */
trace_buf *tracew_buf_get(int32_t pid);
/* The file is to name key (a function's if is_fn) before the buffers
 * queued from now on. */
void tracew_name(uint64_t key, bool is_fn);

/* ---- recording ------------------------------------------------------------------ */
/* A function's or a string's key: its distance from a variable of the
 * runtime, which a program's own functions and literals lie a few MiB at
 * most from (3 or 4 bytes as a varint, against 6 for the address), zigzag-
 * encoded as it may be either way; 0 for NULL, as trace_on is neither. */
static inline uint64_t trace_key(const void *p) {
    return p ? trace_zigzag((int64_t)((uintptr_t)p - (uintptr_t)&trace_on)) : 0;
}
static inline const void *trace_key_ptr(uint64_t key) {
    return key ? (const void *)((uintptr_t)&trace_on + (uintptr_t)trace_unzigzag(key)) : NULL;
}

/* The keys each P knows the file names, by a hash of the key (0: none):
 * MAX_PROCS rows of TRACE_PNAMED, emptied as a trace starts.  Asking
 * the writer for every key (tracew_name: a lock) would cost more than the
 * rest of the event. */
#define TRACE_PNAMED 64
extern uint64_t *trace_pnamed;

static inline void trace_name(goc_p *p, uint64_t key, bool is_fn) {
    if (!key)
        return;
    uint64_t *known = p ? &trace_pnamed[(size_t)p->id * TRACE_PNAMED +
                                        (key * 0x9E3779B97F4A7C15ull >> 58)] : NULL;
    if (likely(known && *known == key))
        return;
    tracew_name(key, is_fn);
    if (known)
        *known = key;
}

/* Appends a record to b, p's buffer (NULL: the shared one), which has
 * room for it.  Always inline: with the type known at the site, the
 * switches on it fold away, and a call would cost more than the rest. */
__attribute__((always_inline)) static inline void
trace_encode(trace_buf *b, goc_p *p, int64_t now, uint32_t type, const uint64_t *arg) {
    switch (type & 15) {
    case TEV_GO_CREATE:
    case TEV_GO_START: trace_name(p, arg[1], true); break;
    case TEV_GO_STOP: trace_name(p, arg[1], false); break;
    case TEV_GO_SWITCH:
        trace_name(p, arg[1], false);
        trace_name(p, arg[3], true);
        break;
    case TEV_SPAN: trace_name(p, arg[3], false); break;
    }
    uint8_t *s = b->b + b->n;
    *s++ = (uint8_t)type;
    s = trace_put_varint(s, trace_zigzag(now - b->last));
    b->last = now;
    for (unsigned i = 0; i < trace_nargs(type & 15); i++)
        s = trace_put_varint(s, arg[i]);
    b->n = (uint32_t)(s - b->b);
    /* Writing the buffer to the file last time round read its lines on
     * the writer's core, so each first store to a line waits for that core
     * to give it up, and the next locked instruction on the scheduler's
     * path waits for that store.  Asking for the line a few hundred bytes
     * ahead hides the wait. */
    prefetch_for_write(s + 512);
}

/* Without a P, in a full buffer or after the trace stopped. */
void trace_record_slow(goc_p *p, int64_t now, uint32_t type, const uint64_t *arg);

/* The record of an event at cputicks() now.  In a critical section: a world
 * stopped to start or stop the trace never holds a thread halfway through
 * an event.  The flag is read again inside it: the caller may have read it
 * before a stop. */
__attribute__((always_inline)) static inline void
trace_record(goc_p *p, int64_t now, uint32_t type, uint64_t a0, uint64_t a1, uint64_t a2,
             uint64_t a3) {
    uint64_t arg[TRACE_MAX_ARGS] = {a0, a1, a2, a3};
    critical_begin();
    trace_buf *b = p ? p->trace : NULL;
    if (likely(b && b->n <= TRACE_BUF_BYTES - TRACE_RECORD_MAX &&
               aload(&trace_on, memory_order_relaxed)))
        trace_encode(b, p, now, type, arg);
    else
        trace_record_slow(p, now, type, arg);
    critical_end();
}

/* enum switch_action (sched/internal.h) to the enum trace_stop of the run
 * it ends, TRACE_RUN_ENDED where that was recorded before. */
extern const uint8_t trace_stop_of[];
#define TRACE_RUN_ENDED 0xff

void trace_gc_phase_slow(const char *name, uint32_t cycle, int64_t begin, int64_t end);

static inline void trace_go_create(goc_p *p, goc_g *g) {
    if (TRACE_ON())
        trace_record(p, cputicks(), TEV_GO_CREATE, (uint64_t)g->id, trace_key((const void *)g->fn),
                     0, 0);
}
static inline void trace_go_start(goc_p *p, goc_g *g) {
    if (TRACE_ON())
        trace_record(p, cputicks(), TEV_GO_START, (uint64_t)g->id, trace_key((const void *)g->fn),
                     0, 0);
}
/* g switches away (action: enum switch_action) to next, or to g0 (NULL). */
static inline void trace_switch(goc_p *p, goc_g *g, int action, goc_g *next) {
    if (TRACE_ON()) {
        uint32_t why = trace_stop_of[action];
        uint64_t reason = why == TSTOP_PARK ? trace_key(g->waitreason) : 0;
        if (why == TRACE_RUN_ENDED) {
            if (next)
                trace_go_start(p, next);
        } else if (next) {
            trace_record(p, cputicks(), TEV_GO_SWITCH | why << 4, (uint64_t)g->id, reason,
                         (uint64_t)next->id, trace_key((const void *)next->fn));
        } else {
            trace_record(p, cputicks(), TEV_GO_STOP | why << 4, (uint64_t)g->id, reason, 0, 0);
        }
    }
}
/* by: the goroutine that readied g, NULL for the runtime (poller, timers). */
static inline void trace_go_unblock(goc_p *p, goc_g *g, goc_g *by) {
    if (TRACE_ON())
        trace_record(p, cputicks(), TEV_GO_UNBLOCK, (uint64_t)g->id, by ? (uint64_t)by->id : 0,
                     0, 0);
}
static inline void trace_p_start(goc_p *p, goc_m *m) {
    if (TRACE_ON())
        trace_record(p, cputicks(), TEV_P_START, (uint64_t)m->id, 0, 0, 0);
}
static inline void trace_p_stop(goc_p *p, goc_m *m) {
    if (TRACE_ON())
        trace_record(p, cputicks(), TEV_P_STOP, (uint64_t)m->id, 0, 0, 0);
}
static inline void trace_steal(goc_p *p, goc_p *victim, goc_g *g) {
    if (TRACE_ON())
        trace_record(p, cputicks(), TEV_STEAL, (uint64_t)victim->id, (uint64_t)g->id, 0, 0);
}
/* Around a blocking section of g on m: begin while m still holds its P
 * (the goroutine's run on it ends there, at the section's start), end
 * once it has none. */
static inline void trace_blocking_begin(goc_p *p, goc_m *m, goc_g *g) {
    if (TRACE_ON()) {
        int64_t now = cputicks();
        trace_record(p, now, TEV_GO_STOP | TSTOP_BLOCKING << 4, (uint64_t)g->id, 0, 0, 0);
        trace_record(NULL, now, TEV_BLOCKING_BEGIN, (uint64_t)g->id, (uint64_t)m->id, 0, 0);
    }
}
static inline void trace_blocking_end(goc_m *m, goc_g *g) {
    if (TRACE_ON())
        trace_record(NULL, cputicks(), TEV_BLOCKING_END, (uint64_t)g->id, (uint64_t)m->id, 0, 0);
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

#endif
