/* SPDX-License-Identifier: MIT */
/* goc_cond: Go's sync.Cond over a ticket notify list (sched/sema.c).
 * The waiter takes its ticket while it still holds the mutex, so a signal
 * sent after the unlock but before the waiter parks still finds it. */
#include "sched/sched.h"
#include "sched/sema.h"

void goc_cond_wait(goc_cond *c, goc_mutex *m)
{
    sched_safepoint();
    uint32_t ticket = notify_list_add(c);
    goc_mutex_unlock(m);
    notify_list_wait(c, ticket);
    goc_mutex_lock(m);
}

void goc_cond_signal(goc_cond *c)
{
    sched_safepoint();
    notify_list_notify_one(c);
}

void goc_cond_broadcast(goc_cond *c)
{
    sched_safepoint();
    notify_list_notify_all(c);
}
