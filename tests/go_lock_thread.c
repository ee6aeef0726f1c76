/* SPDX-License-Identifier: MIT */
/* goc_lock_os_thread wires a goroutine to its OS thread: however often it
 * yields, sleeps or blocks on channels, it resumes on the same pthread with
 * the same thread-local storage, while unlocked goroutines keep the other
 * threads busy enough that an unwired goroutine would migrate.  Locks nest,
 * as Go's do since 1.10. */
#include <pthread.h>
#include <stdatomic.h>

#include "testing.h"

enum { LOCKED = 4, CHURNERS = 8, ROUNDS = 300 };

static __thread int thread_mark;
static _Atomic int stop_churn;

static void churn(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop_churn))
        goc_yield();
}

typedef struct {
    goc_chan      *ping;
    goc_waitgroup *wg;
    int            id;
} locked_args;

static void stay_on_thread(void *arg)
{
    locked_args *a = arg;
    goc_lock_os_thread();
    goc_lock_os_thread();
    goc_unlock_os_thread();   /* still locked once */
    pthread_t me = pthread_self();
    thread_mark = 1000 + a->id;
    int moved = 0;
    for (int i = 0; i < ROUNDS; i++) {
        switch (i % 3) {
        case 0: goc_yield(); break;
        case 1: goc_sleep(100 * GOC_MICROSECOND); break;
        case 2: {
            int v;
            goc_chan_send(a->ping, &i);
            goc_chan_recv(a->ping, &v);
            break;
        }
        }
        if (!pthread_equal(pthread_self(), me) || thread_mark != 1000 + a->id)
            moved++;
    }
    CHECK(moved == 0, "locked goroutine %d changed threads %d times", a->id, moved);
    goc_unlock_os_thread();
    goc_waitgroup_done(a->wg);
}

static void bounce(void *arg)
{
    goc_chan *ping = arg;
    int v;
    while (goc_chan_recv(ping, &v))
        goc_chan_send(ping, &v);
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    for (int i = 0; i < CHURNERS; i++)
        goc_go(churn, NULL);

    static goc_waitgroup wg;
    static locked_args args[LOCKED];
    goc_chan *pings[LOCKED];
    goc_waitgroup_add(&wg, LOCKED);
    for (int i = 0; i < LOCKED; i++) {
        pings[i] = goc_chan_make(sizeof(int), 0);
        args[i] = (locked_args){ pings[i], &wg, i };
        goc_go(bounce, pings[i]);
        goc_go(stay_on_thread, &args[i]);
    }
    goc_waitgroup_wait(&wg);
    atomic_store(&stop_churn, 1);
    for (int i = 0; i < LOCKED; i++)
        goc_chan_close(pings[i]);
    return test_status();
}

GOC_MAIN(test_main)
