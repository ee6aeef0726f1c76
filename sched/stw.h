/* SPDX-License-Identifier: MIT */
/* What a stopped world looks like from the collector (sched/stw.c,
 * sched/suspend.c). */
#ifndef GOC_SCHED_STW_H
#define GOC_SCHED_STW_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "base/critical.h"

struct goc_g;
struct goc_p;

/* The signal that holds threads for a stopped world (why this one:
 * sched/suspend.c). */
#define STW_SIGNAL CRITICAL_STOP_SIGNAL
/* Installs its handler (signals_init). */
void suspend_init(void);

/* A thread held in the stop signal's handler while the world is stopped. */
typedef struct stw_thread_view {
    /* The goroutine it was running (in user code, or in a blocking section),
     * or a foreign thread's stand-in G (g->is_thread); never NULL. */
    struct goc_g *g;
    /* The stack to scan conservatively: lo is the interrupted stack pointer
     * minus the red zone (128 bytes on x86_64), hi the top of the
     * goroutine's stack as it was at suspension (g->stack.hi: a blocking
     * section's stack may have grown, and cannot move while suspended), or
     * the thread's own stack top. */
    uintptr_t     stack_lo, stack_hi;
    /* The interrupted registers to scan conservatively: the ucontext_t with
     * the general registers and, following it in the signal frame, the
     * whole FP/vector save area (xsave: vectors may hold pointers).  NULL
     * and 0 for a foreign thread held while waiting in the runtime (a
     * channel, a lock): its registers are spilled on its stack, in range. */
    const void   *regs;
    size_t        regs_len;
} stw_thread_view;

/* A thread the world stopper may have to suspend: an M (embedded in it) or
 * a registered foreign thread.  Private to sched/suspend.c. */
typedef struct stw_thread {
    _Atomic uint32_t   state;       /* STW_RUNNING or STW_SUSPENDED */
    _Atomic uint32_t   exiting;     /* a foreign thread on its way out */
    pthread_t          thread;      /* a foreign thread's (an M's is m->thread) */
    struct goc_g      *g;           /* a foreign thread's stand-in G */
    uintptr_t          stack_top;   /* a foreign thread's stack top */
    uintptr_t          stack_bottom;/* and its lowest address */
    _Atomic uint32_t   parked;      /* a foreign thread waiting in foreign_park */
    struct goc_p      *held_p;      /* its P, kept while suspended */
    stw_thread_view    view;
    stw_thread_view    parked_view; /* where it waits while parked */
    struct stw_thread *next_suspended;
    struct stw_thread *next, *prev; /* registered foreign threads */
} stw_thread;

/* With the world stopped: every thread that is suspended in the stop
 * handler (goroutines preempted by the signal in user code, goroutines in
 * goc_blocking_begin sections, registered foreign threads) or held while
 * waiting in the runtime (foreign threads in a goc wait), one call each.
 * Goroutines parked at safe points, runnable or waiting are not in it:
 * their registers are saved on their own stack at ctx.sp, and the
 * collector scans [ctx.sp, stack.hi) for them through sched_for_each_g;
 * the goroutines listed here must be scanned through their view instead
 * (their status is G_RUNNING or G_BLOCKING and ctx.sp is stale).  The
 * stopper's own thread is not in it.  fn must not suspend or park. */
void stw_for_each_suspended(void (*fn)(const stw_thread_view *t, void *arg), void *arg);

/* Nanoseconds the last stw_stop took, from the request to the last thread
 * stopped (gctrace's first clock figure, memstats' pauses). */
int64_t stw_last_stop_ns(void);

#endif
