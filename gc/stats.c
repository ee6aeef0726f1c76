/* SPDX-License-Identifier: MIT */
/* What the collector adds to goc_read_memstats (runtime.MemStats's GC
 * fields), recorded at the end of every cycle under stats_lock. */
#include <string.h>
#include <time.h>

#include "gc/gc.h"
#include "mem/mem.h"
#include "sched/env.h"
#include "sched/sched.h"
#include "stack/stack.h"

int64_t gc_process_start;
_Atomic int64_t gc_cpu_total_ns;

static goc_lock stats_lock = GOC_LOCK_INIT;
static struct {
    uint32_t num_gc, num_forced_gc;
    uint64_t last_gc_unix_ns;
    uint64_t pause_total_ns;
    uint64_t pause_ns[256];
    uint64_t concurrent;
    uint64_t pauses, pause_max_ns, pause_hist[GOC_GC_HIST_BUCKETS];
    uint64_t stops, stop_max_ns, stop_hist[GOC_GC_HIST_BUCKETS];
} gcs;   /* stats_lock */

/* stats_lock held. */
static void histogram_add(uint64_t hist[GOC_GC_HIST_BUCKETS], uint64_t *count, uint64_t *max,
                          int64_t ns) {
    uint64_t v = ns > 0 ? (uint64_t)ns : 0;
    int k = v ? 63 - __builtin_clzll(v) : 0;
    hist[k < GOC_GC_HIST_BUCKETS ? k : GOC_GC_HIST_BUCKETS - 1]++;
    (*count)++;
    if (v > *max)
        *max = v;
}

/* The duration below which a share q of a histogram's entries lie, to
 * the resolution of its buckets (the upper edge of the bucket). */
static uint64_t histogram_quantile(const uint64_t hist[GOC_GC_HIST_BUCKETS], uint64_t count,
                                   double q) {
    uint64_t want = (uint64_t)((double)count * q + 0.5), seen = 0;
    for (int k = 0; k < GOC_GC_HIST_BUCKETS; k++) {
        seen += hist[k];
        if (seen >= want && seen)
            return (uint64_t)1 << (k + 1);
    }
    return 0;
}

/* gctrace's @seconds and the CPU fraction count from the start. */
__attribute__((constructor)) static void note_process_start(void) { gc_process_start = nanotime(); }

static uint64_t unix_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Go's gc_cpu_fraction: the collector's CPU over all the CPU the Ps could
 * have used since the program started. */
static double cpu_fraction(int64_t now, int32_t nprocs) {
    int64_t elapsed = now - gc_process_start;
    if (elapsed <= 0 || nprocs <= 0)
        return 0;
    double f = (double)aload(&gc_cpu_total_ns, memory_order_seq_cst) / ((double)elapsed * nprocs);
    /* The concurrent mark runs on the collector's own thread, beside every
     * P (at GOMAXPROCS=1 on two cores, a whole core of it): its share of
     * the Ps' time can pass 1, which Go's, whose workers take Ps, cannot.
     * Reported capped, as a share. */
    return f < 1 ? f : 1;
}

uint32_t gc_stats_cycle_done(const gc_cycle_stats *c) {
    afetch_add(&gc_cpu_total_ns, c->cpu_stw + c->cpu_mark + c->cpu_assist + c->cpu_markterm, memory_order_seq_cst);
    lock_acquire(&stats_lock);
    uint32_t n = ++gcs.num_gc;
    if (c->forced)
        gcs.num_forced_gc++;
    gcs.last_gc_unix_ns = unix_ns();
    /* As Go: a cycle's entry is the sum of its pauses. */
    uint64_t pause = (uint64_t)(c->stw_ns[0] + c->stw_ns[1]);
    gcs.pause_ns[(n + 255) % 256] = pause;
    gcs.pause_total_ns += pause;
    gcs.concurrent += c->concurrent;
    for (int i = 0; i < 2; i++) {
        if (i == 1 && !c->concurrent)
            break;   /* a stop-the-world cycle pauses once */
        histogram_add(gcs.pause_hist, &gcs.pauses, &gcs.pause_max_ns, c->stw_ns[i]);
        histogram_add(gcs.stop_hist, &gcs.stops, &gcs.stop_max_ns, c->stop_ns[i]);
    }
    gc_pause_summary summary = {
        .p50 = histogram_quantile(gcs.pause_hist, gcs.pauses, 0.50),
        .p99 = histogram_quantile(gcs.pause_hist, gcs.pauses, 0.99),
        .max = gcs.pause_max_ns,
        .stop_p99 = histogram_quantile(gcs.stop_hist, gcs.stops, 0.99),
        .stop_max = gcs.stop_max_ns,
    };
    lock_release(&stats_lock);
    gc_trace_phases(c, n);
    if (goc_env.gctrace > 0) {
        gc_cycle_stats numbered = *c;
        numbered.n = n;
        gc_trace_print(&numbered, cpu_fraction(c->t_end, c->nprocs), &summary);
    }
    return n;
}

void goc_read_gc_stats(goc_gc_stats *out) {
    memset(out, 0, sizeof *out);
    lock_acquire(&stats_lock);
    out->num_gc = gcs.num_gc;
    out->concurrent = gcs.concurrent;
    out->pauses = gcs.pauses;
    out->pause_max_ns = gcs.pause_max_ns;
    memcpy(out->pause_hist, gcs.pause_hist, sizeof out->pause_hist);
    out->stops = gcs.stops;
    out->stop_max_ns = gcs.stop_max_ns;
    memcpy(out->stop_hist, gcs.stop_hist, sizeof out->stop_hist);
    lock_release(&stats_lock);
    out->mark_mode = gc_stw_mark ? "stw" : gc_dirty_mode_name();
}

void goc_read_memstats(goc_memstats *out) {
    memset(out, 0, sizeof *out);
    /* As runtime.ReadMemStats: with the world stopped, nobody allocates or
     * sweeps meanwhile, so the figures agree with each other exactly. */
    stw_stop("read mem stats");
    mem_read_stats(out);
    stack_stats(&out->stack_inuse, &out->stack_sys);
    out->sys += out->stack_sys;
    stw_start();
    out->next_gc = gc_heap_goal();
    lock_acquire(&stats_lock);
    out->num_gc = gcs.num_gc;
    out->num_forced_gc = gcs.num_forced_gc;
    out->last_gc = gcs.last_gc_unix_ns;
    out->pause_total_ns = gcs.pause_total_ns;
    memcpy(out->pause_ns, gcs.pause_ns, sizeof out->pause_ns);
    lock_release(&stats_lock);
    out->gc_cpu_fraction = cpu_fraction(nanotime(), aload(&sched.nprocs, memory_order_acquire));
}
