/* SPDX-License-Identifier: MIT */
/* Futex-based runtime locks and notes (the shape of Go's lock_futex.go). */
#include <errno.h>
#include <sched.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/lock.h"

enum { UNLOCKED = 0, LOCKED = 1, SLEEPING = 2 };
enum { ACTIVE_SPIN = 4, ACTIVE_SPIN_CNT = 30 };

void cpu_relax(void) {
#if defined(__x86_64__)
    __asm__ volatile("pause" ::: "memory");
#elif defined(__aarch64__)
    __asm__ volatile("yield" ::: "memory");
#endif
}

void futex_wait(_Atomic uint32_t *addr, uint32_t val, int64_t timeout_ns) {
    struct timespec ts, *tsp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / 1000000000;
        ts.tv_nsec = timeout_ns % 1000000000;
        tsp = &ts;
    }
    /* EINTR, EAGAIN and timeouts all send the caller back to re-check. */
    syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, tsp, NULL, 0);
}

void futex_wake(_Atomic uint32_t *addr, int count) {
    syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

/* The inline fast path found the lock taken (seen: 1 or 2) and left it
 * LOCKED; spin a little, then sleep on the futex in SLEEPING state. */
void lock_acquire_slow(goc_lock *l, uint32_t seen) {
    /* What we leave behind when we get it: if anyone sleeps, SLEEPING, so
     * our release wakes them. */
    uint32_t wait = seen;
    for (;;) {
        for (int i = 0; i < ACTIVE_SPIN; i++) {
            while (aload(&l->key, memory_order_relaxed) == UNLOCKED) {
                uint32_t expected = UNLOCKED;
                if (acas_weak(&l->key, &expected, wait, memory_order_acquire, memory_order_relaxed))
                    return;
            }
            for (int j = 0; j < ACTIVE_SPIN_CNT; j++)
                cpu_relax();
        }
        sched_yield();
        uint32_t v = axchg(&l->key, SLEEPING, memory_order_acquire);
        if (v == UNLOCKED)
            return;
        wait = SLEEPING;
        futex_wait(&l->key, SLEEPING, -1);
    }
}

void lock_release_slow(goc_lock *l) { futex_wake(&l->key, 1); }

void note_clear(goc_note *n) { astore(&n->key, 0, memory_order_relaxed); }

void note_wakeup(goc_note *n) {
    uint32_t old = axchg(&n->key, 1, memory_order_release);
    if (old == 0)
        futex_wake(&n->key, 1);
}

void note_sleep(goc_note *n) {
    while (aload(&n->key, memory_order_acquire) == 0)
        futex_wait(&n->key, 0, -1);
}

bool note_sleep_until(goc_note *n, int64_t deadline_ns) {
    while (aload(&n->key, memory_order_acquire) == 0) {
        int64_t left = deadline_ns - nanotime();
        if (left <= 0)
            return false;
        futex_wait(&n->key, 0, left);
    }
    return true;
}
