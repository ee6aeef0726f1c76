/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "base/atomics.h"
#include "base/fatal.h"
#include "base/threads.h"

static _Atomic int32_t runtime_threads;

void runtime_thread_note(int delta) { afetch_add(&runtime_threads, delta, memory_order_relaxed); }

/* Sequentially consistent, as the detector's other counts are read. */
int32_t runtime_thread_count(void) { return aload(&runtime_threads, memory_order_seq_cst); }

void runtime_thread_start(void *(*fn)(void *), void *arg, const char *name) {
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t t;
    int err = pthread_create(&t, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err)
        fatal("cannot start the runtime thread %s: %s", name, strerror(err));
    runtime_thread_note(1);
    pthread_setname_np(t, name);
    pthread_detach(t);
}
