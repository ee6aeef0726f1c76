/* SPDX-License-Identifier: MIT */
/* Goroutines: creation, switching, parking, readying, exit; goc_main. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/hugemap.h"
#include "sched/diag.h"
#include "sched/env.h"
#include "sched/chan.h"
#include "sched/internal.h"
#include "sched/trace.h"

goc_sched sched;
static pthread_once_t runtime_once = PTHREAD_ONCE_INIT;

enum { GFREE_LOCAL_MAX = 64, GFREE_BATCH = 32 };

/* ---- start-up ------------------------------------------------------------ */

static int count_cpus(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int goc_num_cpu(void) {
    static _Atomic int ncpu;   /* threads may race to fill it in, with the same value */
    int n = aload(&ncpu, memory_order_relaxed);
    if (!n) {
        n = count_cpus();
        astore(&ncpu, n, memory_order_relaxed);
    }
    return n;
}

static int32_t current_procs(void) { return aload(&sched.nprocs, memory_order_relaxed); }

void (*_Atomic sched_start_hook)(void);

static void runtime_init_once(void) {
    chan_bias_init();   /* before any goroutine or foreign thread takes a channel lock */
    env_init();
    diag_report_install();
    mem_set_procs_source(current_procs);
    sched.start_time = nanotime();
    sched.allp = meta_calloc(MAX_PROCS, sizeof(goc_p *));
    int32_t n = goc_env.gomaxprocs > 0 ? (int32_t)goc_env.gomaxprocs : goc_num_cpu();
    if (n > MAX_PROCS)
        n = MAX_PROCS;
    signals_init();
    lock_acquire(&sched.lock);
    procresize(n);
    lock_release(&sched.lock);
    sched.started = true;
    sysmon_start();
    deadlock_init();   /* after our first thread: sanitizers start theirs then */
    void (*hook)(void) = aload(&sched_start_hook, memory_order_acquire);
    if (hook)
        hook();
    trace_env_start();
}

void runtime_init(void) { pthread_once(&runtime_once, runtime_init_once); }
void sched_ensure_started(void) {
    if (unlikely(!aload(&sched.started, memory_order_acquire)))
        runtime_init();
}

/* ---- goroutine records ---------------------------------------------------- */

/* Dead Gs move between a P's list and the global pool GFREE_BATCH at a
 * time under one lock, as Go's gfget/gfput do: with one P creating
 * goroutines and another finishing them, a G at a time made the lock (and
 * its cache line) bounce between the cores on every spawn. */
static goc_g *gfree_get(goc_p *p) {
    goc_g *batch[GFREE_BATCH];
    if (!p) {
        lock_acquire(&sched.gfree_lock);
        uint32_t got = gq_pop_n(&sched.gfree, batch, 1);
        astore(&sched.ngfree, sched.ngfree - (int32_t)got, memory_order_relaxed);
        lock_release(&sched.gfree_lock);
        return got ? batch[0] : NULL;
    }
    if (!p->gfree && aload(&sched.ngfree, memory_order_relaxed) > 0) {
        lock_acquire(&sched.gfree_lock);
        uint32_t got = gq_pop_n(&sched.gfree, batch, GFREE_BATCH);
        astore(&sched.ngfree, sched.ngfree - (int32_t)got, memory_order_relaxed);
        lock_release(&sched.gfree_lock);
        /* Linked outside the lock: each G is a cache miss here. */
        for (uint32_t i = 0; i < got; i++) {
            batch[i]->schedlink = p->gfree;
            p->gfree = batch[i];
        }
        p->ngfree += (int32_t)got;
    }
    goc_g *g = p->gfree;
    if (g) {
        p->gfree = g->schedlink;
        p->ngfree--;
    }
    return g;
}

/* Move Gs from p's list to the global pool until p keeps keep of them. */
void gfree_spill(goc_p *p, int32_t keep) {
    goc_g *batch[GFREE_BATCH];
    while (p->ngfree > keep) {
        uint32_t n = 0;
        while (p->ngfree > keep && n < GFREE_BATCH) {
            batch[n++] = p->gfree;
            p->gfree = p->gfree->schedlink;
            p->ngfree--;
        }
        lock_acquire(&sched.gfree_lock);
        gq_push_n(&sched.gfree, batch, n);
        astore(&sched.ngfree, sched.ngfree + (int32_t)n, memory_order_relaxed);
        lock_release(&sched.gfree_lock);
    }
}

static void gfree_link(goc_p *p, goc_g *g);

/* A dead G's stack goes to its P's cache; the G record to the free list. */
void gfree_put(goc_p *p, goc_g *g) {
    free(g->name);
    g->name = NULL;
    /* The cache feeds new goroutines: only stacks of their starting size. */
    if (p && p->nstack_cache < STACK_CACHE_SIZE && stack_is_start_size(&g->stack))
        p->stack_cache[p->nstack_cache++] = g->stack;
    else
        stack_free(&g->stack);
    memset(&g->stack, 0, sizeof g->stack);
    g->ctx.sp = NULL;
    gfree_link(p, g);
}

/* A dead, stackless G goes on p's free list (the global one without a P). */
static void gfree_link(goc_p *p, goc_g *g) {
    if (!p) {
        lock_acquire(&sched.gfree_lock);
        gq_push(&sched.gfree, g);
        astore(&sched.ngfree, sched.ngfree + 1, memory_order_relaxed);
        lock_release(&sched.gfree_lock);
        return;
    }
    g->schedlink = p->gfree;
    p->gfree = g;
    p->ngfree++;
    if (p->ngfree >= GFREE_LOCAL_MAX)
        gfree_spill(p, GFREE_LOCAL_MAX - GFREE_BATCH);
}

/* G records are allocated G_CHUNK_BYTES at a time, their pages backed in
 * one system call: a spawning burst that outruns the free lists otherwise
 * took a page fault every dozen records (12 us each on the 2-core VM of
 * bench/README.md, a quarter of spawn's time at GOMAXPROCS=1).  Past
 * G_HUGE_AFTER records, chunks are huge pages (base/hugemap.h): a million
 * goroutines' records are 350 MB, and touching them 4 KiB at a time was a
 * tenth of the time bench/stack_parked takes to start them. */
#define G_CHUNK_BYTES ((size_t)32 << 10)
#define G_HUGE_AFTER  (HUGE_PAGE_BYTES / sizeof(goc_g))
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23   /* Linux 5.14; older kernels refuse it, harmlessly */
#endif

/* A chunk of zeroed records, populated; its length in *n. */
static goc_g *g_chunk(int *n) {
    if ((size_t)aload(&sched.nallg, memory_order_relaxed) >= G_HUGE_AFTER) {
        goc_g *chunk = huge_map(HUGE_PAGE_BYTES);
        if (chunk) {
            *n = (int)(HUGE_PAGE_BYTES / sizeof(goc_g));
            return chunk;
        }
    }
    /* Records are never freed, so the chunk can start at the first page
     * boundary of the allocation (jemalloc offsets large ones at random
     * within their first page); madvise wants a page-aligned range. */
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t raw = (uintptr_t)meta_calloc(1, G_CHUNK_BYTES + page);
    goc_g *chunk = (goc_g *)((raw + page - 1) & ~(page - 1));
    madvise(chunk, G_CHUNK_BYTES, MADV_POPULATE_WRITE);   /* best effort */
    *n = (int)(G_CHUNK_BYTES / sizeof(goc_g));
    return chunk;
}

/* Called by newproc with the free lists empty: returns one new G and puts
 * the rest of its chunk on them, dead and stackless like finished ones. */
static goc_g *g_alloc(goc_p *p) {
    int n;
    goc_g *chunk = g_chunk(&n);
    for (int i = 1; i < n; i++)
        astore(&chunk[i].status, G_DEAD, memory_order_relaxed);
    lock_acquire(&sched.allg_lock);
    chunk[0].allnext = sched.allg;
    for (int i = 1; i < n; i++)
        chunk[i].allnext = &chunk[i - 1];
    /* Published: sysmon and tracebacks walk the list without the lock. */
    astore(&sched.allg, &chunk[n - 1], memory_order_release);
    astore(&sched.nallg, sched.nallg + n, memory_order_relaxed);   /* read without the lock */
    lock_release(&sched.allg_lock);
    for (int i = n - 1; i > 0; i--)
        gfree_link(p, &chunk[i]);
    return &chunk[0];
}

static void g_main(void *arg);

/* A G gets its stack when it first runs, not when it is created: a burst
 * of go() calls then costs no stack memory until the goroutines start, and
 * they start on stacks just released by finished ones. */
static void g_new_stack(goc_p *p, goc_g *g, goc_stack *out) {
    /* Stacks start small and grow by moving; one that may not move gets
     * the fixed size at once. */
    bool fixed = g->flags & GOC_STACK_FIXED;
    size_t start = stack_start_size();
    size_t size = fixed ? 0 : start;
    if (g->stack_hint > start)
        size = g->stack_hint;   /* a hint above the start skips early moves */
    /* The cache may still hold stacks of a start size since adapted. */
    out->hi = 0;
    while (size == start && p && p->nstack_cache > 0 && !out->hi) {
        goc_stack cached = p->stack_cache[--p->nstack_cache];
        if (stack_is_start_size(&cached))
            *out = cached;
        else
            stack_free(&cached);
    }
    if (!out->hi && stack_alloc(size, out) != 0)
        fatal("out of memory allocating a stack for goroutine %lld", (long long)g->id);
}

/* Before g runs: a stack if it has none yet, a slot for its frames if a
 * collection packed them (stack/pack.c).  On g0 (execute), or on the stack
 * of a goroutine that is exiting (switch_to, SW_EXIT): done on the stack
 * of a goroutine that will resume, an address in g's new stack left in a
 * register would be saved with that goroutine's context, and the
 * conservative scan of the next collection would take it for a pointer
 * into g's stack and never shrink or pack it.  An exiting goroutine's
 * context is never saved. */
static void g_prepare_stack(goc_p *p, goc_g *g) {
    if (unlikely(!g->ctx.sp)) {
        g_new_stack(p, g, &g->stack);
        ctx_make(&g->ctx, &g->stack, g_main, g);
    } else if (unlikely(g->stack_packed)) {
        goc_stack slot;
        g_new_stack(p, g, &slot);
        stack_unpack(g, &slot);
    }
}

/* An exiting goroutine's switch to next, which may be new (next_local):
 * its stack is prepared here.  Out of line, so that switch_to keeps the
 * small frame it had: that frame is on every parked goroutine's stack, and
 * 16 bytes more there moved the parked stacks of bench/stack_parked past
 * 256 bytes, into packed blocks twice as large (stack/pack.c). */
/* TSan: not instrumented, so that it leaves no frame behind either.  A
 * goroutine that exits never returns from its frames, and TSan keeps them
 * on the fiber's shadow stack, which the G record's next goroutine
 * inherits: tests/go_ids reuses one record 10,000 times, and one frame
 * more per exit took that stack past TSan's limit of 65,536. */
static __attribute__((noinline, noreturn, no_sanitize("thread")))
void exit_to(goc_p *p, goc_g *next) {
    g_prepare_stack(p, next);
    ctx_exit_to(&next->ctx, &next->stack);
}

void sched_for_each_g(void (*fn)(goc_g *g, void *arg), void *arg) {
    lock_acquire(&sched.allg_lock);
    goc_g *head = sched.allg;
    lock_release(&sched.allg_lock);
    /* The list only grows at the head, so walking from a snapshot is safe. */
    for (goc_g *g = head; g; g = g->allnext)
        fn(g, arg);
}

/* ---- goroutine entry and exit ------------------------------------------------ */

static void goexit0(void) __attribute__((noreturn));

static void g_main(void *arg) {
    goc_g *g = arg;
    switch_finish(sched_m());
    /* From here the argument lives on the goroutine's own stack: a record
     * that outlives the goroutine must not keep it reachable. */
    void *fn_arg = g->arg;
    g->arg = NULL;
    g->fn(fn_arg);
    goexit0();
}

static void goexit0(void) {
    goc_m *m = sched_m();
    goc_g *g = m->curg;
    if (!(g->flags & GOC_G_SYSTEM))
        goroutine_count_add(m->p, -1);
    astore(&g->status, G_DEAD, memory_order_release);
    switch_away(m, g, SW_EXIT);
    __builtin_unreachable();
}

void goc_exit(void) {
    goc_m *m = sched_m();
    if (!m || !m->curg)
        throw_panic("goc_exit called from a thread that is not a goroutine");
    goexit0();
}

static int64_t newproc(goc_fn fn, void *arg, const goc_go_opts *opts, uintptr_t caller_pc) {
    if (!fn)
        throw_panic("go of nil func value");
    sched_ensure_started();
    /* A loop that only spawns must still yield to a stop of the world or
     * to sysmon's preemption (it also registers a foreign thread). */
    sched_safepoint();
    goc_m *m = sched_m();
    goc_p *p = m ? m->p : NULL;
    goc_g *parent = m ? m->curg : NULL;
    goc_g *g = gfree_get(p);
    if (!g)
        g = g_alloc(p);
    /* Being set up: tracebacks and dumps skip it until it is runnable. */
    astore(&g->status, G_IDLE, memory_order_relaxed);
    g->fn = fn;
    g->arg = arg;
    g->id = afetch_add(&sched.goidgen, 1, memory_order_relaxed) + 1;
    g->name = opts && opts->name ? strdup(opts->name) : NULL;
    g->flags = opts ? opts->flags : 0;
    g->stack_hint = opts ? opts->stack_size : 0;
    g->creator_pc = caller_pc;
    g->creator_id = parent ? parent->id : 0;
    g->waitreason = NULL;
    g->waitfd = -1;
    g->lockedm = NULL;
    g->lock_count = 0;
    astore(&g->preempt, false, memory_order_relaxed);
    if (!(g->flags & GOC_G_SYSTEM))
        goroutine_count_add(p, 1);
    astore(&g->status, G_RUNNABLE, memory_order_release);
    sched_g_changed(g);
    trace_go_create(p, g);
    int64_t id = g->id;
    if (p) {
        runq_put(p, g, true);
        if (aload(&sched.main_started, memory_order_relaxed))
            wakep_after_publish();
        return id;
    }
    lock_acquire(&sched.lock);
    globrunq_put(g);
    lock_release(&sched.lock);
    sched_wakep();
    return id;
}

int64_t goc_go_with(goc_fn fn, void *arg, const goc_go_opts *opts) {
    return newproc(fn, arg, opts, (uintptr_t)__builtin_return_address(0));
}

int64_t goc_go(goc_fn fn, void *arg) {
    return newproc(fn, arg, NULL, (uintptr_t)__builtin_return_address(0));
}

/* ---- switching ------------------------------------------------------------------
 * A G that stops running cannot finish its own bookkeeping (queueing itself,
 * releasing the lock its waker needs) while still on its stack: another M
 * could resume it before its registers are saved.  It records what is to be
 * done in its M, and the next context to run on that M does it. */

void execute(goc_m *m, goc_g *g) {
    goc_p *p = m->p;
    astore(&g->status, G_RUNNING, memory_order_relaxed);
    sched_g_resuming(g);
    astore(&g->m, m, memory_order_relaxed);
    astore(&m->curg, g, memory_order_release);
    astore(&p->schedtick, p->schedtick + 1, memory_order_relaxed);
    astore(&p->wake_deferred, false, memory_order_relaxed);
    g_prepare_stack(p, g);
    trace_go_start(p, g);
    ctx_switch(&m->g0ctx, &g->ctx, &g->stack);
    switch_finish(sched_m());
}

static goc_g *next_local(goc_m *m, goc_g *prev, enum switch_action action) {
    goc_p *p = m->p;
    if (!p || prev->lockedm || aload(&sched.gcwaiting, memory_order_relaxed))
        return NULL;
    /* The g0 loop looks at the global queue at this same tick (nothing
     * counts a schedule in between): at any other, local queues that never
     * empty would starve the global one. */
    if (p->schedtick % SCHED_FAIRNESS_TICK == 0)
        return NULL;
    if (aload(&p->timer0_when, memory_order_relaxed) != 0)
        return NULL;                          /* timers are run from the g0 loop */
    goc_g *next = runq_get(p);
    /* The collector may be moving next's stack (gc/shrink.c): hold it as
     * running first, as execute does, before reading how its stack is. */
    bool held = next && unlikely(aload(&sched_stack_scans, memory_order_acquire));
    if (held) {
        astore(&next->status, G_RUNNING, memory_order_relaxed);
        sched_g_resuming_slow(next);
    }
    /* A locked G runs on its own M.  One without a stack ready gets it on
     * g0 (g_prepare_stack), except a new one after an exit: each goroutine
     * of a spawning burst then starts straight from the last one's exit,
     * without a trip through g0 and the run queue. */
    if (next && (next->lockedm || next->stack_packed || (!next->ctx.sp && action != SW_EXIT))) {
        if (held)
            astore(&next->status, G_RUNNABLE, memory_order_relaxed);
        runq_put(p, next, true);
        return NULL;
    }
    return next;
}

/* Switch from g to next (a G from the local queue), or to the g0 loop when
 * next is NULL. */
static void switch_to(goc_m *m, goc_g *g, enum switch_action action, goc_g *next) {
    trace_switch(m->p, g, action, next);
    m->switch_prev = g;
    m->switch_action = action;
    astore(&g->m, NULL, memory_order_relaxed);
    if (next) {
        astore(&m->p->schedtick, m->p->schedtick + 1, memory_order_relaxed);
        astore(&m->p->wake_deferred, false, memory_order_relaxed);
        astore(&next->status, G_RUNNING, memory_order_relaxed);
        sched_g_resuming(next);
        astore(&next->m, m, memory_order_relaxed);
        astore(&m->curg, next, memory_order_release);
        if (action == SW_EXIT)
            exit_to(m->p, next);
        ctx_switch(&g->ctx, &next->ctx, &next->stack);
    } else {
        astore(&m->curg, NULL, memory_order_release);
        if (action == SW_EXIT)
            ctx_exit_to(&m->g0ctx, &m->g0stack);
        ctx_switch(&g->ctx, &m->g0ctx, &m->g0stack);
    }
    switch_finish(sched_m());
}

void switch_away(goc_m *m, goc_g *g, enum switch_action action) {
    switch_to(m, g, action, next_local(m, g, action));
}

void switch_finish(goc_m *m) {
    goc_g *prev = m->switch_prev;
    enum switch_action action = (enum switch_action)m->switch_action;
    m->switch_prev = NULL;
    m->switch_action = SW_NONE;
    switch (action) {
    case SW_NONE:
        break;
    case SW_PARK:
        astore(&prev->status, G_WAITING, memory_order_release);
        if (m->park_commit && !m->park_commit(prev, m->park_arg))
            sched_ready(prev);
        m->park_commit = NULL;
        m->park_arg = NULL;
        break;
    case SW_YIELD:
        /* Release, as every status a suspended goroutine gets: a collector
         * that reads the status then reads its stack (sched_g_scan_claim). */
        astore(&prev->status, G_RUNNABLE, memory_order_release);
        runq_put(m->p, prev, false);
        break;
    case SW_PREEMPT: {
        /* Suspended, not yet queued: still G_RUNNING, so no collector
         * claims it, and no M can run it. */
        uint32_t cycle = axchg(&prev->scan_request, 0, memory_order_acq_rel);
        void (*copy)(goc_g *, uint32_t) = aload(&sched_stack_copy_hook, memory_order_acquire);
        if (cycle && copy)
            copy(prev, cycle);
        astore(&prev->status, G_RUNNABLE, memory_order_release);
        lock_acquire(&sched.lock);
        globrunq_put(prev);
        lock_release(&sched.lock);
        break;
    }
    case SW_EXIT:
        if (prev->lockedm) {
            /* Go ends a thread whose goroutine exits while wired to it;
             * goc returns the thread to the pool instead, unwired. */
            prev->lockedm = NULL;
            m->lockedg = NULL;
        }
        gfree_put(m->p, prev);
        break;
    case SW_MAIN_EXIT:
        main_exit_finish(m, prev);
        break;
    case SW_BLOCKING_EXIT: {
        astore(&prev->status, G_RUNNABLE, memory_order_release);
        /* A P may have gone idle since goc_blocking_end found none, its M
         * having seen an empty global queue: look again in the critical
         * section that queues prev, or nobody might ever run it. */
        lock_acquire(&sched.lock);
        globrunq_put(prev);
        goc_p *p = aload(&sched.gcwaiting, memory_order_relaxed) ? NULL : pidle_get();
        lock_release(&sched.lock);
        if (p)
            acquirep(m, p);
        break;
    }
    }
}

/* ---- parking and readying ------------------------------------------------------ */

bool sched_commit_unlock(goc_g *g, void *lock) {
    (void)g;
    lock_release(lock);
    return true;
}

static void park(goc_park_commit commit, void *arg, const char *reason, int fd) {
    goc_m *m = sched_m();
    goc_g *g = m ? m->curg : NULL;
    if (!g) {
        foreign_park(sched_getg(), commit, arg);
        return;
    }
    /* Inside a blocking section the M has no P: the G parks from it all the
     * same, resumes wherever a P is, and re-enters its section. */
    bool in_blocking = m->p == NULL;
    if (in_blocking)
        afetch_sub(&sched.nblocking, 1, memory_order_relaxed);
    g->waitreason = reason;
    g->waitfd = fd;
    astore(&g->waitsince, 0, memory_order_relaxed);
    astore(&g->io_ready, false, memory_order_relaxed);
    m->park_commit = commit;
    m->park_arg = arg;
    switch_away(m, g, SW_PARK);
    if (in_blocking)
        goc_blocking_begin();
}

void sched_park(goc_park_commit commit, void *arg, const char *reason) {
    park(commit, arg, reason, -1);
}

void sched_park_io(goc_park_commit commit, void *arg, int fd) {
    park(commit, arg, "IO wait", fd);
}

void sched_ready(goc_g *g) {
    if (g->is_thread) {
        foreign_ready(g);
        return;
    }
    /* Only the waker moves a parked G on (the collector claims stacks
     * through gc_scan, never status), and it found g through a structure
     * whose lock or atomic the park's commit released after storing
     * G_WAITING: a checked load and a store do, where a compare-exchange
     * stalled on the cold line of the G (a quarter of a 503-goroutine
     * ring's time at GOMAXPROCS=1). */
    uint32_t status = aload(&g->status, memory_order_relaxed);
    if (unlikely(status != G_WAITING))
        fatal("bad g status %u readying goroutine %lld", status, (long long)g->id);
    astore(&g->status, G_RUNNABLE, memory_order_release);
    sched_g_changed(g);
    goc_p *p = sched_p();
    trace_go_unblock(p, g, sched_curg());
    if (p) {
        /* Alone in runnext, g runs on this P as soon as the current
         * goroutine blocks, which a goroutine that readies another mostly
         * does next (a ping-pong, a ring, a consumer draining a buffer
         * after readying its producer).  Waking an M for it then costs
         * the futex wake-up here, and the woken M spins and steals g,
         * splitting the pair across CPUs (a buffered channel's producer
         * and consumer took 4 times as long per item at GOMAXPROCS=2).
         * An M is woken only if the P has not scheduled by sysmon's next
         * look (sysmon.c, preempt_long_runners), as long as sysmon looks
         * often (internal.h, DEFERRED_WAKE_NAP_US).  With GOMAXPROCS=1 no
         * P is ever idle while this one runs: nothing to defer.  The
         * runtime's goroutines (the collector, the sweeper) are readied by
         * goroutines that go on allocating: they get an M at once. */
        if (aload(&sched.nprocs, memory_order_relaxed) > 1 && !(g->flags & GOC_G_SYSTEM) &&
            runq_put_lone_next(p, g)) {
            if (!aload(&lone_readies, memory_order_relaxed))
                astore(&lone_readies, true, memory_order_relaxed);
            if (aload(&sysmon_nap_us, memory_order_relaxed) <= DEFERRED_WAKE_NAP_US) {
                astore(&p->wake_deferred, true, memory_order_relaxed);
                return;
            }
            sched_wakep();   /* with its fence: runnext was stored plainly */
            return;
        }
        runq_put(p, g, true);
        wakep_after_publish();
        return;
    }
    lock_acquire(&sched.lock);
    globrunq_put(g);
    lock_release(&sched.lock);
    sched_wakep();
}

void sched_inject_glist(goc_g *list) {
    while (list) {
        goc_g *next = list->schedlink;
        sched_ready(list);
        list = next;
    }
}

goc_g *sched_getg(void) {
    goc_m *m = sched_m();
    if (m && m->curg)
        return m->curg;
    return foreign_g();
}

/* ---- yielding and safe points ---------------------------------------------------- */

void goc_yield(void) {
    goc_m *m = sched_m();
    goc_g *g = m ? m->curg : NULL;
    if (!g || !m->p) {   /* a foreign thread, or inside a blocking section */
        sched_yield();
        return;
    }
    goc_g *next = next_local(m, g, SW_YIELD);
    goc_p *p = m->p;
    /* Nothing else can run here: yielding would come straight back. */
    if (!next && aload(&sched.runqsize, memory_order_relaxed) == 0 &&
        !aload(&sched.gcwaiting, memory_order_relaxed) &&
        aload(&p->timer0_when, memory_order_relaxed) == 0 &&
        runq_empty(p))   /* next_local may have declined a G wired to another M */
        return;
    switch_to(m, g, SW_YIELD, next);
}

void sched_safepoint_slow(void) {
    goc_m *m = sched_m();
    goc_g *g = m->curg;
    if (!m->p)
        return;   /* inside a blocking section: the world does not wait for us */
    astore(&g->preempt, false, memory_order_relaxed);
    switch_away(m, g, SW_PREEMPT);
}

/* ---- queries ------------------------------------------------------------------------ */

int64_t goc_self(void) {
    goc_g *g = sched_curg();
    return g ? g->id : 0;
}

int64_t goroutine_count(void) {
    int64_t n = aload(&sched.ngoroutine, memory_order_relaxed);
    int32_t nprocs = aload(&sched.nprocs, memory_order_acquire);
    for (int32_t i = 0; i < nprocs; i++)
        n += aload(&sched.allp[i]->ngoroutine, memory_order_relaxed);
    return n > 0 ? n : 0;
}

int goc_num_goroutine(void) {
    int64_t n = goroutine_count();
    return n < INT_MAX ? (int)n : INT_MAX;
}

/* ---- goc_main ----------------------------------------------------------------------
 * The main thread becomes M0, but runs its scheduler loop on a stack of its
 * own: goc_main's frame stays suspended in main_ctx, and when goroutine 1
 * returns, the M running it resumes that frame (on whatever thread it is),
 * leaves the scheduler, and goc_main returns the status to C's main. */

typedef struct main_call {
    int (*fn)(int, char **);
    int argc;
    char **argv;
    int status;
    goc_ctx ctx;          /* goc_main's suspended frame */
    goc_stack stack;      /* the main thread's own stack */
} main_call;
static main_call main_call_state;

static void main_goroutine(void *arg) {
    main_call *call = arg;
    call->status = call->fn(call->argc, call->argv);
    trace_main_exit();
    astore(&sched.main_returned, true, memory_order_relaxed);
    goc_m *m = sched_m();
    goc_g *g = m->curg;
    if (!(g->flags & GOC_G_SYSTEM))
        goroutine_count_add(m->p, -1);
    astore(&g->status, G_DEAD, memory_order_release);
    m->switch_prev = g;
    m->switch_action = SW_MAIN_EXIT;
    astore(&m->curg, NULL, memory_order_release);
    astore(&g->m, NULL, memory_order_relaxed);
    ctx_exit_to(&call->ctx, &call->stack);
}

static void m0_start(void *arg) {
    goc_m *m = arg;
    m_loop(m);
}

/* Runs on goc_main's resumed frame: this M stops being one. */
void main_exit_finish(goc_m *m, goc_g *g) {
    if (g->lockedm) {
        g->lockedm = NULL;
        m->lockedg = NULL;
    }
    gfree_put(m->p, g);
    handoffp(releasep(m));
    lock_acquire(&sched.lock);
    mcount--;
    lock_release(&sched.lock);
    sched_set_m(NULL);
}

int goc_main(int (*main_fn)(int argc, char **argv), int argc, char **argv) {
    main_call *call = &main_call_state;
    sched_ensure_started();
    if (sched.main_started)
        throw_panic("goc_main called twice");
    call->fn = main_fn;
    call->argc = argc;
    call->argv = argv;
    foreign_leave();
    goc_m *m = m_alloc();
    m_init_current(m);
    call->stack = m->g0stack;
    if (stack_alloc(0, &m->g0stack) != 0)
        fatal("out of memory allocating the main scheduler stack");
    lock_acquire(&sched.lock);
    goc_p *p = pidle_get();
    lock_release(&sched.lock);
    if (p)
        acquirep(m, p);
    newproc(main_goroutine, call, NULL, 0);
    astore(&sched.main_started, true, memory_order_relaxed);
    ctx_make(&m->g0ctx, &m->g0stack, m0_start, m);
    ctx_switch(&call->ctx, &m->g0ctx, &m->g0stack);
    switch_finish(sched_m());
    return call->status;
}
