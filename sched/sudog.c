/* SPDX-License-Identifier: MIT */
/* Waiter records, cached per P.  They live off-stack because stacks move
 * while their owner is parked. */
#include <string.h>

#include "sched/internal.h"

enum { SUDOG_CACHE_MAX = 128 };

goc_sudog *sudog_acquire(void) {
    goc_p *p = sched_p();
    if (p && p->sudog_cache) {
        goc_sudog *s = p->sudog_cache;
        p->sudog_cache = s->next;
        p->nsudog_cache--;
        s->next = NULL;
        return s;
    }
    lock_acquire(&sched.sudog_lock);
    goc_sudog *s = sched.sudog_free;
    if (s)
        sched.sudog_free = s->next;
    lock_release(&sched.sudog_lock);
    if (!s)
        return meta_calloc(1, sizeof *s);
    s->next = NULL;
    return s;
}

void sudog_release(goc_sudog *s) {
    debug_assert(!s->next && !s->prev);
    memset(s, 0, sizeof *s);
    goc_p *p = sched_p();
    if (p && p->nsudog_cache < SUDOG_CACHE_MAX) {
        s->next = p->sudog_cache;
        p->sudog_cache = s;
        p->nsudog_cache++;
        return;
    }
    lock_acquire(&sched.sudog_lock);
    s->next = sched.sudog_free;
    sched.sudog_free = s;
    lock_release(&sched.sudog_lock);
}
