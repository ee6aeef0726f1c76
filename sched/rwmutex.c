/* SPDX-License-Identifier: MIT */
/* goc_rwmutex: Go's sync.RWMutex.
 *
 * reader_count counts readers holding or waiting for the lock.  A writer
 * first takes w (excluding other writers), then subtracts RW_MAX_READERS:
 * the count turns negative, so new readers see a pending writer and queue on
 * reader_sem instead of overtaking it (writers are not starved).  The readers
 * that were active at that moment are added to reader_wait; the last of them
 * to leave wakes the writer through writer_sem.  Unlock adds RW_MAX_READERS
 * back and wakes the readers that queued meanwhile. */
#include "sched/sched.h"
#include "sched/sema.h"

#define RW_MAX_READERS (1 << 30)

void goc_rwmutex_rlock(goc_rwmutex *rw)
{
    sched_safepoint();
    if (aadd_fetch(&rw->reader_count, 1, memory_order_seq_cst) < 0)
        sema_acquire(&rw->reader_sem, false, waitreason_rwmutex_rlock);
}

void goc_rwmutex_runlock(goc_rwmutex *rw)
{
    sched_safepoint();
    int32_t r = asub_fetch(&rw->reader_count, 1, memory_order_seq_cst);
    if (likely(r >= 0))
        return;
    /* Before the decrement: 0 means no reader at all, -RW_MAX_READERS means
     * only a writer (holding or waiting) and no reader. */
    if (r + 1 == 0 || r + 1 == -RW_MAX_READERS)
        throw_panic("sync: RUnlock of unlocked RWMutex");
    /* A writer is pending: the last reader it waits for lets it in. */
    if (asub_fetch(&rw->reader_wait, 1, memory_order_seq_cst) == 0)
        sema_release(&rw->writer_sem, false);
}

void goc_rwmutex_lock(goc_rwmutex *rw)
{
    sched_safepoint();
    goc_mutex_lock(&rw->w);
    int32_t active = aadd_fetch(&rw->reader_count, -RW_MAX_READERS, memory_order_seq_cst) + RW_MAX_READERS;
    /* Readers that leave between the two additions have already decremented
     * reader_wait, so it reaches zero exactly when the last one is gone. */
    if (active != 0 &&
        aadd_fetch(&rw->reader_wait, active, memory_order_seq_cst) != 0)
        sema_acquire(&rw->writer_sem, false, waitreason_rwmutex_lock);
}

void goc_rwmutex_unlock(goc_rwmutex *rw)
{
    sched_safepoint();
    int32_t queued = aadd_fetch(&rw->reader_count, RW_MAX_READERS, memory_order_seq_cst);
    if (queued >= RW_MAX_READERS)
        throw_panic("sync: Unlock of unlocked RWMutex");
    for (int32_t i = 0; i < queued; i++)
        sema_release(&rw->reader_sem, false);
    goc_mutex_unlock(&rw->w);
}
