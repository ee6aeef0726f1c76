/* SPDX-License-Identifier: MIT */
/* SIGQUIT prints every goroutine's traceback, headed as Go heads them
 * ("goroutine N [chan receive]:", with Go's wait-reason strings), and exits
 * with status 2.  The goroutines below wait in known ways; tests/cases
 * checks each header.
 *
 *   sigquit raise    goroutine 1 raises SIGQUIT itself
 *   sigquit thread   a plain thread sends SIGQUIT with kill(2) while
 *                    goroutine 1 waits in a receive */
#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "testing.h"

static goc_waitgroup ready;

static void wait_recv(void *arg)
{
    goc_waitgroup_done(&ready);
    goc_chan_recv(arg, NULL);
    KEEP_FRAME();
}

static void wait_send(void *arg)
{
    goc_waitgroup_done(&ready);
    goc_chan_send(arg, NULL);
    KEEP_FRAME();
}

static void wait_select(void *arg)
{
    goc_case cases[2] = {
        { .chan = arg, .op = GOC_RECV },
        { .chan = arg, .op = GOC_SEND },
    };
    goc_waitgroup_done(&ready);
    goc_select(cases, 2);
    KEEP_FRAME();
}

static void wait_sleep(void *arg)
{
    (void)arg;
    goc_waitgroup_done(&ready);
    goc_sleep(60 * GOC_SECOND);
    KEEP_FRAME();
}

static void wait_no_cases(void *arg)
{
    (void)arg;
    goc_waitgroup_done(&ready);
    goc_select(NULL, 0);
    KEEP_FRAME();
}

static void wait_mutex(void *arg)
{
    goc_waitgroup_done(&ready);
    goc_mutex_lock(arg);
    KEEP_FRAME();
}

static void *send_sigquit(void *arg)
{
    (void)arg;
    usleep(100 * 1000);
    kill(getpid(), SIGQUIT);
    return NULL;
}

static int test_main(int argc, char **argv)
{
    REQUIRE(argc == 2, "usage: sigquit raise|thread");
    goc_chan *never = goc_chan_make(0, 0);
    static goc_mutex held;
    goc_mutex_lock(&held);

    goc_waitgroup_add(&ready, 8);
    for (int i = 0; i < 3; i++)
        goc_go(wait_recv, never);
    goc_go(wait_send, goc_chan_make(0, 0));
    goc_go(wait_select, goc_chan_make(0, 0));
    goc_go(wait_sleep, NULL);
    goc_go(wait_no_cases, NULL);
    goc_go_with(wait_mutex, &held, &(goc_go_opts){ .name = "mutex-waiter" });
    goc_waitgroup_wait(&ready);
    goc_sleep(50 * GOC_MILLISECOND);

    if (strcmp(argv[1], "raise") == 0) {
        raise(SIGQUIT);
    } else if (strcmp(argv[1], "thread") == 0) {
        pthread_t t;
        pthread_create(&t, NULL, send_sigquit, NULL);
        goc_chan_recv(goc_chan_make(0, 0), NULL);
    } else {
        REQUIRE(false, "unknown mode %s", argv[1]);
    }
    goc_sleep(5 * GOC_SECOND);
    fprintf(stderr, "sigquit %s: still running after SIGQUIT\n", argv[1]);
    return 1;
}

GOC_MAIN(test_main)
