/* SPDX-License-Identifier: MIT */
/* What the example servers share: a listening TCP socket and the one line
 * that tells a user (or a test) where it is. */
#ifndef GOC_EXAMPLES_NET_H
#define GOC_EXAMPLES_NET_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <goc.h>

/* Port from argv[1] (0 or absent: any free port), address from argv[2]
 * (default 127.0.0.1).  Exits with a message on bad arguments. */
static inline int example_listen(const char *name, int argc, char **argv) {
    const char *host = argc > 2 ? argv[2] : "127.0.0.1";
    char *end;
    long port = argc > 1 ? strtol(argv[1], &end, 10) : 0;
    if (argc > 1 && (*end || port < 0 || port > 65535)) {
        fprintf(stderr, "usage: %s [port] [address]\n", name);
        exit(2);
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "%s: not an IPv4 address: %s\n", name, host);
        exit(2);
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, SOMAXCONN) < 0) {
        fprintf(stderr, "%s: listen on %s:%ld: %s\n", name, host, port, strerror(errno));
        exit(1);
    }
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    printf("%s: listening on %s:%d\n", name, host, ntohs(sa.sin_port));
    fflush(stdout);
    return fd;
}

/* Accepts the next connection, riding out transient failures (a full fd
 * table frees up as connections end); -errno if the listener is unusable.
 * Small writes go out at once, as Go sets TCP_NODELAY on every connection. */
static inline int example_accept(int listener) {
    for (;;) {
        int fd = goc_accept(listener, NULL, NULL);
        if (fd >= 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            return fd;
        }
        if (fd == -EMFILE || fd == -ENFILE || fd == -ENOBUFS || fd == -ENOMEM)
            goc_sleep(10 * GOC_MILLISECOND);
        else if (fd != -ECONNABORTED && fd != -EINTR && fd != -EPROTO)
            return fd;
    }
}

/* Ends the server when its listener fails. */
static inline int example_accept_failed(const char *name, int err) {
    fprintf(stderr, "%s: accept: %s\n", name, strerror(-err));
    return 1;
}

#endif
