/* SPDX-License-Identifier: MIT */
/* goc_once: Go's sync.Once.  done is set only after fn returns, so a caller
 * that sees it (acquire) also sees everything fn did; callers racing with the
 * first one wait on the mutex until fn has finished. */
#include "sched/sched.h"

static void once_slow(goc_once *o, void (*fn)(void))
{
    goc_mutex_lock(&o->m);
    if (aload(&o->done, memory_order_relaxed) == 0) {
        fn();
        astore(&o->done, 1, memory_order_release);
    }
    goc_mutex_unlock(&o->m);
}

void goc_once_do(goc_once *o, void (*fn)(void))
{
    sched_safepoint();
    if (likely(aload(&o->done, memory_order_acquire) != 0))
        return;
    once_slow(o, fn);
}
