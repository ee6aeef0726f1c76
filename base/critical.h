/* SPDX-License-Identifier: MIT */
/* Runtime critical sections: stretches of code during which a thread must
 * not be suspended by the stop-the-world signal (sched/suspend.c), because
 * the world stopper or the collector may need what the thread holds then: a
 * runtime lock, an allocation cache half updated, a stack half moved.
 * lock_acquire/lock_release count as such a section; the allocator and the
 * stack mover mark theirs with critical_begin/end.
 *
 * A per-thread counter says the thread is inside one.  It changes by one
 * instruction through the thread pointer, so a signal on the same thread
 * sees it before or after, never half-changed, and the compiler never
 * reuses a thread-local address computed before a goroutine switch (the
 * goroutine may resume on another thread: sched.h).  A suspension request
 * that finds the counter above zero sets its pending flag; leaving the
 * outermost section then repeats the request at once (critical_exit),
 * rather than waiting for the stopper to send it again.  The request is a
 * signal, CRITICAL_STOP_SIGNAL, whose handler is sched/suspend.c's. */
#ifndef GOC_BASE_CRITICAL_H
#define GOC_BASE_CRITICAL_H

#include <signal.h>
#include <stdint.h>

#include "base/atomics.h"

/* SIGURG, as Go 1.14+ for preemption: see sched/suspend.c for why. */
#define CRITICAL_STOP_SIGNAL SIGURG

/* depth: sections entered and not left; pending: a suspension request
 * found depth above zero. */
typedef struct goc_critical_state {
    uint32_t depth;
    uint32_t pending;
} goc_critical_state;
extern __thread goc_critical_state goc_critical __attribute__((tls_model("initial-exec")));
void critical_exit(void);

#if defined(__x86_64__)
static inline void critical_begin(void) {
    uintptr_t off;
    __asm__ volatile("movq goc_critical@gottpoff(%%rip), %0\n\t"
                     "incl %%fs:(%0)"
                     : "=r"(off) : : "memory", "cc");
}

static inline void critical_end(void) {
    uintptr_t off;
    uint32_t pending;
    __asm__ volatile("movq goc_critical@gottpoff(%%rip), %0\n\t"
                     "decl %%fs:(%0)\n\t"
                     "movl %%fs:4(%0), %1"
                     : "=&r"(off), "=r"(pending) : : "memory", "cc");
    if (__builtin_expect(pending != 0, 0))
        critical_exit();
}
#else
/* Out of line, so no thread-local address outlives a switch. */
goc_critical_state *critical_here(void);
static inline void critical_begin(void) {
    aadd_fetch(&critical_here()->depth, 1, memory_order_relaxed);
}
static inline void critical_end(void) {
    goc_critical_state *c = critical_here();
    asub_fetch(&c->depth, 1, memory_order_relaxed);
    if (__builtin_expect(aload(&c->pending, memory_order_relaxed) != 0, 0))
        critical_exit();
}
#endif

#endif
