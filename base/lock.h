/* SPDX-License-Identifier: MIT */
/* Runtime-internal locks and one-shot notes, built on futexes.
 * These block the OS thread: hold them only for short critical sections and
 * never across a goroutine switch (a park's commit callback releases them).
 * Holding one is a critical section (base/critical.h): the count goes up
 * before the lock is taken and down after it is released, so a thread is
 * never suspended for a stopped world while it holds one. */
#ifndef GOC_BASE_LOCK_H
#define GOC_BASE_LOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "base/atomics.h"
#include "base/clock.h"
#include "base/critical.h"

typedef struct goc_lock {
    _Atomic uint32_t key;   /* 0 unlocked, 1 locked, 2 locked with sleepers */
} goc_lock;
#define GOC_LOCK_INIT {0}

void lock_acquire_slow(goc_lock *l, uint32_t seen);
void lock_release_slow(goc_lock *l);

static inline bool lock_try(goc_lock *l) {
    uint32_t expected = 0;
    critical_begin();
    if (acas(&l->key, &expected, 1, memory_order_acquire, memory_order_relaxed))
        return true;
    critical_end();
    return false;
}

static inline void lock_acquire(goc_lock *l) {
    critical_begin();
    uint32_t v = axchg(&l->key, 1, memory_order_acquire);
    if (unlikely(v != 0))
        lock_acquire_slow(l, v);
}

static inline void lock_release(goc_lock *l) {
    /* 2 means somebody sleeps on the futex */
    if (unlikely(axchg(&l->key, 0, memory_order_release) == 2))
        lock_release_slow(l);
    critical_end();
}

/* Somebody holds l (not necessarily the caller: the lock has no owner):
 * for debug_assert at the top of functions that require a lock. */
static inline bool lock_held(goc_lock *l) { return aload(&l->key, memory_order_relaxed) != 0; }

/* A note is a one-shot event: one sleeper, one waker, then note_clear. */
typedef struct goc_note {
    _Atomic uint32_t key;
} goc_note;

void note_clear(goc_note *n);
void note_wakeup(goc_note *n);
void note_sleep(goc_note *n);
/* Returns true if woken, false on timeout (ns <= 0 polls). */
bool note_sleep_until(goc_note *n, int64_t deadline_ns);

/* Raw futex helpers (private futexes). */
void futex_wait(_Atomic uint32_t *addr, uint32_t val, int64_t timeout_ns);
void futex_wake(_Atomic uint32_t *addr, int count);

/* A spinning thread's pause between two looks at a word. */
void cpu_relax(void);

#endif
