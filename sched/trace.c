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

static goc_lock shared_lock = GOC_LOCK_INIT;
static trace_buf *shared_buf;        /* shared_lock: events without a P */
static goc_mutex control;            /* one start or stop at a time */
static bool running;                 /* control */
static FILE *env_file;               /* GODEBUG=trace's, closed at the end */

/* The writer thread read the buffer's lines the last time round, so each
 * first store to a line waits for the other core to give it up, and the
 * next locked instruction on the scheduler's path waits for that store:
 * 3 to 4x the cost of a traced ping-pong without this.  Asking for the
 * line a few hundred bytes ahead hides the wait. */
enum { TRACE_PREFETCH_AHEAD = 512 };

/* In a critical section: a world stopped to start or stop the trace never
 * holds a thread halfway through an event.  The flag is read again here,
 * inside the section: the caller may have read it before a stop. */
static void append(trace_buf **slot, int32_t pid, const uint64_t *w, uint32_t n) {
    if (!aload(&trace_on, memory_order_relaxed))
        return;
    trace_buf *b = *slot;
    if (b && b->n + n > TRACE_BUF_WORDS) {
        tracew_queue(b);
        b = NULL;
    }
    if (!b)
        *slot = b = tracew_buf_get(pid);
    memcpy(b->w + b->n, w, n * sizeof *w);
    b->n += n;
    prefetch_for_write((const char *)b->w + b->n * sizeof *w + TRACE_PREFETCH_AHEAD);
}

static void record(goc_p *p, const uint64_t *w, uint32_t n) {
    if (p) {
        critical_begin();
        append(&p->trace, p->id, w, n);
        critical_end();
    } else {
        lock_acquire(&shared_lock);
        append(&shared_buf, -1, w, n);
        lock_release(&shared_lock);
    }
}

static uint64_t stamp(uint32_t type) {
    return (uint64_t)(cputicks() - trace_origin) << 8 | type;
}

void trace_emit(goc_p *p, uint32_t type, uint64_t a, uint64_t b) {
    uint64_t w[3] = {stamp(type), a, b};
    record(p, w, 3);
}

/* The stop and the start share one clock reading. */
void trace_switch_slow(goc_p *p, goc_g *g, int action, goc_g *next) {
    static const uint8_t why[] = {
        [SW_PARK] = TSTOP_PARK, [SW_YIELD] = TSTOP_YIELD, [SW_PREEMPT] = TSTOP_PREEMPT,
        [SW_EXIT] = TSTOP_EXIT, [SW_MAIN_EXIT] = TSTOP_EXIT,
    };
    uint64_t w[6], t = stamp(0);
    uint32_t n = 0;
    /* A goroutine leaving a blocking section without a P ended its run on
     * one when the section began. */
    if (action != SW_BLOCKING_EXIT) {
        w[n++] = t | TEV_GO_STOP | (uint64_t)why[action] << 4;
        w[n++] = (uint64_t)g->id;
        w[n++] = action == SW_PARK ? (uint64_t)(uintptr_t)g->waitreason : 0;
    }
    if (next) {
        w[n++] = t | TEV_GO_START;
        w[n++] = (uint64_t)next->id;
        w[n++] = (uint64_t)(uintptr_t)next->fn;
    }
    if (n)
        record(p, w, n);
}

void trace_gc_phase_slow(const char *name, uint32_t cycle, int64_t begin, int64_t end) {
    uint64_t w[5] = {stamp(TEV_SPAN), (uint64_t)begin, (uint64_t)end, cycle,
                     (uint64_t)(uintptr_t)name};
    record(sched_p(), w, 5);
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
    astore(&trace_on, true, memory_order_relaxed);
}

void trace_main_exit(void) {
    goc_mutex_lock(&control);
    bool from_env = env_file != NULL;
    goc_mutex_unlock(&control);
    if (from_env)
        goc_trace_stop();
}
