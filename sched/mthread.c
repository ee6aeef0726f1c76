/* SPDX-License-Identifier: MIT */
/* Ms (OS threads) and their Ps: creation, idling, hand-off, spinning.
 * The protocol is Go's: an M looking for work without finding it is
 * "spinning"; at most half the busy Ps have one; a spinner that finds work
 * wakes another spinner, and one that gives up re-checks every queue after
 * dropping its spinning state, so readying a G never goes unnoticed. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "sched/diag.h"
#include "sched/internal.h"
#include "sched/trace.h"

int32_t mcount;

enum { M_STACK_SIZE = 1 << 20 };

goc_m *m_alloc(void) {
    goc_m *m = meta_calloc(1, sizeof *m);
    lock_acquire(&sched.lock);
    m->id = sched.mnext++;
    mcount++;
    m->alllink = sched.allm;
    sched.allm = m;
    lock_release(&sched.lock);
    return m;
}

void m_init_current(goc_m *m) {
    m->thread = pthread_self();
    m->tid = gettid();
    pthread_attr_t attr;
    void *addr = NULL;
    size_t size = 0;
    if (pthread_getattr_np(m->thread, &attr) == 0) {
        pthread_attr_getstack(&attr, &addr, &size);
        pthread_attr_destroy(&attr);
    }
    m->g0stack.lo = (uintptr_t)addr;
    m->g0stack.hi = (uintptr_t)addr + size;
    sched_set_m(m);
    signals_init_thread();
}

static void *mstart(void *arg) {
    goc_m *m = arg;
    /* Signals were blocked across pthread_create so none could land before
     * the thread was set up; now take the creator's mask, which processes
     * started from goroutines on this thread inherit. */
    pthread_sigmask(SIG_SETMASK, &m->sigmask, NULL);
    m_init_current(m);
    goc_p *p = m->nextp;
    m->nextp = NULL;
    if (p)
        acquirep(m, p);
    m_loop(m);
}

void newm(goc_p *p, bool spinning) {
    goc_m *m = m_alloc();
    m->nextp = p;
    m->spinning = spinning;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, M_STACK_SIZE);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &m->sigmask);
    int err = pthread_create(&m->thread, &attr, mstart, m);
    pthread_sigmask(SIG_SETMASK, &m->sigmask, NULL);
    pthread_attr_destroy(&attr);
    if (err)
        fatal("newosproc: pthread_create failed: %s", strerror(err));
}

/* ---- P ownership ---------------------------------------------------------------- */

void acquirep(goc_m *m, goc_p *p) {
    if (aload(&p->m, memory_order_relaxed) || aload(&p->status, memory_order_relaxed) != P_IDLE)
        fatal("acquirep: invalid p state (p%d status %u)", p->id, p->status);
    m->p = p;
    astore(&p->m, m, memory_order_release);
    astore(&p->status, P_RUNNING, memory_order_relaxed);
    trace_p_start(p, m);
    sysmon_wake();
}

goc_p *releasep(goc_m *m) {
    goc_p *p = m->p;
    debug_assert(p && p->m == m && aload(&p->status, memory_order_relaxed) == P_RUNNING);
    trace_p_stop(p, m);
    m->p = NULL;
    astore(&p->m, NULL, memory_order_release);
    astore(&p->status, P_IDLE, memory_order_relaxed);
    return p;
}

void pidle_put(goc_p *p) {
    debug_assert(lock_held(&sched.lock) && !p->m && aload(&p->status, memory_order_relaxed) != P_RUNNING);
    p->link = sched.pidle;
    sched.pidle = p;
    afetch_add(&sched.npidle, 1, memory_order_relaxed);
}

goc_p *pidle_get(void) {
    debug_assert(lock_held(&sched.lock));
    goc_p *p = sched.pidle;
    if (p) {
        sched.pidle = p->link;
        afetch_sub(&sched.npidle, 1, memory_order_relaxed);
    }
    return p;
}

void mput(goc_m *m) {
    debug_assert(lock_held(&sched.lock));
    m->schedlink = sched.midle;
    sched.midle = m;
    sched.nmidle++;
    checkdead();
}

goc_m *mget(void) {
    goc_m *m = sched.midle;
    if (m) {
        sched.midle = m->schedlink;
        sched.nmidle--;
    }
    return m;
}

/* ---- starting and stopping Ms ---------------------------------------------------- */

/* Run p (an idle P if NULL) on an idle or new M.  A spinning start has
 * already counted itself in sched.nmspinning. */
void startm(goc_p *p, bool spinning) {
    lock_acquire(&sched.lock);
    if (!p) {
        p = pidle_get();
        if (!p) {
            lock_release(&sched.lock);
            if (spinning)
                afetch_sub(&sched.nmspinning, 1, memory_order_relaxed);
            return;
        }
    }
    goc_m *m = mget();
    lock_release(&sched.lock);
    if (!m) {
        newm(p, spinning);
        return;
    }
    m->spinning = spinning;
    m->nextp = p;
    note_wakeup(&m->park);
}

/* Park the M until startm gives it a P. */
void stopm(goc_m *m) {
    lock_acquire(&sched.lock);
    mput(m);
    m->blocked = true;
    lock_release(&sched.lock);
    note_sleep(&m->park);
    note_clear(&m->park);
    m->blocked = false;
    goc_p *p = m->nextp;
    m->nextp = NULL;
    acquirep(m, p);
}

/* Start a spinning M if a P is idle and nobody spins.  The loads are
 * sequentially consistent for wakep_after_publish. */
static void wakep_check(void) {
    if (aload(&sched.npidle, memory_order_seq_cst) == 0)
        return;
    int32_t zero = 0;
    if (aload(&sched.nmspinning, memory_order_seq_cst) != 0 ||
        !acas(&sched.nmspinning, &zero, 1, memory_order_acq_rel, memory_order_relaxed))
        return;
    startm(NULL, true);
}

void sched_wakep(void) {
    /* StoreLoad, paired with the fence in find_runnable after an M drops
     * spinning: the caller's store of the work it queued must be visible
     * before we read npidle/nmspinning, or both sides can read the other's
     * old value (x86 lets a load pass an earlier store): this side sees a
     * spinner, the spinner's re-check sees no work, and nobody runs it. */
    STORE_LOAD_FENCE();
    wakep_check();
}

/* The caller queued its G in a runnext with a sequentially consistent
 * exchange (runq_put's next), which orders it before wakep_check's
 * sequentially consistent loads as sched_wakep's fence would: with the
 * fence in find_runnable, if a dropping spinner's re-check misses the G,
 * the exchange comes after that fence in the single total order, so these
 * loads see the spinner's decrement of nmspinning and its idle P.  It
 * saves a fence (7 ns, as much as a whole lock, on the VM of
 * bench/README.md) on every goroutine readied or spawned on a P. */
void wakep_after_publish(void) {
    wakep_check();
}

void reset_spinning(goc_m *m) {
    m->spinning = false;
    int32_t left = afetch_sub(&sched.nmspinning, 1, memory_order_acq_rel) - 1;
    if (left < 0)
        fatal("reset_spinning: negative nmspinning");
    /* The last spinner found work: there may be more, start a new spinner. */
    if (left == 0)
        sched_wakep();
}

/* Give away a P whose M is about to block or stop. */
void handoffp(goc_p *p) {
    if (!runq_empty(p) || aload(&sched.runqsize, memory_order_relaxed) != 0) {
        startm(p, false);
        return;
    }
    int32_t zero = 0;
    if (aload(&sched.nmspinning, memory_order_relaxed) +
            aload(&sched.npidle, memory_order_relaxed) == 0 &&
        acas(&sched.nmspinning, &zero, 1, memory_order_acq_rel, memory_order_relaxed)) {
        startm(p, true);
        return;
    }
    lock_acquire(&sched.lock);
    if (aload(&sched.gcwaiting, memory_order_relaxed)) {
        astore(&p->status, P_STOPPED, memory_order_relaxed);
        if (--sched.stopwait == 0)
            note_wakeup(&sched.stopnote);
        lock_release(&sched.lock);
        return;
    }
    if (sched.runqsize != 0) {
        lock_release(&sched.lock);
        startm(p, false);
        return;
    }
    /* The last running P must not go idle with timers or I/O pending
     * unless some M is already waiting for them. */
    if (aload(&sched.npidle, memory_order_relaxed) == sched.nprocs - 1 &&
        !aload(&poller_busy, memory_order_relaxed) &&
        (timers_earliest() != 0 ||
         aload(&sched.io_pending, memory_order_relaxed) > 0)) {
        lock_release(&sched.lock);
        startm(p, false);
        return;
    }
    pidle_put(p);
    lock_release(&sched.lock);
}

/* ---- goroutines wired to a thread --------------------------------------------------- */

/* The M's own goroutine is not runnable: lend the P out and wait until the
 * goroutine is readied and its P comes back (startlockedm). */
void stoplockedm(goc_m *m) {
    if (m->p) {
        goc_p *p = releasep(m);
        handoffp(p);
    }
    lock_acquire(&sched.lock);
    sched.nmidlelocked++;
    checkdead();
    lock_release(&sched.lock);
    note_sleep(&m->park);
    note_clear(&m->park);
    lock_acquire(&sched.lock);
    sched.nmidlelocked--;
    lock_release(&sched.lock);
    goc_p *p = m->nextp;
    m->nextp = NULL;
    acquirep(m, p);
}

/* g is wired to another M: hand it our P and stop. */
void startlockedm(goc_m *m, goc_g *g) {
    goc_m *owner = g->lockedm;
    goc_p *p = releasep(m);
    owner->nextp = p;
    note_wakeup(&owner->park);
    stopm(m);
}
