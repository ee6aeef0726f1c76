/* SPDX-License-Identifier: MIT */
/* sysmon: a thread outside the scheduler that watches it.  It flags
 * goroutines that have run for more than 10 ms for preemption at their next
 * safe point, polls I/O nobody has polled for 10 ms, and prints schedtrace.
 * When every P is idle it sleeps until woken, so an idle program stays idle. */
#include <signal.h>
#include <unistd.h>

#include "sched/diag.h"
#include "sched/env.h"
#include "sched/internal.h"

#define PREEMPT_AFTER_NS (10 * 1000 * 1000)
#define POLL_AFTER_NS    (10 * 1000 * 1000)
#define IDLE_SLEEP_NS    (60LL * 1000 * 1000 * 1000)
#define STAMP_EVERY_NS   (10LL * 1000 * 1000 * 1000)

goc_g *(*_Atomic sched_sysmon_gc_hook)(int64_t now);
static goc_note sysmon_note;
static _Atomic uint32_t sysmon_sleeping;

typedef struct p_watch {
    uint32_t schedtick;
    int64_t  since;
} p_watch;
static p_watch watch[MAX_PROCS];

void sysmon_wake(void) {
    if (aload(&sysmon_sleeping, memory_order_relaxed) &&
        axchg(&sysmon_sleeping, 0, memory_order_acq_rel))
        note_wakeup(&sysmon_note);
}

_Atomic uint32_t sysmon_nap_us = UINT32_MAX;
_Atomic bool     lone_readies;

/* Returns true if it flagged anything; *deferring: some P defers a wake. */
static bool preempt_long_runners(int64_t now, bool *deferring) {
    bool flagged = false;
    for (int32_t i = 0; i < aload(&sched.nprocs, memory_order_acquire); i++) {
        goc_p *p = sched.allp[i];
        if (aload(&p->status, memory_order_relaxed) != P_RUNNING)
            continue;
        uint32_t tick = aload(&p->schedtick, memory_order_relaxed);
        if (aload(&p->wake_deferred, memory_order_relaxed)) {
            *deferring = true;
            /* Not scheduled since the last look: the readier runs on, and
             * its G waits unless an M takes it (again at the next look if
             * a spinner that skipped the wake-up went to sleep). */
            if (watch[i].schedtick == tick && aload(&p->runnext, memory_order_relaxed))
                sched_wakep();
        }
        if (watch[i].schedtick != tick) {
            watch[i].schedtick = tick;
            watch[i].since = now;
            continue;
        }
        if (now - watch[i].since < PREEMPT_AFTER_NS)
            continue;
        goc_m *m = aload(&p->m, memory_order_acquire);
        goc_g *g = m ? aload(&m->curg, memory_order_acquire) : NULL;
        if (g && !aload(&g->never_preempt, memory_order_relaxed)) {
            astore(&g->preempt, true, memory_order_relaxed);
            flagged = true;
        }
    }
    return flagged;
}

/* Dumps say how long a goroutine has waited ("[chan receive, 5 minutes]").
 * As Go stamps a wait's start only when its collector first finds the
 * goroutine parked, so that parking reads no clock, sysmon stamps the waits
 * it finds unstamped: the minutes shown are short by up to one look (10 s,
 * or a minute while every P is idle and sysmon sleeps). */
static void stamp_waits(int64_t now) {
    /* No allg_lock, as in traceback_others: the list only grows at its
     * head, and records are reused, never freed. */
    for (goc_g *g = aload(&sched.allg, memory_order_acquire); g; g = g->allnext) {
        uint32_t st = aload(&g->status, memory_order_relaxed);
        int64_t unstamped = 0;
        if (st == G_WAITING || st == G_BLOCKING)
            acas(&g->waitsince, &unstamped, now, memory_order_relaxed, memory_order_relaxed);
    }
    astore(&sched.waits_stamped_at, now, memory_order_relaxed);
}

/* Sysmon is done carrying Gs to the run queues.  An M that went idle
 * meanwhile counted it as a thread that could still make progress, and so
 * did not call the program deadlocked; if nothing was readied, nobody else
 * would look again, and the program hung (tests/go_exit main, once under
 * ASan).  Go's sysmon calls checkdead after its injectglist likewise. */
static void readying_done(void) {
    if (afetch_sub(&sched.nreadying, 1, memory_order_seq_cst) == 1 &&
        aload(&sched.npidle, memory_order_seq_cst) == aload(&sched.nprocs, memory_order_acquire)) {
        lock_acquire(&sched.lock);
        checkdead();
        lock_release(&sched.lock);
    }
}

static void *sysmon_main(void *arg) {
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, NULL);
    int64_t delay_us = 20, last_poll = nanotime(), last_trace = nanotime(), last_stamp = 0;
    int idle_rounds = 0;
    bool deferring = false;
    for (;;) {
        int64_t max_delay_us = deferring ? DEFERRED_WAKE_NAP_US : 10000;
        if (idle_rounds > 50 && delay_us < max_delay_us)
            delay_us *= 2;
        if (delay_us > max_delay_us)
            delay_us = max_delay_us;
        astore(&sysmon_nap_us, (uint32_t)delay_us, memory_order_relaxed);
        usleep((useconds_t)delay_us);
        int64_t now = nanotime();
        if (now - last_stamp >= STAMP_EVERY_NS) {
            last_stamp = now;
            stamp_waits(now);
        }
        goc_g *(*gc_hook)(int64_t) = aload(&sched_sysmon_gc_hook, memory_order_acquire);
        goc_g *collector = gc_hook ? gc_hook(now) : NULL;
        if (collector) {
            /* Counted as able to act meanwhile, as for the poller's Gs. */
            afetch_add(&sched.nreadying, 1, memory_order_seq_cst);
            collector->schedlink = NULL;
            sched_inject_glist(collector);
            readying_done();
        }
        int64_t trace_ns = (int64_t)goc_env.schedtrace_ms * 1000000;
        if (trace_ns > 0 && now - last_trace >= trace_ns) {
            last_trace = now;
            schedtrace_print(goc_env.scheddetail);
        }
        if (trace_ns <= 0 &&
            (aload(&sched.gcwaiting, memory_order_relaxed) ||
             aload(&sched.npidle, memory_order_relaxed) == aload(&sched.nprocs, memory_order_acquire))) {
            astore(&sysmon_sleeping, 1, memory_order_release);
            /* Re-check after announcing: a P may have started meanwhile. */
            if (aload(&sched.npidle, memory_order_relaxed) == aload(&sched.nprocs, memory_order_acquire)) {
                int64_t until = timers_earliest();
                if (!until || until > now + IDLE_SLEEP_NS)
                    until = now + IDLE_SLEEP_NS;
                astore(&sysmon_nap_us, UINT32_MAX, memory_order_relaxed);
                note_sleep_until(&sysmon_note, until);
            }
            astore(&sysmon_sleeping, 0, memory_order_relaxed);
            note_clear(&sysmon_note);
            /* The pace is kept: a server whose Ps go idle between requests
             * wakes sysmon all the time, and restarting at 20 us each time
             * cost it ~6% of its CPU in sysmon's naps (echo at 100
             * connections).  Only finding something to do shortens them. */
            continue;
        }
        if (now - last_poll > POLL_AFTER_NS &&
            !aload(&poller_busy, memory_order_relaxed)) {
            last_poll = now;
            /* As in Go, finding I/O does not count as work for pacing: under
             * load it nearly always finds some and would keep sysmon at its
             * shortest period for nothing. */
            /* The completions leave io_pending before their goroutines
             * reach a run queue: meanwhile sysmon counts as a thread that
             * can make progress, or an M going idle in between would take
             * the program for deadlocked (Go's sysmon poses as a running M
             * for the same reason). */
            afetch_add(&sched.nreadying, 1, memory_order_seq_cst);
            sched_inject_glist(netpoll_nonblocking());
            readying_done();
        }
        deferring = aload(&lone_readies, memory_order_relaxed);
        if (deferring)
            astore(&lone_readies, false, memory_order_relaxed);
        if (preempt_long_runners(now, &deferring)) {
            idle_rounds = 0;
            delay_us = 20;
        } else {
            idle_rounds++;
        }
    }
    return NULL;
}

void sysmon_start(void) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 << 10);
    if (pthread_create(&t, &attr, sysmon_main, NULL) != 0)
        fatal("cannot start sysmon thread");
    runtime_thread_note(1);
    pthread_attr_destroy(&attr);
}
