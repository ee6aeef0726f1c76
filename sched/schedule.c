/* SPDX-License-Identifier: MIT */
/* The scheduler loop each M runs on its own thread stack ("g0"), and the
 * search for runnable work: local queue, global queue, I/O, stealing, and
 * finally sleeping until a timer, an I/O completion or a wake-up. */
#include <limits.h>

#include "sched/internal.h"
#include "sched/trace.h"

const goc_netpoll_ops *_Atomic netpoll_ops;
_Atomic uint32_t poller_busy;          /* an M is blocked in the poller */
static goc_note timer_note;            /* the poller's sleep when no I/O is registered */
static _Atomic int64_t poller_until;   /* when the blocked poller wakes by itself */

void sched_netpoll_register(const goc_netpoll_ops *ops) {
    astore(&netpoll_ops, ops, memory_order_release);
    netpoll_break();
}

void netpoll_break(void) {
    const goc_netpoll_ops *ops = aload(&netpoll_ops, memory_order_acquire);
    if (ops)
        ops->wake();
    note_wakeup(&timer_note);
}

goc_g *netpoll_nonblocking(void) {
    const goc_netpoll_ops *ops = aload(&netpoll_ops, memory_order_acquire);
    if (!ops || aload(&sched.io_pending, memory_order_relaxed) <= 0)
        return NULL;
    return ops->poll(-1);
}

/* Make Gs from the poller runnable: the first is returned to run now. */
static goc_g *take_glist(goc_m *m, goc_g *list) {
    if (!list)
        return NULL;
    goc_g *first = list;
    list = list->schedlink;
    uint32_t waiting = G_WAITING;
    if (!acas(&first->status, &waiting, G_RUNNABLE, memory_order_acq_rel, memory_order_relaxed))
        fatal("poller returned goroutine %lld in state %u", (long long)first->id, waiting);
    sched_g_changed(first);
    trace_go_unblock(m->p, first, NULL);
    while (list) {
        goc_g *next = list->schedlink;
        sched_ready(list);
        list = next;
    }
    return first;
}

void sched_timers_changed(int64_t when) {
    if (aload(&poller_busy, memory_order_acquire) &&
        when < aload(&poller_until, memory_order_relaxed)) {
        netpoll_break();
        return;
    }
    /* Nobody waits for timers: an M that finds no work becomes the one. */
    if (!aload(&poller_busy, memory_order_acquire))
        sched_wakep();
}

int64_t timers_earliest(void) {
    int64_t best = 0;
    for (int32_t i = 0; i < aload(&sched.nprocs, memory_order_acquire); i++) {
        int64_t w = aload(&sched.allp[i]->timer0_when, memory_order_acquire);
        if (w && (!best || w < best))
            best = w;
    }
    return best;
}

/* ---- stealing -------------------------------------------------------------------- */

static uint32_t gcd(uint32_t a, uint32_t b) {
    while (b) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static goc_g *steal_work(goc_m *m) {
    goc_p *p = m->p;
    int32_t n = aload(&sched.nprocs, memory_order_acquire);
    for (int round = 0; round < 4; round++) {
        bool last = round == 3;
        /* Random start and a coprime stride visit every P once. */
        uint32_t start = fastrandn((uint32_t)n), stride = 1;
        if (n > 2) {
            stride = 1 + fastrandn((uint32_t)n - 1);
            while (gcd(stride, (uint32_t)n) != 1)
                stride = stride % (uint32_t)(n - 1) + 1;
        }
        for (int32_t i = 0; i < n; i++) {
            if (aload(&sched.gcwaiting, memory_order_relaxed))
                return NULL;
            goc_p *victim = sched.allp[(start + (uint32_t)i * stride) % (uint32_t)n];
            if (victim == p)
                continue;
            if (last && aload(&victim->timer0_when, memory_order_relaxed) != 0) {
                timers_run(victim, nanotime());
                goc_g *g = runq_get(p);
                if (g)
                    return g;
            }
            if (aload(&victim->status, memory_order_relaxed) == P_IDLE &&
                runq_empty(victim))
                continue;
            goc_g *g = runq_steal(p, victim, last);
            if (g) {
                trace_steal(p, victim, g);
                return g;
            }
        }
    }
    return NULL;
}

/* ---- finding work ------------------------------------------------------------------ */

/* A spinning M that found nothing watches the queues a little longer before
 * parking.  Work often comes back within microseconds (a goroutine readied
 * by a ping-pong partner); a spinner still around absorbs it, and the
 * readier's wakep sees the spinner and skips a futex wake-up, which costs
 * more than the whole spin on virtual machines. */
#define IDLE_SPIN_NS (50 * 1000)

static bool work_visible(goc_p *self) {
    if (aload(&sched.runqsize, memory_order_relaxed) > 0 ||
        aload(&sched.gcwaiting, memory_order_relaxed))
        return true;
    /* A lone runnext is left to its owner, which is about to run it. */
    for (int32_t i = 0; i < aload(&sched.nprocs, memory_order_acquire); i++) {
        goc_p *p = sched.allp[i];
        if (p != self && runq_len(p) > 0)
            return true;
    }
    return false;
}

static bool spin_for_work(goc_m *m) {
    int64_t until = nanotime() + IDLE_SPIN_NS;
    do {
        for (int i = 0; i < 64; i++)
            cpu_relax();
        if (work_visible(m->p))
            return true;
        int64_t when = aload(&m->p->timer0_when, memory_order_relaxed);
        if (when && when <= nanotime())
            return true;
    } while (nanotime() < until);
    return false;
}

static goc_g *find_runnable(goc_m *m) {
top:;
    goc_p *p = m->p;
    if (aload(&sched.gcwaiting, memory_order_relaxed)) {
        gcstopm(m);
        goto top;
    }
    if (aload(&p->timer0_when, memory_order_relaxed) != 0)
        timers_run(p, nanotime());

    goc_g *g;
    if (p->schedtick % SCHED_FAIRNESS_TICK == 0 &&
        aload(&sched.runqsize, memory_order_relaxed) > 0) {
        lock_acquire(&sched.lock);
        g = globrunq_get(p, 1);
        lock_release(&sched.lock);
        if (g)
            return g;
    }
    if ((g = runq_get(p)))
        return g;
    if (aload(&sched.runqsize, memory_order_relaxed) > 0) {
        lock_acquire(&sched.lock);
        g = globrunq_get(p, 0);
        lock_release(&sched.lock);
        if (g)
            return g;
    }
    if ((g = take_glist(m, netpoll_nonblocking())))
        return g;

    /* Spin only while spinners are fewer than half the busy Ps: stealing
     * from a machine with nothing to steal burns CPU for nothing. */
    int32_t busy = aload(&sched.nprocs, memory_order_acquire) - aload(&sched.npidle, memory_order_relaxed);
    if (m->spinning || 2 * aload(&sched.nmspinning, memory_order_relaxed) < busy) {
        if (!m->spinning) {
            m->spinning = true;
            afetch_add(&sched.nmspinning, 1, memory_order_relaxed);
        }
        if ((g = steal_work(m)))
            return g;
        /* With no other P running, only I/O, a timer or a foreign thread
         * can bring work, and the spin does not look for those: it would
         * only take the CPU from whoever is about to send the next
         * request (a one-connection echo spent 75% of a core here). */
        int32_t running = aload(&sched.nprocs, memory_order_acquire) -
                          aload(&sched.npidle, memory_order_relaxed);
        if (running > 1 && spin_for_work(m))
            goto top;
    }

    /* Nothing found: give up the P. */
    lock_acquire(&sched.lock);
    if (aload(&sched.gcwaiting, memory_order_relaxed)) {
        lock_release(&sched.lock);
        goto top;
    }
    if (sched.runqsize) {
        g = globrunq_get(p, 0);
        lock_release(&sched.lock);
        return g;
    }
    releasep(m);
    pidle_put(p);
    lock_release(&sched.lock);

    bool was_spinning = m->spinning;
    if (m->spinning) {
        m->spinning = false;
        if (afetch_sub(&sched.nmspinning, 1, memory_order_acq_rel) <= 0)
            fatal("find_runnable: negative nmspinning");
    }
    /* Re-check every queue (the global one first) after dropping spinning:
     * a G readied between our last look and the decrement saw a spinner and
     * started nobody.  StoreLoad, paired with the fence at the top of
     * sched_wakep (or the sequentially consistent runnext exchange before
     * wakep_after_publish): the decrement must be visible before the
     * queues are read (at least one side sees the other's store). */
    STORE_LOAD_FENCE();
    for (int32_t i = -1; i < aload(&sched.nprocs, memory_order_acquire); i++) {
        if (i < 0 ? aload(&sched.runqsize, memory_order_acquire) > 0
                  : !runq_empty(sched.allp[i])) {
            lock_acquire(&sched.lock);
            goc_p *idle = pidle_get();
            lock_release(&sched.lock);
            if (idle) {
                acquirep(m, idle);
                if (was_spinning) {
                    m->spinning = true;
                    afetch_add(&sched.nmspinning, 1, memory_order_relaxed);
                }
                goto top;
            }
            break;
        }
    }

    /* Sleep until the next timer or I/O completion, if nobody else does. */
    int64_t until = timers_earliest();
    const goc_netpoll_ops *ops = aload(&netpoll_ops, memory_order_acquire);
    bool io = ops && aload(&sched.io_pending, memory_order_relaxed) > 0;
    uint32_t idle = 0;
    if ((until || io) &&
        acas(&poller_busy, &idle, 1, memory_order_acq_rel, memory_order_relaxed)) {
        astore(&poller_until, until ? until : INT64_MAX, memory_order_relaxed);
        /* Re-read after publishing: a timer added in between has either
         * seen poller_busy (and will break us out) or is visible here. */
        int64_t again = timers_earliest();
        if (again && (!until || again < until))
            until = again;
        goc_g *list = NULL;
        if (!until || until > nanotime()) {
            if (ops) {
                list = ops->poll(until ? until : 0);
            } else {
                note_sleep_until(&timer_note, until);
                note_clear(&timer_note);
            }
        }
        astore(&poller_until, INT64_MAX, memory_order_relaxed);
        astore(&poller_busy, 0, memory_order_release);
        lock_acquire(&sched.lock);
        goc_p *np = pidle_get();
        if (!np && list) {
            /* Every P is busy: the readied Gs go to the global queue.  In the
             * same critical section, look for an idle P once more: the M
             * that owned one may have found the queue empty and released
             * its P after our first look, and then nobody would run them. */
            for (goc_g *x = list; x; x = x->schedlink) {
                astore(&x->status, G_RUNNABLE, memory_order_relaxed);
                sched_g_changed(x);
                trace_go_unblock(NULL, x, NULL);
                globrunq_put(x);
            }
            list = NULL;
            np = pidle_get();
        }
        lock_release(&sched.lock);
        if (!np) {
            stopm(m);
            goto top;
        }
        acquirep(m, np);
        if ((g = take_glist(m, list)))
            return g;
        /* Woken for a timer: it may sit in any P's heap, so spin to find it. */
        m->spinning = true;
        afetch_add(&sched.nmspinning, 1, memory_order_relaxed);
        goto top;
    }
    stopm(m);
    goto top;
}

/* ---- the loop -------------------------------------------------------------------------- */

void m_loop(goc_m *m) {
    for (;;) {
        if (m->lockedg) {
            stoplockedm(m);
            execute(m, m->lockedg);
            continue;
        }
        if (!m->p)
            stopm(m);
        goc_g *g = find_runnable(m);
        if (m->spinning)
            reset_spinning(m);
        if (g->lockedm && g->lockedm != m) {
            startlockedm(m, g);
            continue;
        }
        execute(m, g);
    }
}
