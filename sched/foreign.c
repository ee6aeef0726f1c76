/* SPDX-License-Identifier: MIT */
/* Threads that are not goroutines (main before goc_main, the program's own
 * pthreads) may use channels, select, sync and timers.  Each gets a stand-in
 * G so the wait queues hold the same records for both; parking one blocks
 * its OS thread on a futex. */
#include "sched/internal.h"

static __thread goc_g *thread_g;
static pthread_key_t thread_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

/* The key's destructor, at the thread's exit (or when it becomes an M). */
static void thread_exit(void *arg) {
    goc_g *g = arg;
    suspend_unregister_thread();
    afetch_sub(&sched.nforeign_active, 1, memory_order_relaxed);
    afetch_sub(&sched_foreign_threads, 1, memory_order_relaxed);
    mem_meta_free(g, sizeof *g);
}

static void make_key(void) { pthread_key_create(&thread_key, thread_exit); }

goc_g *foreign_g(void) {
    if (likely(thread_g != NULL))
        return thread_g;
    if (sched_m())
        fatal("blocking operation on a scheduler thread outside any goroutine");
    sched_ensure_started();
    pthread_once(&key_once, make_key);
    goc_g *g = meta_calloc(1, sizeof *g);
    g->is_thread = true;
    g->waitreason = "foreign thread";
    afetch_add(&sched.nforeign_active, 1, memory_order_relaxed);
    afetch_add(&sched_foreign_threads, 1, memory_order_relaxed);
    pthread_setspecific(thread_key, g);
    /* From here on a stopped world holds this thread too (sched/suspend.c):
     * every entry into goc passes here first (sched_safepoint, or
     * sched_getg for the blocking operations). */
    suspend_register_thread(g);
    thread_g = g;
    return g;
}

void sched_foreign_enter(void) { foreign_g(); }

/* The thread becomes an M (goc_main): it no longer stands outside. */
void foreign_leave(void) {
    goc_g *g = thread_g;
    if (!g)
        return;
    thread_g = NULL;
    pthread_setspecific(thread_key, NULL);
    thread_exit(g);
}

void foreign_park(goc_g *g, goc_park_commit commit, void *arg) {
    astore(&g->thread_wake, 0, memory_order_relaxed);
    if (commit && !commit(g, arg))
        return;
    /* A thread blocked here cannot act: the deadlock detector counts it out
     * until its waker counts it back in (foreign_ready), so there is no
     * moment after the wake-up at which it looks blocked. */
    afetch_sub(&sched.nforeign_active, 1, memory_order_acq_rel);
    /* Waiting, the thread can be held for a stopped world without a signal:
     * its callee-saved registers go into this frame, which the stack range
     * handed to the collector covers. */
    __builtin_unwind_init();
    suspend_park_begin(stack_sp());
    while (aload(&g->thread_wake, memory_order_acquire) == 0)
        futex_wait(&g->thread_wake, 0, -1);
    suspend_park_end();
}

void foreign_ready(goc_g *g) {
    afetch_add(&sched.nforeign_active, 1, memory_order_acq_rel);
    astore(&g->thread_wake, 1, memory_order_release);
    futex_wake(&g->thread_wake, 1);
}
