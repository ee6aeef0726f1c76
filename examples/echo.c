/* SPDX-License-Identifier: MIT */
/* TCP echo server: one goroutine per connection, each sending back what it
 * reads until the peer closes.
 *
 *   echo [port] [address]      (default: any free port on 127.0.0.1) */
#include <stdint.h>

#include "examples/net.h"

static void serve(void *arg) {
    int fd = (int)(intptr_t)arg;
    char buf[16384];
    for (;;) {
        ssize_t n = goc_read(fd, buf, sizeof buf);
        if (n <= 0 || goc_write(fd, buf, (size_t)n) < 0)
            break;
    }
    goc_close(fd);
}

static int echo_main(int argc, char **argv) {
    int listener = example_listen("echo", argc, argv);
    for (;;) {
        int fd = example_accept(listener);
        if (fd < 0)
            return example_accept_failed("echo", fd);
        goc_go(serve, (void *)(intptr_t)fd);
    }
}

GOC_MAIN(echo_main)
