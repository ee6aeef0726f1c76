/* SPDX-License-Identifier: MIT */
/* goc_waitgroup: Go's sync.WaitGroup.
 * state packs the counter (high 32 bits) and the number of waiters (low 32
 * bits) into one word, so Add sees both in one atomic step.  When the counter
 * drops to zero with waiters, Add resets the state and releases each waiter
 * once on sema. */
#include "sched/sched.h"
#include "sched/sema.h"

void goc_waitgroup_add(goc_waitgroup *wg, int64_t delta)
{
    sched_safepoint();
    uint64_t state = aadd_fetch(&wg->state, (uint64_t)delta << 32, memory_order_seq_cst);
    int32_t counter = (int32_t)(state >> 32);
    uint32_t nwaiters = (uint32_t)state;

    if (counter < 0)
        throw_panic("sync: negative WaitGroup counter");
    /* Going from zero to positive while someone waits: that Wait could
     * not have seen a zero counter for this round. */
    if (nwaiters != 0 && delta > 0 && counter == (int32_t)delta)
        throw_panic("sync: WaitGroup misuse: Add called concurrently with Wait");
    if (counter > 0 || nwaiters == 0)
        return;

    /* Counter is zero with waiters.  Nobody may touch the state now: Add
     * must not run concurrently with Wait, and Wait does not increment a
     * zero counter.  A change means misuse. */
    if (aload(&wg->state, memory_order_seq_cst) != state)
        throw_panic("sync: WaitGroup misuse: Add called concurrently with Wait");
    astore(&wg->state, 0, memory_order_seq_cst);
    for (; nwaiters != 0; nwaiters--)
        sema_release(&wg->sema, false);
}

void goc_waitgroup_done(goc_waitgroup *wg)
{
    goc_waitgroup_add(wg, -1);
}

void goc_waitgroup_wait(goc_waitgroup *wg)
{
    sched_safepoint();
    uint64_t state = aload(&wg->state, memory_order_seq_cst);
    for (;;) {
        if ((int32_t)(state >> 32) == 0)
            return;
        if (acas(&wg->state, &state, state + 1, memory_order_seq_cst, memory_order_seq_cst))
            break;
    }
    sema_acquire(&wg->sema, false, waitreason_waitgroup);
    /* The releasing Add zeroed the state before waking us; a non-zero state
     * means a new round started before every Wait of the old one returned. */
    if (aload(&wg->state, memory_order_seq_cst) != 0)
        throw_panic("sync: WaitGroup is reused before previous Wait has returned");
}
