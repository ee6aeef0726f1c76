/* SPDX-License-Identifier: MIT */
/* Collection cycles: who starts them, and the phases of one (see gc/gc.h).
 *
 * Cycles run on the collector goroutine, as Go's run on its workers: the
 * goroutine that asked parks meanwhile (goc_gc), or goes on allocating
 * until the world stops (a heap trigger).  Requests and completions are
 * counted under cycle_mu, so goc_gc waits for a cycle that started after
 * it was called, as runtime.GC does. */
#include <stdio.h>

#include "gc/gc.h"
#include "gc/heapprof.h"
#include "mem/mem.h"
#include "sched/env.h"
#include "sched/sched.h"
#include "stack/stack.h"

_Atomic int gc_phase;
bool gc_stw_sweep;
void (*gc_test_before_checkmark)(void);

/* Requests: bits of (1 << gc_reason) posted to the collector goroutine's
 * waiter.  Completions: counted under cycle_mu, so goc_gc waits for a
 * cycle that started after it asked, as runtime.GC does. */
static gc_waiter requests = {.reason = "GC worker (idle)"};
static _Atomic bool collector_running;
static _Atomic bool in_cycle;   /* from taking requests to the cycle's end */
/* Goroutines waiting for a cycle to finish park on a channel of their own,
 * closed when it does: a channel, not a condition variable, because a
 * condition variable's waiter list would point into the waiters' stacks
 * and pin them against shrinking.  The records are heap objects linked
 * from a global, so the collector sees them as any program data. */
typedef struct cycle_waiter {
    struct cycle_waiter *next;
    goc_chan            *done;
    uint32_t             want;    /* finished once cycles_finished reaches it */
} cycle_waiter;
static goc_lock cycle_lock = GOC_LOCK_INIT;
static uint32_t cycles_started, cycles_finished;    /* cycle_lock */
static cycle_waiter *cycle_waiters;                 /* cycle_lock */
static pthread_once_t collector_once = PTHREAD_ONCE_INIT;
static _Atomic int64_t last_cycle_end;

/* Go's forcegcperiod: a program that allocates too little to reach its
 * goal still collects (and so scavenges, and runs finalizers). */
#define PERIODIC_NS (120 * (int64_t)1000000000)

static int32_t procs_now(void) { return aload(&sched.nprocs, memory_order_acquire); }

/* The work of one cycle, world stopped throughout (Go's
 * GODEBUG=gcstoptheworld=1 shape; the next step makes the mark concurrent). */
static void run_cycle(int reason) {
    gc_cycle_stats c = {.forced = reason == GC_REASON_FORCED};
    /* Sweep termination: the last cycle's spans are swept before the stop,
     * so the pause does not pay for them. */
    gc_sweep_finish();
    c.t_start = nanotime();
    stw_stop("GC");
    c.stop_ns[0] = nanotime() - c.t_start;
    gc_sweep_finish();
    c.nprocs = procs_now();
    c.heap0 = aload(&mem_heap_live, memory_order_relaxed);

    c.t_mark = nanotime();
    astore(&gc_phase, GC_MARK, memory_order_seq_cst);
    mem_set_allocate_black(true);
    gc_mark_begin();
    gc_stack_candidates_begin();
    gc_queue_roots();
    uint64_t live = gc_mark_run(false);
    c.cpu_mark = gc_mark_cpu_ns();

    c.t_markterm = nanotime();
    astore(&gc_phase, GC_MARKTERM, memory_order_seq_cst);
    live += gc_finalizers_queue_unreachable();
    heapprof_cycle();
    if (goc_env.gccheckmark) {
        /* A second, independent mark from scratch: every object it reaches
         * must carry the first mark's bit (gc/mark.c stops otherwise). */
        gc_stack_span = 0;
        if (gc_test_before_checkmark)
            gc_test_before_checkmark();
        gc_mark_begin();
        gc_queue_roots();
        gc_mark_run(true);
    }
    mem_set_allocate_black(false);
    c.heap1 = aload(&mem_heap_live, memory_order_relaxed);
    gc_shrink_stacks();
    mem_caches_flush();
    astore(&mem_heap_live, live, memory_order_relaxed);
    mem_sweep_start();
    /* GODEBUG=gcstoptheworld=2: sweep before anyone allocates again, as
     * Go's sweep mode of the same name (the mark is stop-the-world here
     * whatever =1 asks). */
    if (gc_stw_sweep)
        gc_sweep_finish();
    c.heap2 = live;
    c.stacks = gc_stack_scan_bytes;
    c.globals = gc_globals_scan_bytes;
    gc_pacer_set_goal(live, c.stacks, c.globals);
    c.goal = gc_heap_goal();
    astore(&gc_phase, GC_OFF, memory_order_seq_cst);
    c.t_end = nanotime();
    stw_start();
    /* All Ps stood still for the pauses; the mark's CPU is its workers'. */
    c.cpu_stw = (c.t_mark - c.t_start) * c.nprocs;
    c.cpu_markterm = (c.t_end - c.t_markterm) * c.nprocs;
    c.stw_ns[0] = c.t_end - c.t_start;
    gc_stats_cycle_done(&c);
    gc_finalizers_wake();
    gc_sweeper_wake();
}

static void collector(void *arg) {
    (void)arg;
    astore(&collector_running, true, memory_order_seq_cst);
    for (;;) {
        uint32_t reasons = gc_waiter_wait(&requests);
        astore(&in_cycle, true, memory_order_seq_cst);
        lock_acquire(&cycle_lock);
        cycles_started++;
        lock_release(&cycle_lock);
        run_cycle(reasons & (1u << GC_REASON_FORCED) ? GC_REASON_FORCED : GC_REASON_HEAP);
        astore(&last_cycle_end, nanotime(), memory_order_seq_cst);
        astore(&in_cycle, false, memory_order_seq_cst);
        lock_acquire(&cycle_lock);
        cycles_finished++;
        cycle_waiter *done = NULL;
        for (cycle_waiter **link = &cycle_waiters; *link;) {
            cycle_waiter *w = *link;
            if ((int32_t)(cycles_finished - w->want) < 0) {
                link = &w->next;
                continue;
            }
            *link = w->next;
            w->next = done;
            done = w;
        }
        lock_release(&cycle_lock);
        for (; done; done = done->next)
            goc_chan_close(done->done);
    }
}

/* Called by sysmon (a thread that is no goroutine) as it looks around. */
static goc_g *periodic_check(int64_t now) {
    int64_t last = aload(&last_cycle_end, memory_order_relaxed);
    if (gc_percent() < 0 || now - last < PERIODIC_NS || !aload(&collector_running, memory_order_seq_cst))
        return NULL;
    astore(&last_cycle_end, now, memory_order_relaxed);
    return gc_waiter_post(&requests, 1u << GC_REASON_PERIODIC);
}

static void collector_start(void) {
    astore(&last_cycle_end, nanotime(), memory_order_seq_cst);
    goc_go_with(collector, NULL,
                &(goc_go_opts){.name = "GC", .flags = GOC_G_SYSTEM});
    astore(&sched_sysmon_gc_hook, periodic_check, memory_order_seq_cst);
}

void gc_start_async(int reason) {
    pthread_once(&collector_once, collector_start);
    gc_waiter_wake(&requests, 1u << reason);
}

void gc_collect(int reason) {
    pthread_once(&collector_once, collector_start);
    cycle_waiter *w = goc_alloc(sizeof *w);
    w->done = goc_chan_make(0, 0);
    lock_acquire(&cycle_lock);
    w->want = cycles_started + 1;
    w->next = cycle_waiters;
    cycle_waiters = w;
    lock_release(&cycle_lock);
    gc_start_async(reason);
    goc_chan_recv(w->done, NULL);
}

void gc_trigger_slow(void) {
    static _Atomic bool triggering;
    if (aload(&in_cycle, memory_order_seq_cst) || aload(&requests.pending, memory_order_seq_cst) ||
        axchg(&triggering, true, memory_order_seq_cst))
        return;
    /* In this stop-the-world design every byte allocated before the world
     * stops overshoots the goal: the goroutine that crossed the trigger
     * waits for the cycle instead of allocating on while the collector's
     * goroutine gets a thread (yielding let it run on another P until then:
     * up to 3 MiB past the trigger at GOMAXPROCS=2, gc_pacer).  The flag
     * keeps gc_collect's own allocations from asking again. */
    gc_collect(GC_REASON_HEAP);
    astore(&triggering, false, memory_order_seq_cst);
}

void goc_gc(void) {
    gc_collect(GC_REASON_FORCED);
    /* runtime.GC returns with the sweep done, so that the heap figures a
     * program reads next describe the collection it asked for. */
    gc_sweep_finish();
}

void goc_free_os_memory(void) {
    goc_gc();
    mem_scavenge(SIZE_MAX);
}

void goc_keep_alive(const void *p) {
    /* The pointer is live, in a register or on the stack, up to here. */
    __asm__ volatile("" : : "r"(p) : "memory");
}
