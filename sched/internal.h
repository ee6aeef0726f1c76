/* SPDX-License-Identifier: MIT */
/* Declarations private to the scheduler's own files. */
#ifndef GOC_SCHED_INTERNAL_H
#define GOC_SCHED_INTERNAL_H

#include "mem/mem.h"
#include "sched/sched.h"

#define SCHED_FAIRNESS_TICK 61   /* check the global queue every 61 schedules */

/* What the context that gets control after a switch must do with the G that
 * switched away (it could not do it itself: it was still on its stack). */
enum switch_action {
    SW_NONE,
    SW_PARK,          /* run m->park_commit; on false, make it runnable again */
    SW_YIELD,         /* back of the local run queue */
    SW_PREEMPT,       /* global run queue (fairness) */
    SW_EXIT,          /* dead: recycle */
    SW_BLOCKING_EXIT, /* left a blocking section and found no P */
    SW_MAIN_EXIT,     /* goroutine 1 returned: its M resumes goc_main's frame */
};

/* runq.c */
/* next: g goes in runnext, by a sequentially consistent exchange
 * (wakep_after_publish relies on it) unless GOMAXPROCS is 1 (runq.c). */
void   runq_put(goc_p *p, goc_g *g, bool next);
/* g in runnext by plain stores if runnext and the queue are empty (false:
 * not put); for an owner that wakes no M for g (runq.c). */
bool   runq_put_lone_next(goc_p *p, goc_g *g);
goc_g *runq_get(goc_p *p);
bool   runq_empty(goc_p *p);
uint32_t runq_len(goc_p *p);
goc_g *runq_steal(goc_p *thief, goc_p *victim, bool steal_runnext);
void   runq_drain_to_global(goc_p *p);      /* sched.lock held */
void   globrunq_put(goc_g *g);              /* sched.lock held */
void   globrunq_put_many(goc_g *const *gs, int32_t n); /* sched.lock held */
goc_g *globrunq_get(goc_p *p, int32_t max); /* sched.lock held */

/* gqueue.c: the caller holds the queue's lock. */
void     gq_push(gqueue *q, goc_g *g);
void     gq_push_n(gqueue *q, goc_g *const *gs, uint32_t n);
uint32_t gq_pop_n(gqueue *q, goc_g **out, uint32_t max);   /* oldest first */

/* proc.c */
void   switch_away(goc_m *m, goc_g *g, enum switch_action action);
void   switch_finish(goc_m *m);
void   execute(goc_m *m, goc_g *g);
void   gfree_put(goc_p *p, goc_g *g);
void   gfree_spill(goc_p *p, int32_t keep);

/* Live goroutines: counted per P by its owner (spawning on one P and
 * finishing on another then shares no cache line), and globally for those
 * started or ended without a P. */
static inline void goroutine_count_add(goc_p *p, int64_t delta) {
    if (p)
        astore(&p->ngoroutine, aload(&p->ngoroutine, memory_order_relaxed) + delta, memory_order_relaxed);
    else
        afetch_add(&sched.ngoroutine, delta, memory_order_relaxed);
}
int64_t goroutine_count(void);
void   runtime_init(void);
void   main_exit_finish(goc_m *m, goc_g *g);

/* schedule.c */
void   m_loop(goc_m *m) __attribute__((noreturn));
int64_t timers_earliest(void);

/* mthread.c */
void   acquirep(goc_m *m, goc_p *p);
goc_p *releasep(goc_m *m);
void   pidle_put(goc_p *p);                 /* sched.lock held */
goc_p *pidle_get(void);                     /* sched.lock held */
void   mput(goc_m *m);                      /* sched.lock held */
goc_m *mget(void);                          /* sched.lock held */
void   startm(goc_p *p, bool spinning);
void   stopm(goc_m *m);
void   handoffp(goc_p *p);
void   newm(goc_p *p, bool spinning);
void   m_init_current(goc_m *m);            /* bind the calling thread to m */
goc_m *m_alloc(void);
void   reset_spinning(goc_m *m);
void   wakep_after_publish(void);           /* sched_wakep after runq_put(p, g, true) */
void   stoplockedm(goc_m *m);
void   startlockedm(goc_m *m, goc_g *g);
extern int32_t mcount;                      /* Ms created, sched.lock held */

/* stw.c */
void   gcstopm(goc_m *m);
void   procresize(int32_t n);

/* suspend.c: holding threads with a signal for a stopped world.  The
 * cooperative stop gets STW_SIGNAL_AFTER_NS before running goroutines are
 * signalled; threads that were in a critical section are signalled again
 * every STW_RESEND_NS.  Short, since the collector's pauses aim under
 * 100 us: a goroutine that allocates or calls the runtime reaches a safe
 * point within microseconds, and one that does not costs a signal (a few
 * microseconds) rather than the wait. */
#define STW_SIGNAL_AFTER_NS (20 * 1000)
#define STW_RESEND_NS (100 * 1000)
void   suspend_register_thread(goc_g *g);   /* the calling foreign thread */
void   suspend_unregister_thread(void);     /* the calling thread, at its exit */
void   suspend_park_begin(uintptr_t sp);    /* the calling foreign thread waits (foreign_park) */
void   suspend_park_end(void);              /* and is woken: waits for a stopped world */
void   suspend_world_begin(void);           /* sched.lock held: handlers may hold threads */
void   suspend_signal_running(goc_m *self); /* signal the Ms of Ps still running */
void   suspend_others(goc_m *self);         /* hold blocking sections and foreign threads */
void   suspend_resume_held_ps(void);        /* sched.lock held: held Ps run again */
void   suspend_held_ps(int32_t *count, int32_t *max_id); /* sched.lock held: Ps kept by held threads */
void   suspend_world_end(void);             /* sched.lock held: no more holding */
void   suspend_release(void);               /* let the held threads go */

/* deadlock.c */
void   checkdead(void);                     /* sched.lock held */
void   deadlock_init(void);
extern _Atomic int32_t sched_foreign_threads;

/* timer.c */
int    timers_run(goc_p *p, int64_t now);   /* runs expired timers, returns count */
void   timers_move_all(goc_p *from, goc_p *to);
bool   timers_pending(void);

/* sysmon.c */
void   sysmon_start(void);
void   sysmon_wake(void);
/* sched_ready may leave a goroutine it readies alone in runnext without
 * waking an M (p->wake_deferred) only while sysmon naps at most
 * DEFERRED_WAKE_NAP_US, and sysmon naps no longer after a look that found
 * such a ready (lone_readies, set by sched_ready, cleared by sysmon): the
 * goroutine waits at most a few naps if its readier runs on. */
#define DEFERRED_WAKE_NAP_US 100
extern _Atomic uint32_t sysmon_nap_us;   /* the nap sysmon is in; UINT32_MAX: asleep */
extern _Atomic bool     lone_readies;

/* foreign.c */
goc_g *foreign_g(void);
void   foreign_leave(void);
void   foreign_park(goc_g *g, goc_park_commit commit, void *arg);
void   foreign_ready(goc_g *g);

/* netpoll glue (schedule.c) */
extern const goc_netpoll_ops *_Atomic netpoll_ops;
extern _Atomic uint32_t poller_busy;
void   netpoll_break(void);
goc_g *netpoll_nonblocking(void);

/* Runtime records come zeroed from mem/'s private jemalloc arena. */
static inline void *meta_calloc(size_t n, size_t size) { return mem_meta_alloc(n * size); }

#endif
