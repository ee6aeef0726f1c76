/* SPDX-License-Identifier: MIT */
/* Scheduler internals shared by sched/, gc/ and io/.
 * The G-M-P model follows Go's runtime (proc.go): a G is a goroutine, an M an
 * OS thread, a P the right to run Go code (GOMAXPROCS of them). */
#ifndef GOC_SCHED_H
#define GOC_SCHED_H

#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "goc.h"
#include "base/atomics.h"
#include "base/clock.h"
#include "base/debug.h"
#include "base/fatal.h"
#include "base/lock.h"
#include "base/rand.h"
#include "base/sanitizers.h"
#include "base/threads.h"
#include "base/tls.h"
#include "sched/stw.h"
#include "stack/stack.h"

typedef struct goc_g goc_g;
typedef struct goc_m goc_m;
typedef struct goc_p goc_p;
typedef struct goc_sudog goc_sudog;
typedef struct goc_timer goc_timer;
struct trace_buf;

/* goc_go_opts.flags bit for the runtime's own goroutines (collector,
 * sweeper, finalizers): not counted by goc_num_goroutine, as Go's system
 * goroutines are not by runtime.NumGoroutine. */
#define GOC_G_SYSTEM (1u << 31)

/* ---- goroutine states -------------------------------------------------- */
enum {
    G_IDLE,       /* being set up by newproc, not yet runnable */
    G_RUNNABLE,   /* on a run queue */
    G_RUNNING,    /* owns an M and a P */
    G_WAITING,    /* parked; only its waker may move it to RUNNABLE */
    G_BLOCKING,   /* inside goc_blocking_begin/end: owns an M, no P */
    G_DEAD,       /* finished; record kept for reuse, id retired */
};

/* ---- timers ------------------------------------------------------------ */
typedef void (*goc_timer_fn)(void *arg, int64_t now);
struct goc_timer {
    int64_t      when;      /* absolute nanotime() */
    int64_t      period;    /* > 0: re-arm after firing */
    goc_timer_fn fn;        /* runs on a scheduler context: must not block */
    void        *arg;
    goc_p       *p;         /* heap it is in, NULL when inactive */
    int32_t      index;     /* position in that heap */
};
void timer_start(goc_timer *t);          /* t->when, fn, arg, period set */
bool timer_stop(goc_timer *t);           /* true if it was pending */
void timer_reset(goc_timer *t, int64_t when);

/* ---- waiters ----------------------------------------------------------- */
/* A goroutine waiting on a channel or a semaphore.  Allocated off-stack
 * (stacks move), elem may point into the waiter's stack.
 * Invariants: a sudog is in at most one wait queue, and only its queue's
 * lock (the channel's, the semaphore root's) guards next, prev, elem and
 * success while it is queued; g->waiting lists the sudogs g is queued with
 * (waitlink), so a stack move can relocate their elem.  A select's sudogs
 * race through g->selectdone: only the waker that sets it may complete the
 * transfer.  Released (sudog_release) only once out of every queue; the
 * single-wait one (sudog_of) is embedded in its G and never released. */
struct goc_sudog {
    goc_g      *g;
    goc_sudog  *next, *prev;     /* wait queue links */
    void       *elem;            /* data element */
    void       *chan;            /* channel (or semaphore address) */
    goc_sudog  *waitlink;        /* g->waiting list (select) */
    goc_sudog  *parent;          /* sema: tree links */
    goc_sudog  *waittail;
    int64_t     acquiretime;
    uint32_t    ticket;
    bool        is_select;
    bool        success;         /* chan: woken by a value, not by close */
};
/* A parked G's stack moves (gc/shrink.c) only while no thread outside the
 * stopped world (a foreign thread) can transfer an element through it:
 * chan_lock_waits locks the channels of g's waits that carry one (at most
 * max, into locked; -1 when there are more), chan_unlock_waits releases
 * them. */
int        chan_lock_waits(goc_g *g, goc_chan **locked, int max);
void       chan_unlock_waits(goc_chan **locked, int n);
goc_sudog *sudog_acquire(void);
void       sudog_release(goc_sudog *s);
/* The record for a G's single (non-select) wait: embedded in the G, which
 * waits on one thing at a time, so a blocking operation allocates nothing. */
#define    sudog_of(g) (memset(&(g)->wait_sudog, 0, sizeof(goc_sudog)), &(g)->wait_sudog)

/* ---- G ------------------------------------------------------------------ */
/* Field order: the first three cache lines hold what creating, running and
 * finishing a goroutine touch (spawning on one core and running on
 * another moves every line touched from one core to the other, twice);
 * waits, timers and diagnostics follow. */
struct goc_g {
    goc_ctx          ctx;        /* saved stack pointer while not running */
    goc_stack        stack;      /* bounds of the goroutine's stack */
    _Atomic uint32_t status;
    _Atomic bool     preempt;    /* stop at the next safe point */
    bool             is_thread;  /* stands for a foreign OS thread */
    bool             stack_packed; /* its frames wait in a small block (stack/pack.c) */
    bool             io_ready;   /* readied by the I/O poller since it last parked
                                  * (a hint for batching: io/uring.c) */
    int64_t          id;
    goc_fn           fn;
    void            *arg;
    char            *name;       /* owned copy, NULL when unnamed */
    unsigned         flags;      /* goc_go_opts.flags */
    uint32_t         lock_count; /* nesting of goc_lock_os_thread */
    size_t           stack_hint; /* goc_go_opts.stack_size, 0 for the default */
    goc_m           *m;          /* M running it, NULL otherwise */
    goc_m           *lockedm;    /* wired by goc_lock_os_thread */
    goc_g           *schedlink;  /* run queue link */
    uintptr_t        creator_pc;
    int64_t          creator_id;
    const char      *waitreason; /* shown in tracebacks; see wait_* below */
    int32_t          waitfd;     /* the descriptor of an "IO wait", else -1 */
    /* When the wait (G_WAITING, G_BLOCKING) began: 0 until sysmon's next
     * look stamps it (sysmon.c, stamp_waits). */
    _Atomic int64_t  waitsince;
    goc_sudog       *waiting;    /* sudogs this G is enqueued with */
    goc_sudog       *param;      /* sudog that woke it, set by the waker */
    /* What a sync wait (sema_acquire, notify_list_wait) parks on: the
     * semaphore word or the goc_cond a waker must reach (gc/leak.c).  Set
     * before each such park, stale after it; channel waits have waiting. */
    const void      *waitobj;
    goc_g           *allnext;    /* all-goroutines list */
    _Atomic uint32_t selectdone; /* a select's cases race to set this */
    _Atomic uint32_t thread_wake;/* futex word for foreign threads */
    uint32_t         stack_pins; /* > 0: the kernel may use its stack (I/O in flight) */
    /* Concurrent stack reads by the collector (see sched_g_scan_claim):
     * G_SCAN_BUSY while one is in progress; above it, the cycle in which
     * the stack was read, cleared when the goroutine runs again. */
    _Atomic uint32_t gc_scan;
    /* A cycle whose collector asked this running goroutine for a copy of
     * its stack, taken when it next yields to preemption (0: none). */
    _Atomic uint32_t scan_request;
    /* Its blocking sections run only runtime code that no stop of the
     * world needs to hold (the collector's concurrent mark): stoppers
     * other than itself do not wait for it. */
    bool             stw_exempt;
    /* Sysmon never asks it to yield (the collector): while it waits in the
     * global queue for a P, the program allocates on with no cycle to pace
     * it (binary-trees: 30 ms and 70 MiB past the goal). */
    _Atomic bool     never_preempt;
    /* gc/assist.c's: scan work it did for cycle gc_assist_cycle's mark
     * beyond what its allocation owed (negative: still owed).  A record
     * reused within a cycle keeps its last owner's balance, which is
     * never more than one assist's work. */
    int64_t          gc_assist_credit;
    uint32_t         gc_assist_cycle;
    /* On the list of goroutines mark termination must look at again
     * (sched_g_changed): the cycle it was listed in, and the link. */
    _Atomic uint32_t gc_listed;
    goc_g           *gc_relink;
    goc_sudog        wait_sudog; /* see sudog_of */
    goc_timer        sleep_timer;
};

/* Parked or queued with its context saved: its registers are at ctx.sp and
 * all of its state lies in [ctx.sp, stack.hi) (the collector scans that,
 * and only such a stack may shrink or be packed). */
static inline bool sched_g_suspended(const goc_g *g) {
    uint32_t st = aload(&g->status, memory_order_relaxed);
    return !g->is_thread && g->stack.hi && g->ctx.sp && (st == G_WAITING || st == G_RUNNABLE);
}

/* ---- concurrent stack reads ---------------------------------------------------
 * While the collector marks concurrently (sched_stack_scans, set with the
 * world stopped, so every M sees it when it next runs a goroutine, and
 * cleared once the stacks the cycle moves have moved), it reads the stacks
 * of goroutines that are not running, with no pause.
 * The reader claims the goroutine first: a claimed goroutine is suspended
 * (its status WAITING or RUNNABLE, set only after its context was saved) and
 * does not run, so its stack neither changes frames nor moves (shrinking and
 * packing, gc/shrink.c, claim it the same way) until the reader releases it.
 * Readying does not wait: it changes the status, not the stack.
 * Pairing (both sides seq_cst): the reader sets G_SCAN_BUSY, then loads the
 * status; a resuming M stores G_RUNNING, then loads gc_scan and waits while
 * it is busy.  One of them sees the other.  A goroutine that runs forgets
 * it was read, so mark termination reads its stack again. */
extern _Atomic bool sched_stack_scans;
#define G_SCAN_BUSY 1u
void sched_g_resuming_slow(goc_g *g);
/* Called by every path that makes g RUNNING from WAITING or RUNNABLE, after
 * the status store and before g's stack is touched. */
static inline void sched_g_resuming(goc_g *g) {
    /* Acquire: the collector clears the flag after its last claim's
     * release, so a resume that finds it clear comes after every move
     * (gc/shrink.c moves stacks after the pause, flag still set). */
    if (__builtin_expect(aload(&sched_stack_scans, memory_order_acquire), 0))
        sched_g_resuming_slow(g);
}
/* True when g was suspended and is now held for reading its stack. */
bool sched_g_scan_claim(goc_g *g);
/* Let g run again; cycle != 0 records that its stack was read in it. */
void sched_g_scan_release(goc_g *g, uint32_t cycle);
/* A running goroutine cannot be claimed: the collector asks it to yield
 * at its next safe point (sched_request_stack_copy), and the M that
 * switches away from it hands its suspended stack to sched_stack_copy_hook
 * before queueing it again, while nobody else can run it. */
extern void (*_Atomic sched_stack_copy_hook)(goc_g *g, uint32_t cycle);
void sched_request_stack_copy(goc_g *g, uint32_t cycle);
/* Whether g's stack was read in cycle and g has not run since. */
static inline bool sched_g_scanned_in(const goc_g *g, uint32_t cycle) {
    return aload(&g->gc_scan, memory_order_relaxed) == cycle << 1;
}
/* Goroutines mark termination must look at again, so that it need not
 * walk every goroutine (30 ns each: 30 ms at a million).  While stacks are
 * read concurrently, each goroutine that resumes, is readied or starts is
 * listed once per cycle (sched_g_changed), from any thread; the collector
 * lists the ones it finds unsettled in its last concurrent pass (gc/
 * rootscan.c), and reads the list with the world stopped.  Begun with the
 * world stopped, before sched_stack_scans is set.  Only Gs of the allg
 * list (never freed) are listed: threads' stand-ins are read through
 * their suspension (stw_for_each_suspended). */
void   sched_changed_begin(uint32_t cycle);
void   sched_g_changed_slow(goc_g *g);
goc_g *sched_changed_list(void);   /* linked by gc_relink; world stopped */
/* While the world runs: drops from the list the goroutines for which
 * needed() is false (no longer worth a look at mark termination), so that
 * the list holds those that changed since, not all that ever did this
 * cycle.  needed() reads atomics only.  Nothing is dropped where the
 * process barrier is missing (base/membarrier.h). */
void   sched_changed_prune(bool (*needed)(goc_g *g, void *arg), void *arg);
static inline void sched_g_changed(goc_g *g) {
    if (__builtin_expect(aload(&sched_stack_scans, memory_order_relaxed), 0))
        sched_g_changed_slow(g);
}

/* ---- P ------------------------------------------------------------------ */
#define RUNQ_SIZE 256
#define STACK_CACHE_SIZE 32
/* The values are Go's (scheddetail prints them); Go's 2, _Psyscall, has no
 * counterpart: goc_blocking_begin hands its P off at once, so no P ever
 * waits with its goroutine in a system call.
 *   P_IDLE     no M (p->m == NULL); on sched.pidle, or about to be put
 *              there or taken from it, under sched.lock;
 *   P_RUNNING  owned by exactly one M: p->m == m and m->p == p (acquirep);
 *              only the owner touches its caches and pushes on its run
 *              queue (others may steal from the head);
 *   P_STOPPED  handed to the world stopper (stop-the-world), no M;
 *   P_DEAD     beyond GOMAXPROCS after procresize, no M, no goroutines.
 * Moves: IDLE <-> RUNNING (acquirep/releasep), RUNNING/IDLE -> STOPPED and
 * back (stw.c), STOPPED -> DEAD/IDLE (procresize).  status is written by
 * the owner or under sched.lock, read racily by sysmon and thieves. */
enum { P_IDLE = 0, P_RUNNING = 1, P_STOPPED = 3, P_DEAD = 4 };
/* Most Ps goc_maxprocs accepts (larger requests are clamped). */
#define MAX_PROCS 1024

struct goc_p {
    int32_t          id;
    _Atomic uint32_t status;
    goc_m           *m;             /* owner, NULL when idle */
    goc_p           *link;          /* idle list */
    uint32_t         schedtick;     /* incremented on every schedule */
    /* A G readied by this P's running goroutine waits alone in runnext and
     * no M was woken for it (sched_ready): set by the owner, cleared by
     * the owner at its next schedule (next to schedtick: one line), read
     * by sysmon, which wakes an M if the P has not scheduled since its
     * last look. */
    _Atomic bool     wake_deferred;
    uint32_t         syscalltick;
    /* Cache lines apart: the owner writes schedtick on every switch and
     * runnext on every ready, while idle Ms poll runq_head/tail; sharing a
     * line, each poll took it from the owner's core (pingpong at
     * GOMAXPROCS=2).
     * lock-free ring: owner pushes at tail, anyone takes from head */
    CACHE_ALIGNED _Atomic uint32_t runq_head;
    _Atomic uint32_t runq_tail;
    goc_g *_Atomic   runq[RUNQ_SIZE];
    CACHE_ALIGNED goc_g *_Atomic runnext;
    /* timer heap */
    CACHE_ALIGNED goc_lock timers_lock;
    goc_timer      **timers;
    int32_t          ntimers, timers_cap;
    _Atomic int64_t  timer0_when;   /* earliest timer, 0 if none */
    /* caches */
    goc_sudog       *sudog_cache;
    int32_t          nsudog_cache;
    goc_g           *gfree;         /* dead Gs (stackless), for reuse */
    int32_t          ngfree;
    goc_stack        stack_cache[STACK_CACHE_SIZE]; /* stacks of dead Gs */
    int32_t          nstack_cache;
    void            *mcache;        /* mem/: per-P allocation cache */
    void            *io;            /* io/: per-P submission state */
    struct trace_buf *trace;        /* execution trace events (sched/trace.c) */
    bool             gc_stop;       /* stop-the-world: P handed to the world stopper */
    _Atomic int64_t  ngoroutine;    /* started minus ended here (goroutine_count) */
};

/* ---- M ------------------------------------------------------------------ */
struct goc_m {
    int64_t          id;
    pthread_t        thread;
    int32_t          tid;           /* its kernel thread id (tools/goc-gdb.py finds its thread by it) */
    goc_ctx          g0ctx;         /* the thread's own stack: scheduler loop */
    goc_g           *curg;          /* goroutine running now, NULL on g0 */
    goc_p           *p;             /* attached P */
    goc_p           *nextp;         /* P to take when woken */
    goc_m           *schedlink;     /* idle M list */
    goc_m           *alllink;
    goc_g           *lockedg;       /* G wired to this M */
    bool             spinning;      /* looking for work without any */
    bool             blocked;       /* parked on park note */
    goc_note         park;
    /* post-switch action run by whichever context gets control next */
    goc_g           *switch_prev;
    int              switch_action;
    bool           (*park_commit)(goc_g *g, void *arg);
    void            *park_arg;
    void            *altstack;      /* sigaltstack for stack faults */
    const char      *fatal_in_progress;
    goc_stack        g0stack;       /* bounds of the thread's own stack */
    sigset_t         sigmask;       /* its creator's mask, restored once it runs */
    stw_thread       stw;           /* its suspension for a stopped world */
};

/* ---- the scheduler's global state ------------------------------------------ */
/* Wait reasons of the waits that only the program's own objects end
 * (sched/waitreason.c): park with these, not with a literal of the same
 * text, so the leak finder recognises the wait by its address. */
extern const char waitreason_chan_receive[], waitreason_chan_send[], waitreason_select[];
extern const char waitreason_chan_receive_nil[], waitreason_chan_send_nil[], waitreason_select_no_cases[];
extern const char waitreason_mutex[], waitreason_rwmutex_rlock[], waitreason_rwmutex_lock[];
extern const char waitreason_cond[], waitreason_waitgroup[];

/* A FIFO of goroutines in chunks of pointers (sched/gqueue.c), for the
 * queues all Ps share: batches move by copying pointers, never by walking
 * G records.  Guarded by the lock of the structure holding it; its length
 * is kept there too (read without the lock). */
typedef struct gq_chunk gq_chunk;
typedef struct gqueue {
    gq_chunk *head, *tail, *spare;
} gqueue;

typedef struct goc_sched {
    /* Fields written on every spawn, exit or global-queue operation sit in
     * cache lines of their own: sharing one made a core spawning
     * goroutines and a core running them stall each other. */
    CACHE_ALIGNED goc_lock lock;
    gqueue           runq;                   /* global run queue */
    int32_t          runqsize;               /* its length */
    CACHE_ALIGNED _Atomic int64_t goidgen;
    CACHE_ALIGNED _Atomic int64_t ngoroutine;  /* see goroutine_count */
    CACHE_ALIGNED goc_lock gfree_lock;         /* global dead-G pool (stackless) */
    gqueue           gfree;
    int32_t          ngfree;                   /* its length */
    CACHE_ALIGNED int64_t mnext;   /* next M id */
    int32_t          nmidle, nmidlelocked, nmfreed;
    goc_m           *midle;
    goc_p           *pidle;
    _Atomic int32_t  npidle;
    _Atomic int32_t  nmspinning;
    _Atomic uint32_t gcwaiting;     /* stop-the-world pending */
    int32_t          stopwait;
    goc_note         stopnote;
    _Atomic int32_t  nforeign_active; /* foreign threads outside the runtime */
    _Atomic int32_t  nblocking;     /* Gs inside blocking sections */
    _Atomic int64_t  io_pending;    /* operations in flight (io/) */
    _Atomic int32_t  nreadying;     /* non-M threads carrying Gs taken from the poller */
    _Atomic int64_t  waits_stamped_at; /* sysmon's last stamp_waits (tools/goc-gdb.py's clock in a core) */
    goc_lock         allg_lock;
    goc_g           *allg;
    int32_t          nallg;
    goc_m           *allm;
    goc_lock         sudog_lock;
    goc_sudog       *sudog_free;
    goc_p          **allp;
    int32_t          nprocs;        /* GOMAXPROCS */
    int64_t          start_time;
    bool             started;
    bool             main_started;
    bool             main_returned; /* the process is on its way out */
} goc_sched;
extern goc_sched sched;

/* ---- current context -------------------------------------------------------
 * The M is the thread's slot (base/tls.h): never cache it across a call that
 * may switch goroutines. */
static inline goc_m *sched_m(void) { return thread_slot(); }
static inline void sched_set_m(goc_m *m) { thread_slot_set(m); }
static inline goc_g *sched_curg(void) {
    goc_m *m = sched_m();
    return m ? aload(&m->curg, memory_order_relaxed) : NULL;
}
static inline goc_p *sched_p(void) { goc_m *m = sched_m(); return m ? m->p : NULL; }

/* Current G: a goroutine, or the foreign thread's stand-in (created on first
 * use).  Never NULL. */
goc_g *sched_getg(void);

void sched_ensure_started(void);
/* Whether SIGSEGV still reaches the runtime's handler (sched/signals.c),
 * which the collector's mprotect tracking needs: a program may replace it. */
bool sched_fault_handler_installed(void);

/* ---- parking ----------------------------------------------------------------
 * sched_park: the current G stops running.  After its context is saved,
 * commit(g, arg) runs (typically releasing the lock that protects the queue g
 * was put on); if it returns false, g continues at once.  Another party makes
 * g runnable again with sched_ready.  Foreign threads block on a futex. */
typedef bool (*goc_park_commit)(goc_g *g, void *arg);
void sched_park(goc_park_commit commit, void *arg, const char *reason);
/* sched_park for I/O on fd: "IO wait", and dumps name the descriptor. */
void sched_park_io(goc_park_commit commit, void *arg, int fd);
/* Convenience: commit that releases a goc_lock. */
bool sched_commit_unlock(goc_g *g, void *lock);
void sched_ready(goc_g *g);
/* Flag a goroutine that runs on a P (none if a P is idle) to yield it at
 * its next safe point: for a runtime goroutine about to leave a blocking
 * section that should not wait for sysmon's 10 ms preemption (the
 * collector ending its concurrent mark).  The preempted goroutine goes to
 * the global queue behind it. */
void sched_preempt_one(void);
/* Goroutines wait to run on the current P or in the global queue. */
bool sched_others_runnable(void);

/* Safe point: every public runtime call passes one.  Yields if the G was
 * flagged for preemption or the world is being stopped. */
void sched_safepoint_slow(void);
void sched_foreign_enter(void);
static inline void sched_safepoint(void) {
    goc_m *m = sched_m();
    if (unlikely(!m)) {
        /* A foreign thread: from now on the deadlock detector counts it as
         * able to act (it may send on a channel at any time). */
        sched_foreign_enter();
        return;
    }
    goc_g *g = m->curg;
    /* Runtime code must not run out of stack: a goroutine low on it grows
     * here (stack/grow.c), where nothing is half-done. */
    if (unlikely(g && stack_sp() - g->stack.lo < STACK_SAFEPOINT_ROOM)) {
        /* A stack half moved must not be suspended for a stopped world. */
        critical_begin();
        stack_grow_at_safepoint(&g->stack, (g->flags & GOC_STACK_FIXED) != 0);
        critical_end();
    }
    if (unlikely(g && (aload(&g->preempt, memory_order_relaxed) ||
                       aload(&sched.gcwaiting, memory_order_relaxed))))
        sched_safepoint_slow();
}

/* ---- a goroutine's stack (gstack.c): stack/'s moves, told about g -------- */
/* On a fault at addr in g's guard (ucontext: the interrupted context):
 * grow g's stack; false on a stack overflow. */
bool   stack_grow_on_fault(goc_g *g, uintptr_t addr, void *ucontext);
/* The size past which g's stack overflows: goc_set_max_stack's limit, or
 * its own size when it is fixed. */
size_t stack_limit_of(const goc_g *g);
/* With the world stopped, of a parked or runnable g: the size its stack
 * should shrink to (0: none), and shrinking it; whether it is parked using
 * little enough to pack, packing it (the slot left behind in *old, for the
 * caller to free) and unpacking it into slot before it runs.  The caller
 * has made sure nothing outside the stack points into it. */
size_t stack_shrink_target(const goc_g *g);
bool   stack_shrink(goc_g *g, size_t size);
bool   stack_packable(const goc_g *g);
bool   stack_pack(goc_g *g, goc_stack *old);
void   stack_unpack(goc_g *g, goc_stack *slot);

/* ---- stop the world (for the collector and GOMAXPROCS changes) ----------
 * After stw_stop returns, no goroutine or registered foreign thread runs
 * user code: each running goroutine is parked at a safe point with its
 * context saved (found through sched_for_each_g), or, when it did not reach
 * one within STW_SIGNAL_AFTER_NS, held by a signal in its handler, as are
 * goroutines in blocking sections and foreign threads that called into goc
 * (found through stw_for_each_suspended, sched/stw.h).  stw_stop returns
 * in bounded time whatever those run. */
void stw_stop(const char *reason);
void stw_start(void);
void sched_for_each_g(void (*fn)(goc_g *g, void *arg), void *arg);

/* Set by gc/ when its collector starts: sysmon asks it, as it looks around,
 * whether a periodic collection is due; a goroutine it returns is made
 * runnable (Go's forcegc). */
extern goc_g *(*_Atomic sched_sysmon_gc_hook)(int64_t now);
/* Called once when the runtime starts, before any goroutine runs: the
 * collector acquires what it keeps for the process's life there (its
 * descriptors), so that a program sees them open from the start. */
extern void (*_Atomic sched_start_hook)(void);

/* ---- misc ------------------------------------------------------------------- */
void     sched_wakep(void);            /* start a spinning M if a P is idle */
void     sched_timers_changed(int64_t when); /* wake a sleeper for an earlier timer */

/* I/O poller, registered by io/ on first use (sched_netpoll_register).
 * poll(until): reap completions; until < 0: don't block, 0: block with no
 * deadline, > 0: block until that nanotime().  Returns the readied Gs linked
 * through schedlink (the scheduler makes them runnable).  wake(): make a
 * blocked poll return promptly.  The scheduler polls without blocking in its
 * loop while sched.io_pending > 0, and an M with nothing to do blocks in poll
 * (one at a time) instead of sleeping, so completions wake it at once. */
typedef struct goc_netpoll_ops {
    goc_g *(*poll)(int64_t until_ns);
    void   (*wake)(void);
} goc_netpoll_ops;
void sched_netpoll_register(const goc_netpoll_ops *ops);
/* Mark a G runnable from a list returned by poll (also used by timers). */
void sched_inject_glist(goc_g *list);

#endif
