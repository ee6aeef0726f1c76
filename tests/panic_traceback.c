/* SPDX-License-Identifier: MIT */
/* goc_panic prints "panic: <formatted message>", a blank line, then the
 * panicking goroutine's traceback headed "goroutine <id> [running]:" with
 * the names of the functions on its stack (static ones too), and exits 2.
 * tests/cases checks stderr for each mode:
 *
 *   main     goroutine 1 panics three static calls deep
 *   named    a goroutine started with a name panics (the name was copied:
 *            the caller's buffer is overwritten before the panic)
 *   others   goroutine 1 panics while another goroutine waits on a channel;
 *            GOTRACEBACK decides whether that one is shown
 *   thread   a plain thread (not a goroutine) panics */
#include <pthread.h>
#include <string.h>

#include "testing.h"

static __attribute__((noinline)) void explode_with_format(int n)
{
    goc_panic("boom %d %s", n, "things");
}

static __attribute__((noinline)) void middle_frame_for_panic(int n)
{
    explode_with_format(n + 1);
    KEEP_FRAME();
}

static __attribute__((noinline)) void outer_frame_for_panic(int n)
{
    middle_frame_for_panic(n + 1);
    KEEP_FRAME();
}

static void seller_loop(void *arg)
{
    goc_chan_recv(arg, NULL);
    outer_frame_for_panic(0);
    KEEP_FRAME();
}

static void wait_forever(void *arg)
{
    goc_chan_recv(arg, NULL);
    KEEP_FRAME();
}

static void *panic_on_plain_thread(void *arg)
{
    (void)arg;
    goc_panic("from a plain thread");
}

static int test_main(int argc, char **argv)
{
    REQUIRE(argc == 2, "usage: panic_traceback MODE");
    const char *mode = argv[1];
    if (strcmp(mode, "main") == 0) {
        outer_frame_for_panic(40);
    } else if (strcmp(mode, "named") == 0) {
        char name[32];
        strcpy(name, "ticket-seller-7");
        goc_chan *go_ahead = goc_chan_make(0, 0);
        goc_go_opts opts = { .name = name };
        goc_go_with(seller_loop, go_ahead, &opts);
        strcpy(name, "overwritten-name");
        goc_chan_send(go_ahead, NULL);
        goc_sleep(2 * GOC_SECOND);
    } else if (strcmp(mode, "others") == 0) {
        goc_go(wait_forever, goc_chan_make(0, 0));
        /* Long enough for it to park even under ThreadSanitizer on a
         * loaded machine (20 ms was not). */
        goc_sleep(200 * GOC_MILLISECOND);
        outer_frame_for_panic(40);
    } else if (strcmp(mode, "thread") == 0) {
        pthread_t t;
        pthread_create(&t, NULL, panic_on_plain_thread, NULL);
        pthread_join(t, NULL);
    } else {
        REQUIRE(false, "unknown mode %s", mode);
    }
    fprintf(stderr, "panic_traceback %s: returned instead of panicking\n", mode);
    return 1;
}

GOC_MAIN(test_main)
