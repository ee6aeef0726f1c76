/* SPDX-License-Identifier: MIT */
/* Execution traces: recording events into per-P buffers, starting and
 * stopping (see sched/trace.h; the JSON is written by tracewrite.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sched/env.h"
#include "sched/internal.h"
#include "sched/trace.h"

_Atomic bool trace_on;

static goc_lock shared_lock = GOC_LOCK_INIT;
static trace_buf *shared_buf;        /* shared_lock: events without a P */
static goc_mutex control;            /* one start or stop at a time */
static bool running;                 /* control */
static FILE *env_file;               /* GODEBUG=trace's, closed at the end */

/* In a critical section: a world stopped to start or stop the trace never
 * holds a thread halfway through an event.  The flag is read again here,
 * inside the section: the caller may have read it before a stop. */
static void append(trace_buf **slot, int32_t pid, const trace_event *e) {
    if (!aload(&trace_on, memory_order_relaxed))
        return;
    trace_buf *b = *slot;
    if (b && b->n == TRACE_BUF_EVENTS) {
        tracew_queue(b);
        b = NULL;
    }
    if (!b)
        *slot = b = tracew_buf_get(pid);
    b->ev[b->n++] = *e;
}

void trace_emit(goc_p *p, uint32_t type, uint64_t a, uint64_t b, uint64_t c, const char *s) {
    trace_event e = {.ts = nanotime(), .type = type, .a = a, .b = b, .c = c, .s = s};
    if (p) {
        critical_begin();
        append(&p->trace, p->id, &e);
        critical_end();
    } else {
        lock_acquire(&shared_lock);
        append(&shared_buf, -1, &e);
        lock_release(&shared_lock);
    }
}

void trace_switch_slow(goc_p *p, goc_g *g, int action, goc_g *next) {
    static const uint8_t why[] = {
        [SW_PARK] = TSTOP_PARK, [SW_YIELD] = TSTOP_YIELD, [SW_PREEMPT] = TSTOP_PREEMPT,
        [SW_EXIT] = TSTOP_EXIT,
    };
    /* A goroutine leaving a blocking section without a P ended its run on
     * one when the section began. */
    if (action != SW_BLOCKING_EXIT)
        trace_emit(p, TEV_GO_STOP, (uint64_t)g->id, why[action], 0,
                   action == SW_PARK ? g->waitreason : NULL);
    if (next)
        trace_emit(p, TEV_GO_START, (uint64_t)next->id, (uint64_t)(uintptr_t)next->fn, 0, NULL);
}

void trace_gc_phase_slow(const char *name, uint32_t cycle, int64_t begin, int64_t end) {
    trace_emit(sched_p(), TEV_SPAN, (uint64_t)begin, (uint64_t)end, cycle, name);
}

int goc_trace_start(FILE *f) {
    if (!f)
        return -EINVAL;
    sched_ensure_started();
    goc_mutex_lock(&control);
    if (running) {
        goc_mutex_unlock(&control);
        return -EBUSY;
    }
    running = true;
    tracew_start(f, nanotime());
    stw_stop("trace start");
    astore(&trace_on, true, memory_order_relaxed);
    stw_start();
    goc_mutex_unlock(&control);
    return 0;
}

void goc_trace_stop(void) {
    sched_ensure_started();
    goc_mutex_lock(&control);
    if (!running) {
        goc_mutex_unlock(&control);
        return;
    }
    stw_stop("trace stop");
    lock_acquire(&shared_lock);
    astore(&trace_on, false, memory_order_relaxed);
    trace_buf *shared = shared_buf;
    shared_buf = NULL;
    lock_release(&shared_lock);
    if (shared)
        tracew_queue(shared);
    /* Ps beyond GOMAXPROCS keep their records (and buffers) too. */
    for (int32_t i = 0; i < MAX_PROCS && sched.allp[i]; i++) {
        goc_p *p = sched.allp[i];
        if (p->trace)
            tracew_queue(p->trace);
        p->trace = NULL;
    }
    stw_start();
    /* Writing out what is left may take a while: not with our P. */
    goc_blocking_begin();
    tracew_stop();
    goc_blocking_end();
    running = false;
    if (env_file) {
        fclose(env_file);
        env_file = NULL;
    }
    goc_mutex_unlock(&control);
}

/* Before the first goroutine: nothing runs yet that could be mid-event. */
void trace_env_start(void) {
    const char *path = godebug_string("trace");
    if (!path || !*path)
        return;
    env_file = fopen(path, "w");
    if (!env_file) {
        fprintf(stderr, "goc: ignoring GODEBUG trace=%s: %s\n", path, strerror(errno));
        return;
    }
    running = true;
    tracew_start(env_file, nanotime());
    astore(&trace_on, true, memory_order_relaxed);
}

void trace_main_exit(void) {
    goc_mutex_lock(&control);
    bool from_env = env_file != NULL;
    goc_mutex_unlock(&control);
    if (from_env)
        goc_trace_stop();
}
