/* SPDX-License-Identifier: MIT */
/* goc_main runs its function as goroutine 1 and returns that function's
 * status; returning from C's main then ends the process even though other
 * goroutines are still spinning, blocked, sleeping or inside a blocking
 * call.  If the runtime waited for them, the run would time out.
 *
 *   go_main          goc_main returns 42 to a main that checks it; exits 0
 *   go_main status   main returns goc_main's value directly; exits 7 */
#include <string.h>

#include "testing.h"

static void spin_yielding(void *arg)
{
    (void)arg;
    for (;;)
        goc_yield();
}

static void block_forever(void *arg)
{
    goc_chan_recv(arg, NULL);
}

static void sleep_long(void *arg)
{
    (void)arg;
    goc_sleep(100 * GOC_SECOND);
}

static void block_in_syscall(void *arg)
{
    (void)arg;
    goc_blocking_begin();
    sleep(100);
    goc_blocking_end();
}

static int busy_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    CHECK(goc_self() == 1, "goc_main's function runs as goroutine %lld", (long long)goc_self());
    goc_go(spin_yielding, NULL);
    goc_go(spin_yielding, NULL);
    goc_go(block_forever, goc_chan_make(0, 0));
    goc_go(sleep_long, NULL);
    goc_go(block_in_syscall, NULL);
    goc_sleep(50 * GOC_MILLISECOND);
    return test_status() == 0 ? 42 : 1;
}

static int returns_seven(int argc, char **argv)
{
    (void)argc, (void)argv;
    goc_go(spin_yielding, NULL);
    goc_sleep(10 * GOC_MILLISECOND);
    return 7;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "status") == 0)
        return goc_main(returns_seven, argc, argv);
    int status = goc_main(busy_main, argc, argv);
    CHECK(status == 42, "goc_main returned %d, want 42", status);
    return test_status();
}
