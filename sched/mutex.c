/* SPDX-License-Identifier: MIT */
/* goc_mutex: Go's sync.Mutex.
 *
 * state: bit 0 locked, bit 1 a woken waiter is on its way (so unlock need not
 * wake another), bit 2 starvation mode, the rest counts waiters.
 *
 * Normal mode: waiters queue FIFO, but a woken waiter competes with newcomers
 * for the lock, and newcomers (already running) usually win.  A waiter that
 * fails for more than 1 ms switches the mutex to starvation mode: unlock then
 * hands ownership straight to the first waiter, and newcomers queue at the
 * tail without trying.  The last waiter, or one that waited less than 1 ms,
 * switches back to normal mode, which performs much better when it is safe. */
#include "sched/sched.h"
#include "sched/sema.h"

enum {
    MUTEX_LOCKED = 1,
    MUTEX_WOKEN = 2,
    MUTEX_STARVING = 4,
    MUTEX_WAITER_SHIFT = 3,
    MUTEX_WAITER = 1 << MUTEX_WAITER_SHIFT,
};

#define STARVATION_THRESHOLD_NS (1 * GOC_MILLISECOND)
#define SPIN_ROUNDS             4
#define SPIN_PAUSES             30

static int32_t load_state(goc_mutex *m)
{
    return aload(&m->state, memory_order_relaxed);
}

static bool cas_state(goc_mutex *m, int32_t old, int32_t new)
{
    return acas(&m->state, &old, new, memory_order_acq_rel, memory_order_relaxed);
}

static int32_t waiters(int32_t state)
{
    return (int32_t)((uint32_t)state >> MUTEX_WAITER_SHIFT);
}

static int cpu_count(void)
{
    static int ncpu;
    int n = aload(&ncpu, memory_order_relaxed);
    if (n == 0) {
        n = goc_num_cpu();
        astore(&ncpu, n, memory_order_relaxed);
    }
    return n;
}

/* Spinning pays only when the owner is running on another CPU and nothing
 * else could use ours: several CPUs, another P busy, no local work. */
static bool can_spin(int iter)
{
    if (iter >= SPIN_ROUNDS || cpu_count() <= 1)
        return false;
    int32_t busy_elsewhere = aload(&sched.nprocs, memory_order_relaxed) -
                             aload(&sched.npidle, memory_order_relaxed) -
                             aload(&sched.nmspinning, memory_order_relaxed) - 1;
    if (busy_elsewhere <= 0)
        return false;
    goc_p *p = sched_p();
    if (p && (aload(&p->runq_head, memory_order_relaxed) !=
                  aload(&p->runq_tail, memory_order_relaxed) ||
              aload(&p->runnext, memory_order_relaxed)))
        return false;
    return true;
}

static void spin(void)
{
    for (int i = 0; i < SPIN_PAUSES; i++)
        cpu_relax();
}

/* Kept out of line so the uncontended lock and unlock stay a few
 * instructions with no register spills. */
static __attribute__((noinline)) void mutex_lock_slow(goc_mutex *m)
{
    int64_t wait_start = 0;
    bool starving = false;
    bool awoke = false; /* we hold MUTEX_WOKEN (set by unlock or by us) */
    int iter = 0;
    int32_t old = load_state(m);

    for (;;) {
        /* Spin while the owner may release soon; in starvation mode the
         * lock goes to a waiter anyway, so spinning is pointless. */
        if ((old & (MUTEX_LOCKED | MUTEX_STARVING)) == MUTEX_LOCKED && can_spin(iter)) {
            /* Setting WOKEN tells unlock not to wake a sleeper that would
             * only compete with us. */
            if (!awoke && !(old & MUTEX_WOKEN) && waiters(old) != 0 &&
                cas_state(m, old, old | MUTEX_WOKEN))
                awoke = true;
            spin();
            iter++;
            old = load_state(m);
            continue;
        }

        int32_t new = old;
        /* A starving mutex belongs to the waiters: newcomers only queue. */
        if (!(old & MUTEX_STARVING))
            new |= MUTEX_LOCKED;
        if (old & (MUTEX_LOCKED | MUTEX_STARVING))
            new += MUTEX_WAITER;
        /* Only switch to starvation while the mutex is held: unlock
         * expects waiters in starvation mode. */
        if (starving && (old & MUTEX_LOCKED))
            new |= MUTEX_STARVING;
        if (awoke) {
            if (!(new & MUTEX_WOKEN))
                fatal("sync: inconsistent mutex state");
            new &= ~MUTEX_WOKEN;
        }
        if (!cas_state(m, old, new)) {
            old = load_state(m);
            continue;
        }
        if (!(old & (MUTEX_LOCKED | MUTEX_STARVING)))
            return; /* locked it with the CAS */

        /* A waiter that already waited goes back to the head of the queue. */
        bool requeue = wait_start != 0;
        if (!requeue)
            wait_start = nanotime();
        sema_acquire(&m->sema, requeue, waitreason_mutex);
        starving = starving || nanotime() - wait_start > STARVATION_THRESHOLD_NS;
        old = load_state(m);
        if (old & MUTEX_STARVING) {
            /* Handed to us by unlock: the state still counts us as a waiter
             * and is not marked locked. */
            if ((old & (MUTEX_LOCKED | MUTEX_WOKEN)) || waiters(old) == 0)
                fatal("sync: inconsistent mutex state");
            int32_t delta = MUTEX_LOCKED - MUTEX_WAITER;
            if (!starving || waiters(old) == 1)
                delta -= MUTEX_STARVING;
            afetch_add(&m->state, delta, memory_order_acq_rel);
            return;
        }
        awoke = true;
        iter = 0;
    }
}

void goc_mutex_lock(goc_mutex *m)
{
    sched_safepoint();
    int32_t unlocked = 0;
    if (likely(acas(&m->state, &unlocked, MUTEX_LOCKED, memory_order_acquire, memory_order_relaxed)))
        return;
    mutex_lock_slow(m);
}

bool goc_mutex_trylock(goc_mutex *m)
{
    sched_safepoint();
    int32_t old = load_state(m);
    if (old & (MUTEX_LOCKED | MUTEX_STARVING))
        return false;
    /* Taking it now may barge past a woken waiter, as normal mode allows. */
    return cas_state(m, old, old | MUTEX_LOCKED);
}

static __attribute__((noinline)) void mutex_unlock_slow(goc_mutex *m, int32_t new)
{
    if (!((new + MUTEX_LOCKED) & MUTEX_LOCKED))
        throw_panic("sync: unlock of unlocked mutex");

    if (new & MUTEX_STARVING) {
        /* Hand the lock to the first waiter and let it run at once. */
        sema_release(&m->sema, true);
        return;
    }
    int32_t old = new;
    for (;;) {
        /* Nobody to wake, or the lock was retaken, or a waiter is already
         * awake, or it went starving and belongs to a waiter already. */
        if (waiters(old) == 0 || (old & (MUTEX_LOCKED | MUTEX_WOKEN | MUTEX_STARVING)))
            return;
        if (cas_state(m, old, (old - MUTEX_WAITER) | MUTEX_WOKEN)) {
            sema_release(&m->sema, false);
            return;
        }
        old = load_state(m);
    }
}

void goc_mutex_unlock(goc_mutex *m)
{
    sched_safepoint();
    int32_t new = asub_fetch(&m->state, MUTEX_LOCKED, memory_order_release);
    if (unlikely(new != 0))
        mutex_unlock_slow(m, new);
}
