/* SPDX-License-Identifier: MIT */
/* Goroutine leak reports (Go 1.26's goroutineleak profile): a goroutine
 * blocked on a channel, a select, a mutex, an rwmutex, a cond or a
 * waitgroup that nothing outside the blocked goroutines can reach can
 * never be woken, since its waker would need that object.
 *
 * At mark termination (world stopped, the cycle's own mark done), a second
 * mark from scratch (GC_MARK_LEAK: the verifying mark's bitmap, so the
 * real mark bits, and what the sweep frees, are untouched) starts from
 * every root but the stacks and runtime records of those blocked goroutines
 * (the candidates).  A candidate any of whose waited objects it reached may
 * be woken: its stack and records become roots and the mark goes on, until
 * a round adds no candidate.  The rest are leaked, each with everything
 * only it and the other leaked ones reach.
 *
 * Conservative as the collector: an object outside the collected heap (a
 * mutex in a global, in malloc'd memory, on a stack) counts as reached, as
 * does every object a stale word happens to point to.  A report may miss a
 * leak; it never names a goroutine that a pointer the program holds could
 * wake.  A goroutine waiting on nothing (a nil channel, a select without a
 * channel) is always leaked, as in Go. */
#include <stdio.h>

#include "base/fatal.h"
#include "gc/gc.h"
#include "mem/mem.h"
#include "sched/diag.h"
#include "sched/env.h"
#include "sched/sched.h"

/* What a candidate waits on: the channels of its sudogs (g->waiting; none
 * for a nil channel or a select without channels), or g->waitobj. */
enum wait_kind { WAIT_NOT_CANDIDATE, WAIT_CHANNELS, WAIT_OBJECT };

/* The wait reasons of the waits a reachable object's holder can end (sched/
 * chan.c, select.c, mutex.c, rwmutex.c, waitgroup.c, sema.c).  Sleeps, I/O
 * and the runtime's own waits end by other means. */
static const struct {
    const char *reason;
    enum wait_kind kind;
} waits[] = {
    {waitreason_chan_receive, WAIT_CHANNELS},
    {waitreason_chan_send, WAIT_CHANNELS},
    {waitreason_select, WAIT_CHANNELS},
    {waitreason_chan_receive_nil, WAIT_CHANNELS},
    {waitreason_chan_send_nil, WAIT_CHANNELS},
    {waitreason_select_no_cases, WAIT_CHANNELS},
    {waitreason_mutex, WAIT_OBJECT},
    {waitreason_rwmutex_rlock, WAIT_OBJECT},
    {waitreason_rwmutex_lock, WAIT_OBJECT},
    {waitreason_cond, WAIT_OBJECT},
    {waitreason_waitgroup, WAIT_OBJECT},
};

/* Parked goroutines of the program only: a locked goroutine's thread, a
 * foreign thread and the runtime's goroutines are always roots. */
static enum wait_kind wait_kind_of(const goc_g *g) {
    if (aload(&g->status, memory_order_relaxed) != G_WAITING || g->is_thread || g->lockedm ||
        (g->flags & GOC_G_SYSTEM) || !g->waitreason)
        return WAIT_NOT_CANDIDATE;
    for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++)
        if (g->waitreason == waits[i].reason)
            return waits[i].kind;
    return WAIT_NOT_CANDIDATE;
}

static bool is_candidate(const goc_g *g) { return wait_kind_of(g) != WAIT_NOT_CANDIDATE; }

/* The collector's, world stopped: candidates [0, nleaked) are still
 * unreached, the rest were found wakeable. */
static struct {
    goc_g **g;
    size_t  n, cap, nleaked;
} cands;

static void collect(goc_g *g, void *arg) {
    (void)arg;
    if (!is_candidate(g))
        return;
    if (cands.n == cands.cap)
        cands.g = mem_meta_grow(cands.g, &cands.cap, cands.n, sizeof *cands.g, 64);
    cands.g[cands.n++] = g;
}

/* Whether the leak mark reached p, or p lies outside the collected heap. */
static bool reached(const void *p) {
    mem_span *s = mem_span_of(p);
    if (!s)
        return true;
    uint32_t i = span_object_index(s, (uintptr_t)p);
    if (i >= s->nelems || !span_slot_allocated(s, i))
        return true;
    return aload(&s->check_bits[i >> 6], memory_order_relaxed) >> (i & 63) & 1;
}

static bool may_wake(const goc_g *g) {
    if (wait_kind_of(g) == WAIT_OBJECT)
        return reached(g->waitobj);
    for (const goc_sudog *s = g->waiting; s; s = s->waitlink)
        if (reached(s->chan))
            return true;
    return false;
}

static void clear_check_bits(mem_span *s, void *arg) {
    (void)arg;
    for (uint32_t w = 0; w < s->nwords; w++)
        astore(&s->check_bits[w], 0, memory_order_relaxed);
}

/* Heap sort by id: in place, since with the world stopped a held thread
 * may own malloc's lock (which qsort may take). */
static void sift_down(goc_g **a, size_t root, size_t n) {
    for (size_t child; (child = 2 * root + 1) < n; root = child) {
        if (child + 1 < n && a[child + 1]->id > a[child]->id)
            child++;
        if (a[root]->id >= a[child]->id)
            return;
        goc_g *t = a[root];
        a[root] = a[child];
        a[child] = t;
    }
}

static void sort_by_id(goc_g **a, size_t n) {
    for (size_t i = n / 2; i-- > 0;)
        sift_down(a, i, n);
    for (size_t end = n; end-- > 1;) {
        goc_g *t = a[0];
        a[0] = a[end];
        a[end] = t;
        sift_down(a, 0, end);
    }
}

/* Leaves the leaked goroutines in cands.g[0, nleaked), oldest first. */
static void find_leaked(uint32_t cycle) {
    cands.n = 0;
    sched_for_each_g(collect, NULL);
    cands.nleaked = cands.n;
    if (!cands.n)
        return;
    /* The verifying mark of this cycle used the same bits. */
    if (goc_env.gccheckmark)
        mem_for_each_span(clear_check_bits, NULL);
    /* Queueing roots counts the stacks and globals it sees, figures the
     * cycle's pacing is computed from afterwards. */
    uint64_t stacks = gc_stack_scan_bytes, globals = gc_globals_scan_bytes,
             rescanned = gc_stack_rescan_bytes;
    gc_mark_begin(cycle);
    gc_queue_roots_except(is_candidate);
    for (bool woke = true; woke;) {
        gc_mark_run(GC_MARK_LEAK);
        woke = false;
        gc_mark_begin(cycle);
        for (size_t i = 0; i < cands.nleaked;) {
            goc_g *g = cands.g[i];
            if (!may_wake(g)) {
                i++;
                continue;
            }
            gc_queue_g_roots(g);
            cands.g[i] = cands.g[--cands.nleaked];
            cands.g[cands.nleaked] = g;
            woke = true;
        }
    }
    gc_stack_scan_bytes = stacks;
    gc_globals_scan_bytes = globals;
    gc_stack_rescan_bytes = rescanned;
    sort_by_id(cands.g, cands.nleaked);
}

/* The report of this cycle, from mark termination to gc_leak_cycle_done
 * (the collector's). */
static diag_capture pending;
static int pending_count;
static bool pending_asked;

/* goc_dump_leaked_goroutines's request, and the report made for it. */
static _Atomic bool asked;
static goc_lock report_lock = GOC_LOCK_INIT;
static diag_capture report;     /* report_lock; taken by the one who asked */
static int report_count;        /* report_lock */
static goc_mutex askers;        /* one request at a time */

void gc_leak_mark_termination(uint32_t cycle) {
    pending_asked = axchg(&asked, false, memory_order_seq_cst);
    if (!pending_asked && !goc_env.goroutineleak)
        return;
    find_leaked(cycle);
    pending_count = (int)cands.nleaked;
    if (pending_count)
        sched_dump_capture(&pending, cands.g, cands.nleaked, " (leaked)");
}

void gc_leak_cycle_done(uint32_t n) {
    if (goc_env.goroutineleak && pending_count) {
        char head[128];
        int len = snprintf(head, sizeof head,
                           "goroutineleak: %d goroutine%s can never wake up (after gc %u)\n",
                           pending_count, pending_count == 1 ? "" : "s", n);
        diag_write_stderr(head, len > 0 ? (size_t)len : 0);
        diag_write_stderr(pending.buf, pending.len);
        static const char truncated[] = "...report truncated: out of memory\n";
        if (pending.truncated)
            diag_write_stderr(truncated, sizeof truncated - 1);
    }
    if (pending_asked) {
        lock_acquire(&report_lock);
        diag_capture_free(&report);
        report = pending;
        report_count = pending_count;
        lock_release(&report_lock);
    } else {
        diag_capture_free(&pending);
    }
    pending = (diag_capture){0};
    pending_count = 0;
    pending_asked = false;
}

int goc_dump_leaked_goroutines(FILE *out) {
    goc_mutex_lock(&askers);
    astore(&asked, true, memory_order_seq_cst);
    /* A cycle that started after the call; the request may be served by
     * the one running now, if it has not passed its mark yet: either
     * reports the goroutines leaked at some moment after the call. */
    gc_collect(GC_REASON_FORCED);
    lock_acquire(&report_lock);
    diag_capture r = report;
    int n = report_count;
    report = (diag_capture){0};
    report_count = 0;
    lock_release(&report_lock);
    goc_mutex_unlock(&askers);
    if (r.len)   /* no leak: no buffer, and fwrite wants one */
        fwrite(r.buf, 1, r.len, out);
    if (r.truncated)
        fputs("...report truncated: out of memory\n", out);
    fflush(out);
    diag_capture_free(&r);
    return n;
}
