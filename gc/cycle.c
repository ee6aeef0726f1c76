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
#include "mem/mem.h"
#include "sched/env.h"
#include "sched/sched.h"
#include "stack/stack.h"

_Atomic int gc_phase;
bool gc_stw_sweep, gc_stw_mark;
void (*gc_test_before_checkmark)(void);

/* Requests: bits of (1 << gc_reason) posted to the collector goroutine's
 * waiter.  Completions: counted under cycle_mu, so goc_gc waits for a
 * cycle that started after it asked, as runtime.GC does. */
static gc_waiter requests = {.reason = "GC worker (idle)"};
static _Atomic bool collector_running;
static _Atomic bool in_cycle;   /* from taking requests to the restart after the last pause */
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

/* Names a cycle for the stack reads of concurrent marking (never 0; kept
 * shifted by one bit in goc_g.gc_scan).  Collector goroutine only. */
static uint32_t cycle_number;

/* Closed when the concurrent mark of the running cycle ends: a goroutine
 * that allocates past the goal meanwhile waits on it (gc_trigger_slow).  A
 * global, so the collector sees the channel as program data. */
static goc_chan *_Atomic mark_done;
/* Closed when the next cycle has passed its first pause: the goroutine
 * whose allocation triggered it waits on it, so that it does not allocate
 * on until the collector gets a thread (Go's allocating goroutine runs
 * gcStart itself).  Replaced by the collector before each cycle's start
 * can be requested. */
static goc_chan *_Atomic next_start;
static goc_chan *following_start;   /* next_start's successor, made early in a cycle */
static goc_g *collector_g;
/* When an allocation first found the heap at its goal during this
 * concurrent mark (0: none did); from then on allocation waited. */
static _Atomic int64_t goal_reached_at;

/* Concurrent marks rescan the pages written during the last round until
 * few are left for the pause to rescan, or this many rounds went by. */
#define HARVEST_ROUNDS_MAX 8
#define HARVEST_PAGES_FEW  64
#define HARVEST_STACKS_FEW 16
/* Bytes an assist marks between looks at whether the mark is over. */
#define ASSIST_BYTES ((int64_t)64 << 10)

/* Sweep termination, the first pause of every cycle: the last cycle's
 * spans are swept before the stop, so the pause does not pay for them. */
static void sweep_termination(gc_cycle_stats *c) {
    gc_sweep_finish();
    c->t_start = nanotime();
    stw_stop("GC");
    c->stop_ns[0] = nanotime() - c->t_start;
    gc_sweep_finish();
    c->nprocs = procs_now();
    c->heap0 = aload(&mem_heap_live, memory_order_relaxed);
    (void)mem_black_bytes_take();
}

/* Mark termination once nothing grey is left (world stopped): live holds
 * the bytes the mark found. */
static void mark_termination(gc_cycle_stats *c, uint64_t live, uint64_t mark_alloc) {
    live += gc_finalizers_queue_unreachable();
    if (goc_env.gccheckmark) {
        /* A second, independent mark from scratch: every object it reaches
         * must carry the first mark's bit (gc/mark.c stops otherwise). */
        gc_stack_span = 0;
        if (gc_test_before_checkmark)
            gc_test_before_checkmark();
        gc_mark_begin(cycle_number);
        gc_queue_roots();
        gc_mark_run(GC_MARK_CHECK);
    }
    mem_set_allocate_black(false);
    c->heap1 = aload(&mem_heap_live, memory_order_relaxed);
    if (!c->concurrent)
        gc_shrink_stacks(0);
    gc_leak_mark_termination(cycle_number);
    mem_caches_flush();
    /* Objects allocated black stay until the next cycle though no mark
     * found them: the heap holds them, the goal does not grow by them (it
     * is what the roots reached when the mark began, times 1 + GOGC/100,
     * as a stop-the-world collector would compute; counting the churn of
     * the mark's own duration would raise every next goal by it). */
    uint64_t reached = live;
    live += mem_black_bytes_take();
    astore(&mem_heap_live, live, memory_order_relaxed);
    mem_sweep_start();
    /* GODEBUG=gcstoptheworld=2: sweep before anyone allocates again, as
     * Go's sweep mode of the same name. */
    if (gc_stw_sweep) {
        mem_sweep_file();
        gc_sweep_finish();
    }
    c->heap2 = live;
    c->stacks = gc_stack_scan_bytes;
    c->globals = gc_globals_scan_bytes;
    gc_pacer_set_goal(reached, c->stacks, c->globals, mark_alloc);
    c->goal = gc_heap_goal();
    astore(&gc_phase, GC_OFF, memory_order_seq_cst);
    c->t_end = nanotime();
}

/* The world runs again after the cycle's last pause: allocation may ask
 * for the next cycle from here on, while the collector finishes its own
 * bookkeeping (a request meanwhile is taken as soon as it is done). */
static void cycle_released(void) {
    astore(&next_start, following_start, memory_order_seq_cst);
    astore(&in_cycle, false, memory_order_seq_cst);
}

/* A cycle whose mark stops the world throughout (GODEBUG=gcdirty=stw,
 * gcstoptheworld=1, or no write tracking in this kernel). */
static void run_cycle_stw(gc_cycle_stats *c) {
    sweep_termination(c);
    c->t_mark = nanotime();
    astore(&gc_phase, GC_MARK, memory_order_seq_cst);
    mem_set_allocate_black(true);
    gc_mark_begin(cycle_number);
    gc_stack_candidates_begin();
    gc_queue_roots();
    int64_t cpu0 = gc_mark_cpu_total_ns();
    uint64_t live = gc_mark_run(GC_MARK_STW);
    c->cpu_mark = gc_mark_cpu_total_ns() - cpu0;
    c->t_markterm = nanotime();
    astore(&gc_phase, GC_MARKTERM, memory_order_seq_cst);
    mark_termination(c, live, 0);
    stw_start();
    goc_chan_close(aload(&next_start, memory_order_seq_cst));
    cycle_released();
    /* All Ps stood still for the pauses; the mark's CPU is its workers'. */
    c->cpu_stw = (c->t_mark - c->t_start) * c->nprocs;
    c->cpu_markterm = (c->t_end - c->t_markterm) * c->nprocs;
    c->stw_ns[0] = c->t_end - c->t_start;
}

/* One round of a concurrent mark: the heap pages written and the stacks
 * that ran since the last one are read again and marked from; true when
 * the round found few of either. */
static bool concurrent_round(gc_cycle_stats *c, uint64_t *live) {
    gc_queue_harvest();
    size_t stacks = gc_queue_stacks_changed(cycle_number);
    *live += gc_mark_run(GC_MARK_CONCURRENT);
    size_t pages = gc_mark_dirty_pages();
    c->dirty_pages += pages;
    c->stacks_reread += stacks;
    c->rounds++;
    return pages <= HARVEST_PAGES_FEW && stacks <= HARVEST_STACKS_FEW;
}

/* What the program allocated during the mark, for the next trigger.  Once
 * the heap reached the goal, allocation waited for the mark's end, and
 * before, goroutines spent some of the mark on their assists: the bytes
 * allocated, at the rate of the time left free, over the whole mark.  Counting
 * only what got through would start the next mark later still, and stall
 * the program longer (1 GiB live: 50 MiB counted of a 400 ms mark, stalls
 * of 350-600 ms every cycle). */
static uint64_t mark_runway(const gc_cycle_stats *c) {
    uint64_t now_live = aload(&mem_heap_live, memory_order_relaxed);
    uint64_t alloc = now_live > c->heap0 ? now_live - c->heap0 : 0;
    int64_t reached = axchg(&goal_reached_at, 0, memory_order_relaxed);
    int64_t whole = c->t_markterm - c->t_mark, free = reached ? reached - c->t_mark : whole;
    /* Time the program spent paying for its allocation, spread over the
     * Ps, did not allocate either. */
    int64_t paying = (c->cpu_assist + c->assist_wait_ns) / (c->nprocs > 0 ? c->nprocs : 1);
    if (whole - paying < free)
        free = whole - paying;
    if (free >= whole)
        return alloc;
    /* At most 16 times what got through: a mark that hit the goal at once
     * says little about the rate. */
    if (free < whole / 16)
        free = whole / 16;
    return (uint64_t)((double)alloc * (double)whole / (double)free);
}

/* Go's shape: short pauses around a mark that runs beside the program,
 * with the heap's writes tracked (gc/dirty.c) and rescanned. */
static void run_cycle_concurrent(gc_cycle_stats *c) {
    astore(&mark_done, goc_chan_make(0, 0), memory_order_seq_cst);
    sweep_termination(c);
    astore(&gc_phase, GC_MARK, memory_order_seq_cst);
    sched_changed_begin(cycle_number);
    astore(&sched_stack_scans, true, memory_order_seq_cst);
    c->t_mark = nanotime();
    c->stw_ns[0] = c->t_mark - c->t_start;
    astore(&goal_reached_at, 0, memory_order_relaxed);
    stw_start();
    goc_chan_close(aload(&next_start, memory_order_seq_cst));

    /* The collector's P goes to the program while it marks. */
    goc_blocking_begin();
    /* Before any stack or object is read: every word the mark reads is
     * checked against the stacks that may move. */
    gc_stack_candidates_begin();
    /* Order matters: writes are tracked before any object is scanned and
     * before allocation turns black (a black object is never scanned
     * unless its page shows a write), and the heap's bounds are read after
     * that (objects beyond them are black). */
    gc_dirty_start();
    mem_set_allocate_black(true);
    gc_mark_begin(cycle_number);
    gc_assist_cycle_begin(cycle_number);
    gc_queue_roots_concurrent();
    int64_t cpu0 = gc_mark_cpu_total_ns(), assist0 = gc_mark_assist_cpu_total_ns();
    uint64_t live = gc_mark_run(GC_MARK_CONCURRENT);
    gc_assist_settle();
    live += gc_mark_running_stacks(cycle_number);
    /* Every stack once (the rounds read some again): what the pacer's
     * stack term counts, with what the pause reads added. */
    uint64_t stacks_once = gc_stack_scan_bytes;
    for (int round = 0; round < HARVEST_ROUNDS_MAX; round++)
        if (concurrent_round(c, &live))
            break;
    sched_preempt_one();
    goc_blocking_end();
    /* Getting a P back can take a while with every P busy, and the pause
     * rescans all that was written meanwhile: one more round first. */
    concurrent_round(c, &live);
    c->cpu_mark = gc_mark_cpu_total_ns() - cpu0;
    c->cpu_assist = gc_mark_assist_cpu_total_ns() - assist0;
    gc_assist_cycle_figures(&c->assist_bytes, &c->assist_wait_ns);

    c->t_markterm = nanotime();
    stw_stop("GC");
    c->stop_ns[1] = nanotime() - c->t_markterm;
    astore(&gc_phase, GC_MARKTERM, memory_order_seq_cst);
    gc_mark_begin(cycle_number);
    gc_stack_scan_bytes = stacks_once;
    /* The pass over the goroutines first: one thread takes it while the
     * others harvest.  The threads woken for this join as they come; none
     * is waited for (a wake-up on a busy machine can take milliseconds). */
    gc_queue_roots_termination(cycle_number);
    gc_queue_harvest();
    live += gc_mark_run(GC_MARK_STW);
    c->last_dirty_pages = gc_mark_dirty_pages();
    c->last_stack_bytes = gc_stack_rescan_bytes;
    gc_shrink_keep_moved(cycle_number);
    mark_termination(c, live, mark_runway(c));
    stw_start();
    cycle_released();
    c->stw_ns[1] = c->t_end - c->t_markterm;
    c->cpu_stw = c->stw_ns[0] * c->nprocs;
    c->cpu_markterm = c->stw_ns[1] * c->nprocs;
    goc_chan_close(aload(&mark_done, memory_order_seq_cst));
    gc_dirty_stop();
    gc_shrink_stacks(cycle_number);
    astore(&sched_stack_scans, false, memory_order_seq_cst);
}

static void run_cycle(int reason) {
    gc_cycle_stats c = {.forced = reason == GC_REASON_FORCED};
    cycle_number = (cycle_number + 1) & 0x7fffffff;
    if (!cycle_number)
        cycle_number = 1;
    c.concurrent = !gc_stw_mark && gc_dirty_usable();
    following_start = goc_chan_make(0, 0);
    if (c.concurrent)
        run_cycle_concurrent(&c);
    else
        run_cycle_stw(&c);
    gc_shrink_release();
    /* Before the cycle counts as finished: goc_gc returns with the sweep
     * done, and the next cycle's sweep termination finds every span. */
    if (!gc_stw_sweep)
        mem_sweep_file();
    gc_leak_cycle_done(gc_stats_cycle_done(&c));
    gc_finalizers_wake();
    gc_sweeper_wake();
}

/* Two goroutines that cross the trigger together both ask for a cycle;
 * the second request, taken after the first one's cycle, finds the heap
 * under the new trigger, and a cycle then would be a wasted one (binary-
 * trees: every other cycle, each from a heap far under its goal).  Go
 * checks its trigger again as gcStart begins.  A request someone waits on
 * to finish (goc_gc; an allocation when marks stop the world) always runs. */
static bool stale_heap_request(uint32_t reasons) {
    if (reasons != 1u << GC_REASON_HEAP ||
        aload(&mem_heap_live, memory_order_relaxed) >= aload(&gc_trigger, memory_order_relaxed))
        return false;
    lock_acquire(&cycle_lock);
    bool awaited = cycle_waiters != NULL;
    lock_release(&cycle_lock);
    return !awaited;
}

/* Lets the goroutines that wait for the next cycle's start go on, as if it
 * had started (in_cycle set: the allocation here asks for nothing). */
static void release_start_waiters(void) {
    goc_chan *waited = axchg(&next_start, goc_chan_make(0, 0), memory_order_seq_cst);
    goc_chan_close(waited);
}

static void collector(void *arg) {
    (void)arg;
    collector_g = sched_curg();
    /* Its concurrent mark reads nothing a stopped world protects from it
     * (goc_read_memstats, a traceback): it need not be held meanwhile. */
    collector_g->stw_exempt = true;
    astore(&collector_g->never_preempt, true, memory_order_relaxed);
    astore(&collector_running, true, memory_order_seq_cst);
    astore(&next_start, goc_chan_make(0, 0), memory_order_seq_cst);
    for (;;) {
        uint32_t reasons = gc_waiter_wait(&requests);
        astore(&in_cycle, true, memory_order_seq_cst);
        if (stale_heap_request(reasons)) {
            release_start_waiters();
            astore(&in_cycle, false, memory_order_seq_cst);
            continue;
        }
        lock_acquire(&cycle_lock);
        cycles_started++;
        lock_release(&cycle_lock);
        run_cycle(reasons & (1u << GC_REASON_FORCED) ? GC_REASON_FORCED : GC_REASON_HEAP);
        astore(&last_cycle_end, nanotime(), memory_order_seq_cst);
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

void gc_mark_wait_end(void) {
    goc_chan *done = aload(&mark_done, memory_order_seq_cst);
    if (done && sched_curg() != collector_g && aload(&gc_phase, memory_order_seq_cst) == GC_MARK)
        goc_chan_recv(done, NULL);
}

void gc_trigger_slow(void) {
    static _Atomic bool triggering;
    if (aload(&in_cycle, memory_order_seq_cst)) {
        /* A concurrent mark is running and the heap reached its goal: the
         * allocating goroutine marks grey objects as long as there are any
         * to take, then waits for the mark to end, so that a fast allocator
         * cannot outrun it.  (Before the goal, allocation pays for itself
         * in proportion, gc/assist.c.) */
        goc_chan *done = aload(&mark_done, memory_order_seq_cst);
        if (!done || sched_curg() == collector_g ||
            aload(&mem_heap_live, memory_order_relaxed) < gc_heap_goal())
            return;
        int64_t none = 0;
        acas(&goal_reached_at, &none, nanotime(), memory_order_relaxed, memory_order_relaxed);
        gc_mark_boost();
        while (aload(&gc_phase, memory_order_seq_cst) == GC_MARK) {
            if (!gc_mark_assist(ASSIST_BYTES, sched_p()->id)) {
                goc_chan_recv(done, NULL);
                break;
            }
        }
        return;
    }
    if (aload(&requests.pending, memory_order_seq_cst))
        return;
    if (!gc_stw_mark && gc_dirty_mode != GC_DIRTY_STW) {
        goc_chan *started = aload(&next_start, memory_order_seq_cst);
        gc_start_async(GC_REASON_HEAP);
        /* No channel yet: the collector, just started, has not run.  With
         * one P it gets the P only when this goroutine lets go of it, and
         * an allocator that never blocked went on until its request merged
         * with the next goc_gc's into one forced cycle (tests/gc_trace
         * under TSan). */
        if (started)
            goc_chan_recv(started, NULL);
        else
            goc_yield();
        return;
    }
    if (axchg(&triggering, true, memory_order_seq_cst))
        return;
    /* When the mark stops the world, every byte allocated before the world
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
