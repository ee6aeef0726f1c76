/* SPDX-License-Identifier: MIT */
/* The program tests/gdb_goroutines debugs: goroutines parked in known
 * ways (some packed by goc_gc), one in a blocking section and goroutine 1
 * running, at gdb_target_ready, where gdb stops it; with the argument
 * "wait", it then waits for gdb to attach.  Prints one line per goroutine
 * ("goroutine ID FUNCTION"), for the test to compare with what gdb shows.
 * Linked with libgoc.a, as a user's program, which carries the extension. */
#include <string.h>
#include <unistd.h>

#include "testing.h"

static goc_waitgroup ready;
static goc_mutex held;
static int pipe_fds[2], blocking_fds[2];

static void park_recv(void *arg) {
    goc_waitgroup_done(&ready);
    goc_chan_recv(arg, NULL);
    KEEP_FRAME();
}

static void park_select(void *arg) {
    goc_waitgroup_done(&ready);
    goc_select((goc_case[]){{.chan = arg, .op = GOC_SEND}}, 1);
    KEEP_FRAME();
}

static void park_mutex(void *arg) {
    (void)arg;
    goc_waitgroup_done(&ready);
    goc_mutex_lock(&held);
    KEEP_FRAME();
}

static void park_read(void *arg) {
    (void)arg;
    char b;
    goc_waitgroup_done(&ready);
    goc_read(pipe_fds[0], &b, 1);
    KEEP_FRAME();
}

static void in_blocking_section(void *arg) {
    (void)arg;
    char b;
    goc_blocking_begin();
    goc_waitgroup_done(&ready);
    CHECK(read(blocking_fds[0], &b, 1) == 1, "read");
    goc_blocking_end();
}

/* gdb stops here. */
__attribute__((noinline)) void gdb_target_ready(void) { KEEP_FRAME(); }

static int test_main(int argc, char **argv) {
    REQUIRE(pipe(pipe_fds) == 0 && pipe(blocking_fds) == 0, "pipe");
    goc_mutex_lock(&held);
    goc_waitgroup_add(&ready, 4);
    printf("goroutine %lld park_recv\n", (long long)goc_go(park_recv, goc_chan_make(0, 0)));
    printf("goroutine %lld park_select\n", (long long)goc_go(park_select, goc_chan_make(0, 0)));
    printf("goroutine %lld park_mutex\n",
           (long long)goc_go_with(park_mutex, NULL, &(goc_go_opts){.name = "mutex-waiter"}));
    printf("goroutine %lld park_read\n", (long long)goc_go(park_read, NULL));
    goc_waitgroup_wait(&ready);
    goc_sleep(50 * GOC_MILLISECOND);
    /* Packs the parked stacks (not while a goroutine is in a blocking
     * section: that one starts after). */
    goc_gc();
    goc_waitgroup_add(&ready, 1);
    printf("goroutine %lld in_blocking_section\n", (long long)goc_go(in_blocking_section, NULL));
    goc_waitgroup_wait(&ready);
    goc_sleep(50 * GOC_MILLISECOND);
    puts("ready");
    fflush(stdout);
    gdb_target_ready();
    /* "wait": stay for a debugger to attach (goroutine 1 parks). */
    if (argc > 1 && strcmp(argv[1], "wait") == 0)
        goc_select(NULL, 0);
    return 0;
}

GOC_MAIN(test_main)
