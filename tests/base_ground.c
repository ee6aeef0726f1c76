/* SPDX-License-Identifier: MIT */
/* base/ alone: this program uses only the ground floor, so linking it
 * against libgoc-internal.a pulls in no object of another layer (a call up
 * would drag the scheduler in and show in the map below).  Locks exclude,
 * notes wake, the thread slot is per thread, the clock advances,
 * fastrandn stays in range. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/atomics.h"
#include "base/clock.h"
#include "base/lock.h"
#include "base/rand.h"
#include "base/tls.h"

enum { THREADS = 4, ROUNDS = 200000 };

static goc_lock lock = GOC_LOCK_INIT;
static uint64_t counter;   /* under lock, plain on purpose */
static goc_note go[THREADS];   /* one sleeper each */
static _Atomic int failures;

static void fail(const char *what) {
    fprintf(stderr, "base_ground: %s\n", what);
    afetch_add(&failures, 1, memory_order_relaxed);
}

static void *worker(void *arg) {
    thread_slot_set(arg);
    note_sleep(&go[*(int *)arg]);
    for (int i = 0; i < ROUNDS; i++) {
        lock_acquire(&lock);
        counter++;
        lock_release(&lock);
        if (fastrandn(7) >= 7)
            fail("fastrandn(7) out of range");
    }
    if (thread_slot() != arg)
        fail("the thread slot changed under its thread");
    return NULL;
}

int main(void) {
    pthread_t t[THREADS];
    int ids[THREADS];
    for (int i = 0; i < THREADS; i++) {
        ids[i] = i;
        note_clear(&go[i]);
        pthread_create(&t[i], NULL, worker, &ids[i]);
    }
    int64_t t0 = nanotime();
    if (note_sleep_until(&(goc_note){0}, t0 + 1000000))
        fail("a note nobody woke says it was woken");
    if (nanotime() - t0 < 1000000)
        fail("note_sleep_until returned before its deadline");
    for (int i = 0; i < THREADS; i++)
        note_wakeup(&go[i]);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    if (counter != (uint64_t)THREADS * ROUNDS)
        fail("the lock let two holders in");
    if (thread_slot() != NULL)
        fail("the main thread's slot is not empty");
    return aload(&failures, memory_order_relaxed) ? 1 : 0;
}
