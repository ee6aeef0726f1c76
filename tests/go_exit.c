/* SPDX-License-Identifier: MIT */
/* goc_exit ends the calling goroutine from any call depth: no code after it
 * runs, the rest of the program goes on, and the goroutine stops counting.
 *
 *   go_exit        the checks above; exits 0
 *   go_exit main   goroutine 1 calls goc_exit while another goroutine works:
 *                  that goroutine finishes, then, as in Go, the program dies
 *                  with "no goroutines (main called ...) - deadlock!" */
#include <stdatomic.h>
#include <string.h>

#include "testing.h"

enum { EXITERS = 100 };

static _Atomic int reached_after_exit;
static _Atomic int exited;

/* Called through a pointer the compiler cannot see through, so it cannot
 * treat the recursion below as endless or the code after it as dead. */
static void (*volatile exit_goroutine)(void) = goc_exit;

static __attribute__((noinline)) void leave_from_depth(int depth)
{
    if (depth == 0) {
        atomic_fetch_add(&exited, 1);
        exit_goroutine();
        return;
    }
    leave_from_depth(depth - 1);
    atomic_fetch_add(&reached_after_exit, 1);
}

static void exiter(void *arg)
{
    leave_from_depth((int)(intptr_t)arg);
    atomic_fetch_add(&reached_after_exit, 1);
}

static int all_gone(void *arg)
{
    (void)arg;
    return goc_num_goroutine() == 1;
}

static void finish_late(void *arg)
{
    (void)arg;
    goc_sleep(100 * GOC_MILLISECOND);
    fprintf(stderr, "other goroutine finished after main exited\n");
}

static int test_main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "main") == 0) {
        goc_go(finish_late, NULL);
        goc_exit();
    }

    for (int i = 0; i < EXITERS; i++)
        goc_go(exiter, (void *)(intptr_t)(i % 20));
    CHECK(test_wait_until(all_gone, NULL, 5 * GOC_SECOND),
          "%d goroutines still counted after all called goc_exit", goc_num_goroutine());
    CHECK(atomic_load(&exited) == EXITERS, "%d of %d goroutines reached goc_exit",
          atomic_load(&exited), EXITERS);
    CHECK(atomic_load(&reached_after_exit) == 0, "code after goc_exit ran %d times",
          atomic_load(&reached_after_exit));

    /* The program, and the channel machinery, keep working afterwards. */
    goc_chan *c = goc_chan_make(sizeof(int), 1);
    int v = 7, got = 0;
    goc_chan_send(c, &v);
    CHECK(goc_chan_recv(c, &got) && got == 7, "channel after goc_exit gave %d", got);
    return test_status();
}

GOC_MAIN(test_main)
