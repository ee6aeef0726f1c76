/* SPDX-License-Identifier: MIT */
/* Semaphores on a uint32_t word and ticket-ordered notify lists: the blocking
 * core under goc_mutex, goc_rwmutex, goc_waitgroup and goc_cond (Go's
 * runtime/sema.go).  A goroutine parks, never its thread; a foreign thread
 * blocks on its own futex through the same calls. */
#ifndef GOC_SCHED_SEMA_H
#define GOC_SCHED_SEMA_H

#include <stdbool.h>
#include <stdint.h>

#include "goc.h"

/* Wait until *addr > 0, then decrement it.  lifo puts the caller at the head
 * of the queue for addr (a mutex waiter that was already woken once).
 * reason is shown in tracebacks while the caller is parked. */
void sema_acquire(uint32_t *addr, bool lifo, const char *reason);

/* Increment *addr and wake one waiter.  handoff: the count goes straight to
 * the woken waiter and the caller yields so the waiter runs next (mutex
 * starvation mode). */
void sema_release(uint32_t *addr, bool handoff);

/* Notify list of a goc_cond (wait, notify, lock, head, tail).  A waiter takes
 * a ticket with notify_list_add before releasing its mutex, then waits for
 * that ticket: a signal between the two is never lost. */
uint32_t notify_list_add(goc_cond *c);
void     notify_list_wait(goc_cond *c, uint32_t ticket);
void     notify_list_notify_one(goc_cond *c);
void     notify_list_notify_all(goc_cond *c);

#endif
