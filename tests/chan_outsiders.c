/* SPDX-License-Identifier: MIT */
/* Channels shared by goroutines and threads that run no P.  With
 * GOMAXPROCS=1 the P's thread takes channel locks without an atomic
 * exchange while no other thread announces itself (sched/chan.h, the
 * bias); plain threads and goroutines inside blocking sections are such
 * others.  All of them send and receive, through single operations and
 * selects, on a buffered and an unbuffered channel: every value must
 * arrive exactly once, and close must end every receiver once the values
 * are drained. */
#include <pthread.h>
#include <stdatomic.h>

#include "testing.h"

enum {
    GOROUTINE_SENDERS = 3,
    THREAD_SENDERS = 2,
    BLOCKING_SENDERS = 1,
    SENDERS = GOROUTINE_SENDERS + THREAD_SENDERS + BLOCKING_SENDERS,
    GOROUTINE_RECEIVERS = 2,
    THREAD_RECEIVERS = 2,
    VALUES = 20000,   /* per sender */
};

static goc_chan *buffered, *unbuffered;
static _Atomic int64_t received_sum, received_count;
static goc_waitgroup senders_done, receivers_done;

/* Sender s sends s*VALUES+1 .. (s+1)*VALUES, alternating the channels, every
 * fourth value through a select over both. */
static void send_all(int s)
{
    for (int64_t i = 0; i < VALUES; i++) {
        int64_t v = (int64_t)s * VALUES + i + 1;
        if (i % 4 == 3) {
            goc_case cases[2] = {{buffered, GOC_SEND, &v, false}, {unbuffered, GOC_SEND, &v, false}};
            goc_select(cases, 2);
        } else {
            goc_chan_send(i % 2 ? unbuffered : buffered, &v);
        }
    }
}

static void receive_all(void)
{
    int64_t sum = 0, count = 0, v;
    goc_case cases[2] = {{buffered, GOC_RECV, &v, false}, {unbuffered, GOC_RECV, &v, false}};
    for (int open = 2; open > 0;) {
        int i = goc_select(cases, 2);
        if (!cases[i].ok) {
            cases[i].chan = NULL;   /* closed and drained: never ready again */
            open--;
            continue;
        }
        sum += v;
        count++;
    }
    atomic_fetch_add(&received_sum, sum);
    atomic_fetch_add(&received_count, count);
}

static void goroutine_sender(void *arg)
{
    send_all((int)(intptr_t)arg);
    goc_waitgroup_done(&senders_done);
}

static void blocking_sender(void *arg)
{
    goc_blocking_begin();   /* no P: its channel operations are an outsider's */
    send_all((int)(intptr_t)arg);
    goc_blocking_end();
    goc_waitgroup_done(&senders_done);
}

static void *thread_sender(void *arg)
{
    send_all((int)(intptr_t)arg);
    return NULL;
}

static void goroutine_receiver(void *arg)
{
    (void)arg;
    receive_all();
    goc_waitgroup_done(&receivers_done);
}

static void *thread_receiver(void *arg)
{
    (void)arg;
    receive_all();
    return NULL;
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    buffered = goc_chan_make(sizeof(int64_t), 4);
    unbuffered = goc_chan_make(sizeof(int64_t), 0);
    pthread_t threads[THREAD_SENDERS + THREAD_RECEIVERS];
    int s = 0, t = 0;
    goc_waitgroup_add(&senders_done, GOROUTINE_SENDERS + BLOCKING_SENDERS);
    goc_waitgroup_add(&receivers_done, GOROUTINE_RECEIVERS);
    for (int i = 0; i < GOROUTINE_RECEIVERS; i++)
        goc_go(goroutine_receiver, NULL);
    for (int i = 0; i < THREAD_RECEIVERS; i++)
        REQUIRE(pthread_create(&threads[t++], NULL, thread_receiver, NULL) == 0, "pthread_create");
    for (int i = 0; i < GOROUTINE_SENDERS; i++)
        goc_go(goroutine_sender, (void *)(intptr_t)s++);
    for (int i = 0; i < BLOCKING_SENDERS; i++)
        goc_go(blocking_sender, (void *)(intptr_t)s++);
    for (int i = 0; i < THREAD_SENDERS; i++)
        REQUIRE(pthread_create(&threads[t++], NULL, thread_sender, (void *)(intptr_t)s++) == 0,
                "pthread_create");
    goc_waitgroup_wait(&senders_done);
    for (int i = 0; i < THREAD_SENDERS; i++)
        pthread_join(threads[THREAD_RECEIVERS + i], NULL);
    goc_chan_close(buffered);
    goc_chan_close(unbuffered);
    goc_waitgroup_wait(&receivers_done);
    for (int i = 0; i < THREAD_RECEIVERS; i++)
        pthread_join(threads[i], NULL);

    int64_t n = (int64_t)SENDERS * VALUES;
    CHECK(atomic_load(&received_count) == n, "received %lld values, want %lld",
          (long long)atomic_load(&received_count), (long long)n);
    CHECK(atomic_load(&received_sum) == n * (n + 1) / 2, "received sum %lld, want %lld",
          (long long)atomic_load(&received_sum), (long long)(n * (n + 1) / 2));
    return test_status();
}

GOC_MAIN(test_main)
