/* SPDX-License-Identifier: MIT */
/* An idle program costs almost no CPU: while every goroutine sleeps or
 * waits on a channel for 200 ms, the process (all its threads) uses under
 * 50 ms of user + system time.  Spinning idle threads, or a timer loop that
 * polls instead of sleeping until the next deadline, fail this. */
#include <sys/resource.h>

#include "testing.h"

static int64_t cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
           ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

static goc_waitgroup started;

static void wait_on_channel(void *arg)
{
    goc_waitgroup_done(&started);
    goc_chan_recv(arg, NULL);
}

static void sleep_a_while(void *arg)
{
    (void)arg;
    goc_waitgroup_done(&started);
    goc_sleep(150 * GOC_MILLISECOND);
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    goc_chan *never = goc_chan_make(0, 0);
    goc_waitgroup_add(&started, 110);
    for (int i = 0; i < 100; i++)
        goc_go(wait_on_channel, never);
    for (int i = 0; i < 10; i++)
        goc_go(sleep_a_while, NULL);
    /* Every goroutine has started (each costs ~4 ms under TSan); then
     * start-up work (thread creation, spinning Ms) settles. */
    goc_waitgroup_wait(&started);
    goc_sleep(50 * GOC_MILLISECOND);

    int64_t cpu0 = cpu_ns(), wall0 = test_clock_ns();
    goc_sleep(200 * GOC_MILLISECOND);
    int64_t cpu = cpu_ns() - cpu0, wall = test_clock_ns() - wall0;
    printf("idle 200 ms: %lld us of CPU over %lld us\n", (long long)(cpu / 1000),
           (long long)(wall / 1000));
    CHECK(cpu < 50 * GOC_MILLISECOND, "idle program used %lld ms of CPU in %lld ms",
          (long long)(cpu / 1000000), (long long)(wall / 1000000));
    return test_status();
}

GOC_MAIN(test_main)
