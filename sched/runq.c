/* SPDX-License-Identifier: MIT */
/* Run queues.  Each P owns a 256-slot ring: only the owner pushes (at the
 * tail), anyone may take from the head with a CAS, so stealing needs no lock.
 * runnext holds the G readied most recently by this P: it runs next, which
 * keeps a communicating pair on one P (Go's runnext). Overflow and fairness
 * go through the global queue under sched.lock. */
#include "sched/internal.h"

static bool runq_put_slow(goc_p *p, goc_g *g, uint32_t head, uint32_t tail);

/* With GOMAXPROCS=1 nobody but the owner touches its P's runnext or the
 * head of its queue: a thief needs a P of its own, an M without one queues
 * globally, and GOMAXPROCS changes with the world stopped.  Plain loads and
 * stores then do, and no M can wait for the work (there is no idle P),
 * which is what the exchange's ordering is for: two locked instructions
 * less per hand-off of a ping-pong, a ring or a spawn, one per yield. */
static inline bool runnext_sole_owner(void) {
    return aload(&sched.nprocs, memory_order_relaxed) == 1;
}

void runq_put(goc_p *p, goc_g *g, bool next) {
    if (next) {
        goc_g *old;
        if (runnext_sole_owner()) {
            old = aload(&p->runnext, memory_order_relaxed);
            astore(&p->runnext, g, memory_order_release);
        } else {
            /* seq_cst: see wakep_after_publish. */
            old = axchg(&p->runnext, g, memory_order_seq_cst);
        }
        if (!old)
            return;
        g = old;   /* kick the old runnext to the regular queue */
    }
    for (;;) {
        uint32_t head = aload(&p->runq_head, memory_order_acquire);
        uint32_t tail = aload(&p->runq_tail, memory_order_relaxed);
        if (tail - head < RUNQ_SIZE) {
            astore(&p->runq[tail % RUNQ_SIZE], g, memory_order_relaxed);
            astore(&p->runq_tail, tail + 1, memory_order_release);
            return;
        }
        if (runq_put_slow(p, g, head, tail))
            return;
    }
}

/* Only the owner stores a G into runnext, and a thief only takes one out
 * (a compare-exchange to NULL), nor can a thief take from an empty queue:
 * an empty runnext and queue seen by the owner stay empty until it
 * writes, so a plain store publishes g without the exchange.  Used when
 * no M is woken for g (sched_ready), which is what the exchange's order
 * was for (wakep_after_publish). */
bool runq_put_lone_next(goc_p *p, goc_g *g) {
    if (aload(&p->runnext, memory_order_relaxed) ||
        aload(&p->runq_tail, memory_order_relaxed) != aload(&p->runq_head, memory_order_relaxed))
        return false;
    astore(&p->runnext, g, memory_order_release);
    return true;
}

/* Full local queue: move half of it plus g to the global queue. */
static bool runq_put_slow(goc_p *p, goc_g *g, uint32_t head, uint32_t tail) {
    enum { HALF = RUNQ_SIZE / 2 };
    goc_g *batch[HALF + 1];
    uint32_t n = (tail - head) / 2;
    for (uint32_t i = 0; i < n; i++)
        batch[i] = aload(&p->runq[(head + i) % RUNQ_SIZE], memory_order_relaxed);
    if (!acas(&p->runq_head, &head, head + n, memory_order_release, memory_order_relaxed))
        return false;   /* a thief took some: the fast path has room now */
    batch[n] = g;
    lock_acquire(&sched.lock);
    globrunq_put_many(batch, (int32_t)n + 1);
    lock_release(&sched.lock);
    return true;
}

goc_g *runq_get(goc_p *p) {
    goc_g *next = aload(&p->runnext, memory_order_acquire);
    if (next && runnext_sole_owner()) {
        astore(&p->runnext, NULL, memory_order_relaxed);
        return next;
    }
    if (next && acas(&p->runnext, &next, NULL, memory_order_acquire, memory_order_relaxed))
        return next;
    for (;;) {
        uint32_t head = aload(&p->runq_head, memory_order_acquire);
        uint32_t tail = aload(&p->runq_tail, memory_order_relaxed);
        if (tail == head)
            return NULL;
        goc_g *g = aload(&p->runq[head % RUNQ_SIZE], memory_order_relaxed);
        if (runnext_sole_owner()) {
            astore(&p->runq_head, head + 1, memory_order_release);
            return g;
        }
        if (acas_weak(&p->runq_head, &head, head + 1, memory_order_release, memory_order_relaxed))
            return g;
    }
}

uint32_t runq_len(goc_p *p) {
    uint32_t head = aload(&p->runq_head, memory_order_acquire);
    uint32_t tail = aload(&p->runq_tail, memory_order_acquire);
    return tail - head;
}

bool runq_empty(goc_p *p) {
    /* Read tail, runnext, tail again: runq_put of a runnext moves the old one
     * to the queue between the two, and a consistent tail rules that out. */
    for (;;) {
        uint32_t head = aload(&p->runq_head, memory_order_acquire);
        uint32_t tail = aload(&p->runq_tail, memory_order_acquire);
        goc_g *next = aload(&p->runnext, memory_order_acquire);
        if (tail == aload(&p->runq_tail, memory_order_acquire))
            return head == tail && next == NULL;
    }
}

/* Take half of victim's queue into a local buffer; returns how many. */
static uint32_t runq_grab(goc_p *victim, goc_g **buf, bool steal_runnext) {
    for (;;) {
        uint32_t head = aload(&victim->runq_head, memory_order_acquire);
        uint32_t tail = aload(&victim->runq_tail, memory_order_acquire);
        uint32_t n = tail - head;
        n -= n / 2;
        if (n == 0) {
            if (!steal_runnext)
                return 0;
            goc_g *next = aload(&victim->runnext, memory_order_acquire);
            if (!next)
                return 0;
            /* The victim is probably about to run it (it was just readied
             * by a goroutine that is parking): give the owner a moment.
             * If it scheduled anything meanwhile, it is running its queue
             * and will run this one soon: a runnext that holds next again
             * is then most likely a pair of goroutines taking turns on it
             * (ping-pong, a ring), which a steal would only split across
             * CPUs, to be stolen back and forth. */
            if (aload(&victim->status, memory_order_relaxed) == P_RUNNING) {
                uint32_t tick = aload(&victim->schedtick, memory_order_relaxed);
                for (int i = 0; i < 100; i++)
                    cpu_relax();
                if (aload(&victim->schedtick, memory_order_relaxed) != tick)
                    return 0;
            }
            if (!acas(&victim->runnext, &next, NULL, memory_order_acq_rel, memory_order_relaxed))
                continue;
            buf[0] = next;
            return 1;
        }
        if (n > RUNQ_SIZE / 2)
            continue;   /* inconsistent head/tail read */
        for (uint32_t i = 0; i < n; i++)
            buf[i] = aload(&victim->runq[(head + i) % RUNQ_SIZE], memory_order_relaxed);
        if (acas(&victim->runq_head, &head, head + n, memory_order_acq_rel, memory_order_relaxed))
            return n;
    }
}

goc_g *runq_steal(goc_p *thief, goc_p *victim, bool steal_runnext) {
    goc_g *buf[RUNQ_SIZE / 2];
    uint32_t n = runq_grab(victim, buf, steal_runnext);
    if (n == 0)
        return NULL;
    /* The thief's queue is empty (it is stealing), so n - 1 always fits. */
    uint32_t tail = aload(&thief->runq_tail, memory_order_relaxed);
    for (uint32_t i = 1; i < n; i++)
        astore(&thief->runq[(tail + i - 1) % RUNQ_SIZE], buf[i], memory_order_relaxed);
    astore(&thief->runq_tail, tail + n - 1, memory_order_release);
    return buf[0];
}

void runq_drain_to_global(goc_p *p) {
    goc_g *g;
    while ((g = runq_get(p)) != NULL)
        globrunq_put(g);
}

void globrunq_put(goc_g *g) { globrunq_put_many(&g, 1); }

void globrunq_put_many(goc_g *const *gs, int32_t n) {
    gq_push_n(&sched.runq, gs, (uint32_t)n);
    astore(&sched.runqsize, sched.runqsize + n, memory_order_relaxed);
}

/* Take up to max Gs (0: a fair share) from the global queue: return one,
 * put the rest on p's local queue. */
goc_g *globrunq_get(goc_p *p, int32_t max) {
    if (sched.runqsize == 0)
        return NULL;
    int32_t n = sched.runqsize / sched.nprocs + 1;
    if (n > sched.runqsize)
        n = sched.runqsize;
    if (max > 0 && n > max)
        n = max;
    if (n > RUNQ_SIZE / 2)
        n = RUNQ_SIZE / 2;
    goc_g *batch[RUNQ_SIZE / 2];
    uint32_t got = gq_pop_n(&sched.runq, batch, (uint32_t)n);
    astore(&sched.runqsize, sched.runqsize - (int32_t)got, memory_order_relaxed);
    for (uint32_t i = 1; i < got; i++)
        runq_put(p, batch[i], false);
    return got ? batch[0] : NULL;
}

bool sched_others_runnable(void) {
    goc_p *p = sched_p();
    return aload(&sched.runqsize, memory_order_relaxed) != 0 || (p && !runq_empty(p));
}
