/* SPDX-License-Identifier: MIT */
/* goc_once_do runs its function exactly once, and every caller, including
 * the ones that arrive while it runs, returns only after it has finished and
 * sees what it did.  Callers are goroutines and a plain thread.
 *
 * Goroutine 1 polls for the callers to finish instead of parking: a plain
 * thread is invisible to the deadlock detector until its first runtime call,
 * and a slow-starting one must not make the program look deadlocked. */
#include <pthread.h>
#include <stdatomic.h>

#include "testing.h"

enum { CALLERS = 50 };

static goc_once once;
static _Atomic int runs;
static int value;           /* written only by the once function */
static _Atomic int saw_unset;
static _Atomic int finished;

static void init_value(void)
{
    atomic_fetch_add(&runs, 1);
    goc_sleep(10 * GOC_MILLISECOND); /* late callers pile up meanwhile */
    value = 42;
}

static void call_once(void)
{
    goc_once_do(&once, init_value);
    if (value != 42)
        atomic_fetch_add(&saw_unset, 1);
}

static void caller_goroutine(void *arg)
{
    (void)arg;
    call_once();
    atomic_fetch_add(&finished, 1);
}

static void *caller_thread(void *arg)
{
    (void)arg;
    call_once();
    atomic_fetch_add(&finished, 1);
    return NULL;
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    pthread_t thread;
    REQUIRE(pthread_create(&thread, NULL, caller_thread, NULL) == 0, "pthread_create failed");
    for (int i = 0; i < CALLERS; i++)
        goc_go(caller_goroutine, NULL);
    while (atomic_load(&finished) < CALLERS + 1)
        goc_sleep(GOC_MILLISECOND);
    pthread_join(thread, NULL);

    call_once();
    CHECK(atomic_load(&runs) == 1, "the once function ran %d times", atomic_load(&runs));
    CHECK(atomic_load(&saw_unset) == 0, "%d callers returned before it finished",
          atomic_load(&saw_unset));
    return test_status();
}

GOC_MAIN(test_main)
