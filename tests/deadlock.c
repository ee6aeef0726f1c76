/* SPDX-License-Identifier: MIT */
/* Deadlock detection, as Go's checkdead: when every goroutine is blocked
 * and nothing can wake one (no timer pending, nobody in a blocking call),
 * the program dies with "fatal error: all goroutines are asleep -
 * deadlock!" and the tracebacks of all goroutines, status 2.  Sleeping
 * goroutines, pending timers and blocking calls are not deadlocks.
 *
 * Dying (tests/cases checks the messages):
 *   chan         main in a receive, others in a send and in a select
 *   mutex        main locks a mutex twice
 *   waitgroup    main waits on a group nobody will finish
 *   cond         main waits on a cond nobody will signal
 *   after_timer  main blocked and an unread goc_after timer: once the timer
 *                has fired, nothing is left to wake anybody
 * Living (exit 0):
 *   sleeper      main waits for a goroutine that sleeps, then sends
 *   timer        main waits for a goc_after channel while all else blocks
 *   blocking     main waits for a goroutine inside goc_blocking_begin/end
 *   thread_busy  main waits for a plain thread that has used the runtime
 *                (a receive), then works outside it (usleep) and sends: a
 *                thread running its own code may still send.  (A thread that
 *                never touched the runtime is invisible to it.)
 *   thread_sleep the same with the plain thread in goc_sleep */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "testing.h"

static void send_forever(void *arg)
{
    int v = 1;
    goc_chan_send(arg, &v);
}

static void select_forever(void *arg)
{
    int v;
    goc_case cases[2] = {
        { .chan = arg, .op = GOC_RECV, .elem = &v },
        { .chan = goc_chan_make(sizeof(int), 0), .op = GOC_RECV, .elem = &v },
    };
    goc_select(cases, 2);
}

static void sleep_then_send(void *arg)
{
    goc_sleep(300 * GOC_MILLISECOND);
    goc_chan_send(arg, NULL);
}

static void block_in_kernel_then_send(void *arg)
{
    struct timespec ts = { 0, 300 * 1000000 };
    goc_blocking_begin();
    nanosleep(&ts, NULL);
    goc_blocking_end();
    goc_chan_send(arg, NULL);
}

static void *thread_busy_then_send(void *arg)
{
    goc_chan_recv(arg, NULL);
    usleep(300 * 1000);
    goc_chan_send(arg, NULL);
    return NULL;
}

static void *thread_sleep_then_send(void *arg)
{
    goc_sleep(300 * GOC_MILLISECOND);
    goc_chan_send(arg, NULL);
    return NULL;
}

static int test_main(int argc, char **argv)
{
    REQUIRE(argc == 2, "usage: deadlock MODE");
    const char *mode = argv[1];
    goc_chan *never = goc_chan_make(sizeof(int), 0);
    goc_chan *done = goc_chan_make(0, 0);
    int v;

    if (strcmp(mode, "chan") == 0) {
        goc_go(send_forever, goc_chan_make(sizeof(int), 0));
        goc_go(select_forever, goc_chan_make(sizeof(int), 0));
        goc_chan_recv(never, &v);
    } else if (strcmp(mode, "mutex") == 0) {
        static goc_mutex mu;
        goc_mutex_lock(&mu);
        goc_mutex_lock(&mu);
    } else if (strcmp(mode, "waitgroup") == 0) {
        static goc_waitgroup wg;
        goc_waitgroup_add(&wg, 1);
        goc_waitgroup_wait(&wg);
    } else if (strcmp(mode, "cond") == 0) {
        static goc_mutex mu;
        static goc_cond cond;
        goc_mutex_lock(&mu);
        goc_cond_wait(&cond, &mu);
    } else if (strcmp(mode, "after_timer") == 0) {
        goc_after(100 * GOC_MILLISECOND);
        goc_chan_recv(never, &v);
    } else if (strcmp(mode, "sleeper") == 0) {
        goc_go(send_forever, goc_chan_make(sizeof(int), 0));
        goc_go(sleep_then_send, done);
        goc_chan_recv(done, NULL);
        return 0;
    } else if (strcmp(mode, "timer") == 0) {
        int64_t fired;
        goc_go(send_forever, goc_chan_make(sizeof(int), 0));
        goc_chan_recv(goc_after(300 * GOC_MILLISECOND), &fired);
        return 0;
    } else if (strcmp(mode, "blocking") == 0) {
        goc_go(send_forever, goc_chan_make(sizeof(int), 0));
        goc_go(block_in_kernel_then_send, done);
        goc_chan_recv(done, NULL);
        return 0;
    } else if (strcmp(mode, "thread_busy") == 0 || strcmp(mode, "thread_sleep") == 0) {
        pthread_t t;
        pthread_create(&t, NULL, mode[7] == 'b' ? thread_busy_then_send : thread_sleep_then_send,
                       done);
        goc_go(send_forever, goc_chan_make(sizeof(int), 0));
        if (mode[7] == 'b')
            goc_chan_send(done, NULL);
        goc_chan_recv(done, NULL);
        pthread_join(t, NULL);
        return 0;
    } else {
        REQUIRE(false, "unknown mode %s", mode);
    }
    fprintf(stderr, "deadlock %s: a deadlocked call returned\n", mode);
    return 1;
}

GOC_MAIN(test_main)
