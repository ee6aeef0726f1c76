/* SPDX-License-Identifier: MIT */
/* Stopping the world, and changing GOMAXPROCS (which needs it).
 * A stopped world: every P is P_STOPPED except the stopper's own; every
 * goroutine is parked or runnable with its registers saved at the top of
 * its stack, or held by the stop signal (sched/suspend.c) with its P kept
 * aside, as is every goroutine in a blocking section and every registered
 * foreign thread. */
#include <time.h>

#include "sched/internal.h"

static goc_mutex stw_mutex;     /* one stopper at a time; parks goroutines */
static int32_t pending_procs;   /* GOMAXPROCS to apply when the world starts */
static _Atomic int64_t last_stop_ns;

int64_t stw_last_stop_ns(void) {
    return aload(&last_stop_ns, memory_order_relaxed);
}

static void preempt_all(void) {
    for (int32_t i = 0; i < aload(&sched.nprocs, memory_order_acquire); i++) {
        goc_p *p = sched.allp[i];
        goc_m *m = aload(&p->m, memory_order_acquire);
        goc_g *g = m ? aload(&m->curg, memory_order_acquire) : NULL;
        if (g && aload(&p->status, memory_order_relaxed) == P_RUNNING)
            astore(&g->preempt, true, memory_order_relaxed);
    }
}

/* Every running goroutine is asked to stop at its next safe point; those
 * that have not after STW_SIGNAL_AFTER_NS (a loop without runtime calls)
 * are held by the signal, which is sent again every STW_RESEND_NS to those
 * it found in a critical section.  Then the threads without a P that can
 * still run C code are held too: goroutines in blocking sections and
 * registered foreign threads. */
/* TSan runs a signal handler late, at the thread's next interceptor, with
 * the registers of the moment the signal came: a goroutine held that way is
 * not scanned exactly (gc_roots and gc_torture failed under TSan).  TSan
 * builds stop running goroutines at their safe points only. */
#ifdef GOC_TSAN
#define GOC_TSAN_RUNS_LATE 1
#else
#define GOC_TSAN_RUNS_LATE 0
#endif

void stw_stop(const char *reason) {
    (void)reason;
    sched_ensure_started();
    if (!sched_m())
        foreign_g();   /* registered, so that it is not held itself */
    goc_mutex_lock(&stw_mutex);
    /* Read after the mutex: waiting for it may have moved this goroutine
     * to another M, and a stopper that took its old M for itself signals
     * and holds its own thread (seen as a hang in gc_torture). */
    goc_m *m = sched_m();
    int64_t start = nanotime();
    lock_acquire(&sched.lock);
    sched.stopwait = sched.nprocs;
    astore(&sched.gcwaiting, 1, memory_order_release);
    suspend_world_begin();
    if (m && m->p) {
        astore(&m->p->status, P_STOPPED, memory_order_relaxed);
        sched.stopwait--;
    }
    goc_p *p;
    while ((p = pidle_get())) {
        astore(&p->status, P_STOPPED, memory_order_relaxed);
        sched.stopwait--;
    }
    int32_t wait = sched.stopwait;
    lock_release(&sched.lock);
    int64_t signal_at = start + STW_SIGNAL_AFTER_NS;
    while (wait > 0) {
        preempt_all();
        note_sleep_until(&sched.stopnote, signal_at);
        note_clear(&sched.stopnote);
        lock_acquire(&sched.lock);
        wait = sched.stopwait;
        lock_release(&sched.lock);
        int64_t now = nanotime();
        if (wait > 0 && now >= signal_at && !GOC_TSAN_RUNS_LATE) {
            suspend_signal_running(m);
            signal_at = now + STW_RESEND_NS;
        }
    }
    suspend_others(m);
    astore(&last_stop_ns, nanotime() - start, memory_order_relaxed);
}

void stw_start(void) {
    goc_m *m = sched_m();
    goc_p *work[MAX_PROCS];
    int nwork = 0;
    lock_acquire(&sched.lock);
    if (pending_procs) {
        procresize(pending_procs);
        pending_procs = 0;
    }
    suspend_resume_held_ps();
    goc_p *mine = m ? m->p : NULL;
    if (mine && mine->id >= sched.nprocs) {
        /* Our P was removed: continue on the first one no goroutine held
         * by the signal keeps (goc_maxprocs made sure there is one). */
        m->p = NULL;
        astore(&mine->m, NULL, memory_order_release);
        int32_t i = 0;
        while (aload(&sched.allp[i]->status, memory_order_relaxed) == P_RUNNING)
            i++;
        mine = sched.allp[i];
        m->p = mine;
        astore(&mine->m, m, memory_order_release);
    }
    for (int32_t i = 0; i < sched.nprocs; i++) {
        goc_p *p = sched.allp[i];
        if (p == mine) {
            astore(&p->status, P_RUNNING, memory_order_relaxed);
            continue;
        }
        if (aload(&p->status, memory_order_relaxed) == P_RUNNING)
            continue;   /* its goroutine, held by the signal, keeps it */
        astore(&p->status, P_IDLE, memory_order_relaxed);
        if (!runq_empty(p))
            work[nwork++] = p;
        else
            pidle_put(p);
    }
    suspend_world_end();
    astore(&sched.gcwaiting, 0, memory_order_release);
    lock_release(&sched.lock);
    suspend_release();
    for (int i = 0; i < nwork; i++)
        startm(work[i], false);
    sched_wakep();
    goc_mutex_unlock(&stw_mutex);
}

void gcstopm(goc_m *m) {
    if (m->spinning) {
        m->spinning = false;
        afetch_sub(&sched.nmspinning, 1, memory_order_relaxed);
    }
    goc_p *p = releasep(m);
    lock_acquire(&sched.lock);
    astore(&p->status, P_STOPPED, memory_order_relaxed);
    if (--sched.stopwait == 0)
        note_wakeup(&sched.stopnote);
    lock_release(&sched.lock);
    stopm(m);
}

static goc_p *p_create(int32_t id) {
    goc_p *p = meta_calloc(1, sizeof *p);
    p->id = id;
    return p;
}

/* Retire a P beyond the new GOMAXPROCS: its work and timers move on. */
static void p_retire(goc_p *p) {
    runq_drain_to_global(p);
    timers_move_all(p, sched.allp[0]);
    gfree_spill(p, 0);
    afetch_add(&sched.ngoroutine, axchg(&p->ngoroutine, 0, memory_order_seq_cst),
                              memory_order_relaxed);
    while (p->nstack_cache > 0)
        stack_free(&p->stack_cache[--p->nstack_cache]);
    mem_cache_destroy(p->mcache);
    p->mcache = NULL;
    astore(&p->status, P_DEAD, memory_order_relaxed);
}

/* sched.lock held; with the world stopped, or at start-up. */
void procresize(int32_t n) {
    int32_t old = sched.nprocs;
    for (int32_t i = 0; i < n; i++) {
        if (!sched.allp[i])
            sched.allp[i] = p_create(i);
        if (i >= old)
            astore(&sched.allp[i]->status, P_STOPPED, memory_order_relaxed);
        if (!sched.allp[i]->mcache)
            sched.allp[i]->mcache = mem_cache_create();
    }
    for (int32_t i = n; i < old; i++)
        p_retire(sched.allp[i]);
    astore(&sched.nprocs, n, memory_order_release);
    if (!sched.started) {
        for (int32_t i = n - 1; i >= 0; i--) {
            astore(&sched.allp[i]->status, P_IDLE, memory_order_relaxed);
            pidle_put(sched.allp[i]);
        }
    }
}

int goc_maxprocs(int n) {
    sched_ensure_started();
    sched_safepoint();
    int prev = aload(&sched.nprocs, memory_order_acquire);
    if (n < 1 || n == prev)
        return prev;
    if (n > MAX_PROCS)
        n = MAX_PROCS;
    /* A goroutine held by the signal keeps its P: one beyond the new count
     * cannot be retired under it.  Let the world run until that goroutine
     * gives its P up at a safe point (one without any never does: the
     * change then waits, as Go's would without asynchronous preemption). */
    for (;;) {
        stw_stop("GOMAXPROCS");
        int32_t nheld, max_id;
        lock_acquire(&sched.lock);
        suspend_held_ps(&nheld, &max_id);
        goc_p *mine = sched_p();
        bool held = max_id >= n || (mine && mine->id >= n && nheld >= n);
        lock_release(&sched.lock);
        if (!held)
            break;
        stw_start();
        nanosleep(&(struct timespec){.tv_nsec = 1000 * 1000}, NULL);
    }
    prev = sched.nprocs;
    pending_procs = n;
    stw_start();
    return prev;
}
