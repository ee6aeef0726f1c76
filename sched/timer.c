/* SPDX-License-Identifier: MIT */
/* Per-P timer heaps (4-ary, ordered by deadline).  A P runs its expired
 * timers from its scheduler loop; idle Ps' timers are run by spinning Ms and
 * by the M that sleeps until the earliest deadline. */
#include "sched/internal.h"

static void heap_set(goc_p *p, int32_t i, goc_timer *t) {
    p->timers[i] = t;
    t->index = i;
}

static void sift_up(goc_p *p, int32_t i) {
    goc_timer *t = p->timers[i];
    while (i > 0) {
        int32_t parent = (i - 1) / 4;
        if (p->timers[parent]->when <= t->when)
            break;
        heap_set(p, i, p->timers[parent]);
        i = parent;
    }
    heap_set(p, i, t);
}

static void sift_down(goc_p *p, int32_t i) {
    goc_timer *t = p->timers[i];
    int32_t n = p->ntimers;
    for (;;) {
        int32_t c = 4 * i + 1;
        if (c >= n)
            break;
        int32_t best = c;
        for (int32_t k = c + 1; k < c + 4 && k < n; k++)
            if (p->timers[k]->when < p->timers[best]->when)
                best = k;
        if (p->timers[best]->when >= t->when)
            break;
        heap_set(p, i, p->timers[best]);
        i = best;
    }
    heap_set(p, i, t);
}

static void update_timer0(goc_p *p) {
    astore(&p->timer0_when, p->ntimers ? p->timers[0]->when : 0, memory_order_release);
}

static void heap_push(goc_p *p, goc_timer *t) {
    if (p->ntimers == p->timers_cap) {
        int32_t cap = p->timers_cap ? 2 * p->timers_cap : 16;
        goc_timer **grown = meta_calloc((size_t)cap, sizeof *grown);
        for (int32_t i = 0; i < p->ntimers; i++)
            grown[i] = p->timers[i];
        if (p->timers)
            mem_meta_free(p->timers, (size_t)p->timers_cap * sizeof *grown);
        p->timers = grown;
        p->timers_cap = cap;
    }
    astore(&t->p, p, memory_order_relaxed);
    heap_set(p, p->ntimers++, t);
    sift_up(p, t->index);
}

static void heap_remove(goc_p *p, int32_t i) {
    goc_timer *t = p->timers[i];
    int32_t last = --p->ntimers;
    if (i != last) {
        goc_timer *moved = p->timers[last];
        heap_set(p, i, moved);
        sift_down(p, i);
        sift_up(p, moved->index);
    }
    p->timers[last] = NULL;
    astore(&t->p, NULL, memory_order_relaxed);
    t->index = -1;
}

void timer_start(goc_timer *t) {
    sched_ensure_started();
    goc_p *p = sched_p();
    if (!p)
        p = sched.allp[0];   /* foreign threads: P 0 always exists */
    lock_acquire(&p->timers_lock);
    heap_push(p, t);
    bool first = t->index == 0;
    /* Read under the lock: once it is released the timer may fire and its
     * owner (a sleeper woken on another M) re-arm it with a new time. */
    int64_t when = t->when;
    update_timer0(p);
    lock_release(&p->timers_lock);
    if (first)
        sched_timers_changed(when);
}

bool timer_stop(goc_timer *t) {
    for (;;) {
        goc_p *p = aload(&t->p, memory_order_acquire);
        if (!p)
            return false;
        lock_acquire(&p->timers_lock);
        if (aload(&t->p, memory_order_relaxed) != p) {   /* moved to another P meanwhile */
            lock_release(&p->timers_lock);
            continue;
        }
        heap_remove(p, t->index);
        update_timer0(p);
        lock_release(&p->timers_lock);
        return true;
    }
}

void timer_reset(goc_timer *t, int64_t when) {
    timer_stop(t);
    t->when = when;
    timer_start(t);
}

int timers_run(goc_p *p, int64_t now) {
    int ran = 0;
    lock_acquire(&p->timers_lock);
    while (p->ntimers && p->timers[0]->when <= now) {
        goc_timer *t = p->timers[0];
        goc_timer_fn fn = t->fn;
        void *arg = t->arg;
        heap_remove(p, 0);
        if (t->period > 0) {
            /* Skip the periods we slept through: a ticker drops, never bunches. */
            t->when += t->period * (1 + (now - t->when) / t->period);
            heap_push(p, t);
        }
        update_timer0(p);
        lock_release(&p->timers_lock);
        fn(arg, now);
        ran++;
        lock_acquire(&p->timers_lock);
    }
    update_timer0(p);
    lock_release(&p->timers_lock);
    return ran;
}

void timers_move_all(goc_p *from, goc_p *to) {
    lock_acquire(&from->timers_lock);
    lock_acquire(&to->timers_lock);
    while (from->ntimers) {
        goc_timer *t = from->timers[from->ntimers - 1];
        heap_remove(from, from->ntimers - 1);
        heap_push(to, t);
    }
    update_timer0(from);
    update_timer0(to);
    lock_release(&to->timers_lock);
    lock_release(&from->timers_lock);
}
