/* SPDX-License-Identifier: MIT */
/* Execution traces: recording events into per-P buffers, starting and
 * stopping (see sched/trace.h; the file is written by tracewrite.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "sched/env.h"
#include "sched/internal.h"
#include "sched/trace.h"

_Atomic bool trace_on;
uint64_t *trace_pnamed;

static goc_lock shared_lock = GOC_LOCK_INIT;
static trace_buf *shared_buf;        /* shared_lock: events without a P */
static goc_mutex control;            /* one start or stop at a time */
static bool running;                 /* control */
static FILE *env_file;               /* GODEBUG=trace's, closed at the end */

const uint8_t trace_stop_of[] = {
    [SW_PARK] = TSTOP_PARK, [SW_YIELD] = TSTOP_YIELD, [SW_PREEMPT] = TSTOP_PREEMPT,
    [SW_EXIT] = TSTOP_EXIT, [SW_MAIN_EXIT] = TSTOP_EXIT,
    /* Leaving a blocking section without a P: the run on one ended when
     * the section began. */
    [SW_BLOCKING_EXIT] = TRACE_RUN_ENDED,
};

/* In the caller's critical section (trace_record). */
void trace_record_slow(goc_p *p, int64_t now, uint32_t type, const uint64_t *arg) {
    trace_buf **slot = p ? &p->trace : &shared_buf;
    if (!p)
        lock_acquire(&shared_lock);
    if (aload(&trace_on, memory_order_relaxed)) {
        trace_buf *b = *slot;
        if (b && b->n > TRACE_BUF_BYTES - TRACE_RECORD_MAX) {
            tracew_queue(b);
            b = NULL;
        }
        if (!b)
            *slot = b = tracew_buf_get(p ? p->id : -1);
        trace_encode(b, p, now, type, arg);
    }
    if (!p)
        lock_release(&shared_lock);
}

/* Before the trace starts: no P knows a name of its file yet. */
static void pnamed_reset(void) {
    size_t row = TRACE_PNAMED * sizeof *trace_pnamed;
    if (!trace_pnamed)
        trace_pnamed = meta_calloc(MAX_PROCS, row);
    for (int32_t i = 0; i < MAX_PROCS && sched.allp[i]; i++)
        memset(&trace_pnamed[(size_t)i * TRACE_PNAMED], 0, row);
}

void trace_gc_phase_slow(const char *name, uint32_t cycle, int64_t begin, int64_t end) {
    trace_record(sched_p(), cputicks(), TEV_SPAN, (uint64_t)begin, (uint64_t)end, cycle,
                 trace_key(name));
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
    tracew_start(f);
    stw_stop("trace start");
    pnamed_reset();
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
    tracew_start(env_file);
    pnamed_reset();
    astore(&trace_on, true, memory_order_relaxed);
}

void trace_main_exit(void) {
    goc_mutex_lock(&control);
    bool from_env = env_file != NULL;
    goc_mutex_unlock(&control);
    if (from_env)
        goc_trace_stop();
}
