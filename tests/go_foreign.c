/* SPDX-License-Identifier: MIT */
/* Threads that are not goroutines use the runtime directly: main before any
 * goc_main (this program never calls it; the runtime starts on first use)
 * and plain pthreads spawn goroutines, block in channel operations and
 * select, take goroutine-aware locks and wait on wait groups.  A blocked
 * plain thread must not stall the goroutines it waits for. */
#include <pthread.h>
#include <stdatomic.h>

#include "testing.h"

enum { THREADS = 4, PER_THREAD = 2000 };

static void send_numbers(void *arg)
{
    goc_chan *c = arg;
    for (int i = 0; i < PER_THREAD; i++)
        goc_chan_send(c, &i);
    goc_chan_close(c);
}

static void echo_doubled(void *arg)
{
    goc_chan **pair = arg;
    int v;
    while (goc_chan_recv(pair[0], &v)) {
        v *= 2;
        goc_chan_send(pair[1], &v);
    }
    goc_chan_close(pair[1]);
}

static void sleep_then_send(void *arg)
{
    goc_sleep(30 * GOC_MILLISECOND);
    int v = 99;
    goc_chan_send(arg, &v);
}

typedef struct {
    goc_mutex     *mu;
    long          *counter;
    goc_waitgroup *wg;
} shared_counter;

static void add_under_lock(shared_counter *s)
{
    for (int i = 0; i < 20000; i++) {
        goc_mutex_lock(s->mu);
        (*s->counter)++;
        goc_mutex_unlock(s->mu);
    }
    goc_waitgroup_done(s->wg);
}

static void add_under_lock_g(void *arg) { add_under_lock(arg); }

static void *foreign_worker(void *arg)
{
    (void)arg;
    CHECK(goc_self() == 0, "plain thread sees goc_self()=%lld", (long long)goc_self());

    /* Receive from a goroutine, blocking this thread between values. */
    goc_chan *numbers = goc_chan_make(sizeof(int), 0);
    goc_go(send_numbers, numbers);
    int v, expect = 0;
    while (goc_chan_recv(numbers, &v)) {
        CHECK(v == expect, "plain thread received %d, want %d", v, expect);
        expect = v + 1;
    }
    CHECK(expect == PER_THREAD, "plain thread received %d values", expect);

    /* Round trips: a plain thread sends and receives through a goroutine. */
    goc_chan *pair[2] = { goc_chan_make(sizeof(int), 0), goc_chan_make(sizeof(int), 0) };
    goc_go(echo_doubled, pair);
    for (int i = 0; i < PER_THREAD; i++) {
        goc_chan_send(pair[0], &i);
        CHECK(goc_chan_recv(pair[1], &v) && v == 2 * i, "echo of %d gave %d", i, v);
    }
    goc_chan_close(pair[0]);
    CHECK(!goc_chan_recv(pair[1], &v), "echo channel not closed");

    /* A blocking select on a plain thread. */
    goc_chan *late = goc_chan_make(sizeof(int), 0);
    goc_go(sleep_then_send, late);
    int got = 0;
    goc_case cases[2] = {
        { .chan = goc_chan_make(sizeof(int), 0), .op = GOC_RECV, .elem = &got },
        { .chan = late, .op = GOC_RECV, .elem = &got },
    };
    CHECK(goc_select(cases, 2) == 1 && got == 99, "select on plain thread: got %d", got);

    int64_t t0 = test_clock_ns();
    goc_sleep(20 * GOC_MILLISECOND);
    CHECK(test_clock_ns() - t0 >= 20 * GOC_MILLISECOND, "goc_sleep on plain thread too short");
    return NULL;
}

static void *foreign_locker(void *arg)
{
    add_under_lock(arg);
    return NULL;
}

int main(void)
{
    CHECK(goc_self() == 0, "main before the runtime: goc_self()=%lld", (long long)goc_self());

    /* main itself, before anything started the runtime. */
    goc_chan *c = goc_chan_make(sizeof(int), 0);
    goc_go(sleep_then_send, c);
    int v = 0;
    CHECK(goc_chan_recv(c, &v) && v == 99, "main thread received %d", v);

    pthread_t workers[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&workers[i], NULL, foreign_worker, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(workers[i], NULL);

    /* Goroutines and plain threads contend for one goc_mutex. */
    static goc_mutex mu;
    static goc_waitgroup wg;
    static long counter;
    shared_counter s = { &mu, &counter, &wg };
    goc_waitgroup_add(&wg, 2 * THREADS);
    pthread_t lockers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        pthread_create(&lockers[i], NULL, foreign_locker, &s);
        goc_go(add_under_lock_g, &s);
    }
    goc_waitgroup_wait(&wg);
    for (int i = 0; i < THREADS; i++)
        pthread_join(lockers[i], NULL);
    CHECK(counter == 2L * THREADS * 20000, "counter %ld, want %ld", counter, 2L * THREADS * 20000);
    return test_status();
}
