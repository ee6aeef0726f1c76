/* SPDX-License-Identifier: MIT */
/* Suspending threads with a signal for a stopped world (the idea of Boehm
 * GC's pthread_stop_world.c, with Go's choice of signal).
 *
 * The stopper asks running goroutines to stop at a safe point first
 * (sched/stw.c); a goroutine that does not get there in time, a goroutine in
 * a blocking section and a registered foreign thread get STW_SIGNAL.  Its
 * handler runs on the interrupted thread: unless the thread is in a runtime
 * critical section (in_critical), it records where the thread stopped (the
 * interrupted stack pointer and the whole signal frame, registers and
 * FP/vector state), hands its P to the stopper's count as stopped (keeping
 * it), and waits on a futex inside the handler until stw_start.  In a
 * critical section it flags the thread and returns: leaving the section
 * re-sends the signal to itself (critical_exit in base/critical.c), and the stopper
 * re-sends after STW_RESEND_NS anyway.
 *
 * SIGURG, as Go 1.14+: its default action is to ignore, so a stray one sent
 * after a stop ended harms no one; programs almost never use it (out-of-band
 * socket data only); and it is not one of the signals debuggers, sanitizers
 * or libc reserve.  Signals the runtime did not send itself are forwarded
 * to the handler installed before ours, as signals.c does for faults.
 * SA_RESTART makes the system calls it interrupts restart; the runtime's own
 * waits (futexes, the io_uring wait) re-check their condition on EINTR. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "sched/internal.h"

enum { STW_RUNNING, STW_SUSPENDED };

/* TSan runs a handler late, when the thread next enters one of its
 * interceptors, with the context of the moment the signal came: by then the
 * thread may be deeper in its stack, so a goroutine's whole stack is
 * scanned, and a foreign thread's from the handler's own frame when the
 * handler runs on that stack. */
#ifdef GOC_TSAN
#define GOC_TSAN_ACTIVE 1
#else
#define GOC_TSAN_ACTIVE 0
#endif

#if defined(__x86_64__)
#define RED_ZONE 128
#else
#define RED_ZONE 0
#endif

static struct sigaction previous;
/* This thread's record when it is a registered foreign thread. */
static __thread stw_thread *thread_rec __attribute__((tls_model("initial-exec")));
/* Registered foreign threads.  The stopper holds the lock from the moment
 * it looks for them until the world starts: a thread cannot register (it
 * would be missed) nor finish exiting (its pthread_t would dangle). */
static goc_lock threads_lock;
static stw_thread *threads;
/* With sched.lock: suspended threads, and whether handlers may suspend. */
static stw_thread *suspended;
static bool suspending;
/* Bumped by stw_start: suspended threads wait for it to change. */
static _Atomic uint32_t resume_gen;
/* Bumped by each suspension: the stopper waits on it for stragglers. */
static _Atomic uint32_t suspend_count;

/* The signal frame: the ucontext and, above it, the FP/vector save area
 * the kernel writes (x86_64: fxsave's 512 bytes, or an xsave area whose
 * size its software-reserved bytes give). */
static size_t frame_len(const ucontext_t *uc) {
    uintptr_t end = (uintptr_t)(uc + 1);
#if defined(__x86_64__)
    /* struct _fpx_sw_bytes at offset 464 of the fxsave image (kernel ABI;
     * glibc's headers do not name it). */
    enum { SW_BYTES = 464, XSTATE_MAGIC1 = 0x46505853u, FXSAVE_SIZE = 512 };
    const uint8_t *fp = (const uint8_t *)uc->uc_mcontext.fpregs;
    if (fp) {
        uint32_t magic, size = FXSAVE_SIZE;
        memcpy(&magic, fp + SW_BYTES, sizeof magic);
        if (magic == XSTATE_MAGIC1)
            memcpy(&size, fp + SW_BYTES + 4, sizeof size);
        if ((uintptr_t)fp + size > end)
            end = (uintptr_t)fp + size;
    }
#endif
    return end - (uintptr_t)uc;
}

/* Runtime critical sections: the counter (runtime locks, the allocator,
 * stack moves), a nested signal handler (on the altstack: stack growth,
 * reports), the scheduler's own code on g0, and a context switch under way
 * (the stack pointer is not on the current goroutine's stack yet). */
static bool in_critical(goc_m *m, const ucontext_t *uc) {
    if (goc_critical.depth != 0)
        return true;
    uintptr_t sp = ucontext_sp(uc);
    stack_t ss;
    if (sigaltstack(NULL, &ss) == 0 && !(ss.ss_flags & SS_DISABLE) &&
        sp >= (uintptr_t)ss.ss_sp && sp < (uintptr_t)ss.ss_sp + ss.ss_size)
        return true;
    if (!m)
        return false;
    goc_g *g = m->curg;
    return !g || sp < g->stack.lo || sp >= g->stack.hi;
}

/* sched.lock held, suspending: rec is held until the world starts. */
static void claim(stw_thread *rec, const stw_thread_view *view) {
    rec->view = *view;
    rec->next_suspended = suspended;
    suspended = rec;
    astore(&rec->state, STW_SUSPENDED, memory_order_release);
}

/* Waits for stw_start, given resume_gen as read under sched.lock while
 * rec was held. */
static void wait_resume(uint32_t gen) {
    while (aload(&resume_gen, memory_order_acquire) == gen)
        futex_wait(&resume_gen, gen, -1);
}

static void suspend_self(stw_thread *rec, goc_m *m, ucontext_t *uc) {
    goc_g *g = m ? m->curg : rec->g;
    uintptr_t lo = ucontext_sp(uc) - RED_ZONE;
    /* A goroutine's red zone never reaches below its stack: the guard. */
    if (m && (lo < g->stack.lo || GOC_TSAN_ACTIVE))
        lo = g->stack.lo;
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    if (!m && GOC_TSAN_ACTIVE && here < lo && here >= rec->stack_bottom)
        lo = here;
    stw_thread_view view = {
        .g = g, .stack_lo = lo, .stack_hi = m ? g->stack.hi : rec->stack_top,
        .regs = uc, .regs_len = frame_len(uc),
    };
#if GOC_TSAN_ACTIVE && defined(__x86_64__)
    /* TSan's late handler gets the registers of the moment the signal came,
     * not of now.  It is called from an interceptor, on the thread's own
     * stack: the caller-saved registers are dead there, whatever the frames
     * between spilled is in the stack range above, and the callee-saved
     * registers still live are copied here (this frame lives until the
     * world starts) and scanned instead of the stale context. */
    uintptr_t now[6];
    __asm__ volatile("movq %%rbx, 0(%0)\n\tmovq %%rbp, 8(%0)\n\tmovq %%r12, 16(%0)\n\t"
                     "movq %%r13, 24(%0)\n\tmovq %%r14, 32(%0)\n\tmovq %%r15, 40(%0)"
                     : : "r"(now) : "memory");
    view.regs = now;
    view.regs_len = sizeof now;
#endif
    lock_acquire(&sched.lock);
    if (!suspending) {      /* the world started again meanwhile */
        lock_release(&sched.lock);
        return;
    }
    /* Already held while parked (suspend_park_begin): stay as recorded. */
    if (aload(&rec->state, memory_order_relaxed) != STW_SUSPENDED) {
        goc_p *p = m ? m->p : NULL;
        if (p && aload(&p->status, memory_order_relaxed) == P_RUNNING) {
            astore(&p->status, P_STOPPED, memory_order_relaxed);
            rec->held_p = p;
            if (--sched.stopwait == 0)
                note_wakeup(&sched.stopnote);
        }
        claim(rec, &view);
    }
    uint32_t gen = aload(&resume_gen, memory_order_relaxed);
    lock_release(&sched.lock);
    afetch_add(&suspend_count, 1, memory_order_release);
    futex_wake(&suspend_count, 1);
    wait_resume(gen);
}

/* A foreign thread waiting in foreign_park runs no user code: the stopper
 * holds it without a signal (which TSan would not deliver to a thread in a
 * raw futex wait), and it does not return to its caller while the world
 * stays stopped.  sp: its stack pointer in foreign_park, whose frame holds
 * the callee-saved registers (spilled there), so the view has no register
 * block of its own. */
void suspend_park_begin(uintptr_t sp) {
    stw_thread *rec = thread_rec;
    if (!rec)
        return;
    lock_acquire(&sched.lock);
    if (aload(&rec->state, memory_order_relaxed) != STW_SUSPENDED)
        rec->parked_view = (stw_thread_view){
            .g = rec->g, .stack_lo = sp - RED_ZONE, .stack_hi = rec->stack_top,
        };
    astore(&rec->parked, 1, memory_order_relaxed);
    lock_release(&sched.lock);
}

void suspend_park_end(void) {
    stw_thread *rec = thread_rec;
    if (!rec)
        return;
    lock_acquire(&sched.lock);
    astore(&rec->parked, 0, memory_order_relaxed);
    bool held = aload(&rec->state, memory_order_relaxed) == STW_SUSPENDED;
    uint32_t gen = aload(&resume_gen, memory_order_relaxed);
    lock_release(&sched.lock);
    if (held)
        wait_resume(gen);
}

/* Holds a parked foreign thread; false when it is not parked (any more). */
static bool claim_parked(stw_thread *t) {
    if (!aload(&t->parked, memory_order_relaxed))
        return false;
    lock_acquire(&sched.lock);
    bool parked = aload(&t->parked, memory_order_relaxed);
    if (parked && aload(&t->state, memory_order_relaxed) != STW_SUSPENDED)
        claim(t, &t->parked_view);
    lock_release(&sched.lock);
    return parked;
}

static void forward(int sig, siginfo_t *info, void *ctx) {
    if (previous.sa_flags & SA_SIGINFO) {
        if (previous.sa_sigaction)
            previous.sa_sigaction(sig, info, ctx);
    } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(sig);
    }
}

static void on_stop_signal(int sig, siginfo_t *info, void *ctx) {
    int saved_errno = errno;
    if (info->si_code != SI_TKILL || info->si_pid != getpid()) {
        forward(sig, info, ctx);
        errno = saved_errno;
        return;
    }
    goc_m *m = sched_m();
    stw_thread *rec = m ? &m->stw : thread_rec;
    if (rec && !aload(&rec->exiting, memory_order_relaxed)) {
        if (in_critical(m, ctx)) {
            /* Only the counter has an end that can repeat the request. */
            if (goc_critical.depth != 0)
                goc_critical.pending = 1;
        } else {
            goc_critical.pending = 0;
            suspend_self(rec, m, ctx);
        }
    }
    errno = saved_errno;
}

/* fork() is a critical section.  The C library's fork and the allocators'
 * fork handlers (jemalloc's, for the runtime's metadata, and the C
 * library's malloc) take their locks before the child is made; a thread
 * held for a stopped world in the middle of that would hold them all while
 * the collector needs the metadata allocator.  A stop that comes meanwhile
 * waits until fork returns in the parent.  The child has only this thread
 * and no stopper: it forgets the section and any request.  (Handlers
 * registered later run first on prepare: this one is registered after
 * the metadata allocator's, so the section opens before those locks are
 * taken.) */
static void fork_prepare(void) { critical_begin(); }
static void fork_parent(void) { critical_end(); }
static void fork_child(void) {
    goc_critical.depth = 0;
    goc_critical.pending = 0;
}

void suspend_init(void) {
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_stop_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(STW_SIGNAL, &sa, &previous);
}

/* The calling thread's stack: [*bottom, top).  The main thread's top is
 * glibc's __libc_stack_end, the stack pointer at process entry: every frame
 * lies below it, and above it are only argv, the environment and the
 * auxiliary vector, which hold no heap pointers.  pthread_getattr_np gives
 * the end of the whole [stack] mapping for it instead, with a size derived
 * from the stack rlimit rather than from what is mapped. */
extern void *__libc_stack_end;
static uintptr_t own_stack(uintptr_t *bottom) {
    pthread_attr_t attr;
    void *addr = NULL;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getstack(&attr, &addr, &size);
        pthread_attr_destroy(&attr);
    }
    *bottom = (uintptr_t)addr;
    if (gettid() == getpid())
        return (uintptr_t)__libc_stack_end;
    return (uintptr_t)addr + size;
}

void suspend_register_thread(goc_g *g) {
    stw_thread *rec = meta_calloc(1, sizeof *rec);
    rec->thread = pthread_self();
    rec->g = g;
    rec->stack_top = own_stack(&rec->stack_bottom);
    /* A program's thread may block signals; this one must get through. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, STW_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    lock_acquire(&threads_lock);
    rec->next = threads;
    if (threads)
        threads->prev = rec;
    threads = rec;
    thread_rec = rec;
    lock_release(&threads_lock);
}

void suspend_unregister_thread(void) {
    stw_thread *rec = thread_rec;
    if (!rec)
        return;
    /* From here on the stopper does not wait for this thread: it runs only
     * the rest of its exit (or has become an M, goc_main). */
    astore(&rec->exiting, 1, memory_order_relaxed);
    lock_acquire(&threads_lock);
    if (rec->prev)
        rec->prev->next = rec->next;
    else
        threads = rec->next;
    if (rec->next)
        rec->next->prev = rec->prev;
    thread_rec = NULL;
    lock_release(&threads_lock);
    mem_meta_free(rec, sizeof *rec);
}

static stw_thread *suspend_self_record(goc_m *m) { return m ? &m->stw : thread_rec; }

void suspend_world_begin(void) {
    suspending = true;
}

static void signal_m(goc_m *m) {
    pthread_t t = aload(&m->thread, memory_order_acquire);
    if (t)
        pthread_kill(t, STW_SIGNAL);
}

void suspend_signal_running(goc_m *self) {
    for (int32_t i = 0; i < aload(&sched.nprocs, memory_order_acquire); i++) {
        goc_p *p = sched.allp[i];
        goc_m *m = aload(&p->m, memory_order_acquire);
        if (m && m != self &&
            aload(&p->status, memory_order_relaxed) == P_RUNNING &&
            aload(&m->stw.state, memory_order_acquire) != STW_SUSPENDED)
            signal_m(m);
    }
}

/* One pass over the threads without a P that must be held: Ms running a
 * goroutine in a blocking section and registered foreign threads.  Signals
 * those not held yet when resend; returns how many are not. */
static int hold_pass(goc_m *self, stw_thread *self_rec, bool resend) {
    int missing = 0;
    for (goc_m *m = aload(&sched.allm, memory_order_acquire); m; m = m->alllink) {
        goc_g *g = aload(&m->curg, memory_order_acquire);
        if (m == self || !g || g->stw_exempt ||
            aload(&g->status, memory_order_acquire) != G_BLOCKING ||
            aload(&m->stw.state, memory_order_acquire) == STW_SUSPENDED)
            continue;
        missing++;
        if (resend)
            signal_m(m);
    }
    for (stw_thread *t = threads; t; t = t->next) {
        if (t == self_rec || aload(&t->exiting, memory_order_relaxed) ||
            aload(&t->state, memory_order_acquire) == STW_SUSPENDED ||
            claim_parked(t))
            continue;
        missing++;
        if (resend)
            pthread_kill(t->thread, STW_SIGNAL);
    }
    return missing;
}

void suspend_others(goc_m *self) {
    stw_thread *self_rec = suspend_self_record(self);
    lock_acquire(&threads_lock);
    int64_t resend_at = 0;
    for (;;) {
        uint32_t seen = aload(&suspend_count, memory_order_acquire);
        int64_t now = nanotime();
        bool resend = now >= resend_at;
        if (hold_pass(self, self_rec, resend) == 0)
            return;
        if (resend)
            resend_at = now + STW_RESEND_NS;
        futex_wait(&suspend_count, seen, resend_at - now);
    }
}

void suspend_resume_held_ps(void) {
    for (stw_thread *t = suspended; t; t = t->next_suspended)
        if (t->held_p)
            astore(&t->held_p->status, P_RUNNING, memory_order_relaxed);
}

void suspend_held_ps(int32_t *count, int32_t *max_id) {
    *count = 0;
    *max_id = -1;
    for (stw_thread *t = suspended; t; t = t->next_suspended) {
        if (t->held_p) {
            ++*count;
            if (t->held_p->id > *max_id)
                *max_id = t->held_p->id;
        }
    }
}

void suspend_world_end(void) {
    for (stw_thread *t = suspended; t; t = t->next_suspended) {
        t->held_p = NULL;
        astore(&t->state, STW_RUNNING, memory_order_relaxed);
    }
    suspended = NULL;
    suspending = false;
    afetch_add(&resume_gen, 1, memory_order_release);
}

void suspend_release(void) {
    futex_wake(&resume_gen, INT32_MAX);
    lock_release(&threads_lock);
}

void stw_for_each_suspended(void (*fn)(const stw_thread_view *t, void *arg), void *arg) {
    lock_acquire(&sched.lock);
    stw_thread *head = suspended;
    lock_release(&sched.lock);
    /* Threads only join at the head while the world is stopped. */
    for (stw_thread *t = head; t; t = t->next_suspended)
        fn(&t->view, arg);
}
