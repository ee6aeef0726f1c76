/* SPDX-License-Identifier: MIT */
/* Channel misuse that Go answers with a panic.  Each mode must die with
 * status 2 and the message tests/cases expects; returning is a failure.
 *
 *   send_closed         send on a closed channel
 *   try_send_closed     non-blocking send on a closed channel (still panics)
 *   select_send_closed  a select whose send case is on a closed channel
 *   close_closed        close twice
 *   close_nil           close(NULL)
 *   blocked_sender      a sender blocked on a full channel when it is closed
 *   send_val_size       GOC_SEND_VAL with a type of the wrong size
 *   recv_val_size       GOC_RECV_VAL with a type of the wrong size */
#include <string.h>

#include "testing.h"

static void send_and_block(void *arg)
{
    int v = 2;
    goc_chan_send(arg, &v);
    KEEP_FRAME();
}

static int test_main(int argc, char **argv)
{
    REQUIRE(argc == 2, "usage: chan_panics MODE");
    const char *mode = argv[1];
    goc_chan *c = goc_chan_make(sizeof(int), 1);
    int v = 1;

    if (strcmp(mode, "send_closed") == 0) {
        goc_chan_close(c);
        goc_chan_send(c, &v);
    } else if (strcmp(mode, "try_send_closed") == 0) {
        goc_chan_close(c);
        goc_chan_try_send(c, &v);
    } else if (strcmp(mode, "select_send_closed") == 0) {
        goc_chan_close(c);
        goc_case cases[2] = {
            { .chan = goc_chan_make(sizeof(int), 0), .op = GOC_RECV, .elem = &v },
            { .chan = c, .op = GOC_SEND, .elem = &v },
        };
        goc_select(cases, 2);
    } else if (strcmp(mode, "close_closed") == 0) {
        goc_chan_close(c);
        goc_chan_close(c);
    } else if (strcmp(mode, "close_nil") == 0) {
        goc_chan_close(NULL);
    } else if (strcmp(mode, "blocked_sender") == 0) {
        goc_chan_send(c, &v);
        goc_go(send_and_block, c);
        goc_sleep(50 * GOC_MILLISECOND);
        goc_chan_close(c);
        goc_sleep(2 * GOC_SECOND);
    } else if (strcmp(mode, "send_val_size") == 0) {
        GOC_SEND_VAL(c, int64_t, 5);
    } else if (strcmp(mode, "recv_val_size") == 0) {
        goc_chan_send(c, &v);
        char small;
        GOC_RECV_VAL(c, char, &small);
    } else {
        REQUIRE(false, "unknown mode %s", mode);
    }
    fprintf(stderr, "chan_panics %s: returned instead of panicking\n", mode);
    return 1;
}

GOC_MAIN(test_main)
