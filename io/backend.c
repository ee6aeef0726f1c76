/* SPDX-License-Identifier: MIT */
/* Choosing the back-end on the first I/O call: io_uring with epoll
 * readiness for sockets unless GODEBUG=gocpoll asks for all-uring or
 * all-epoll, or the kernel refuses io_uring (kernel.io_uring_disabled, a
 * seccomp profile such as Docker's default), which leaves epoll. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/io.h"
#include "sched/env.h"

static const io_backend *backend;
static pthread_once_t backend_once = PTHREAD_ONCE_INIT;

static void use_epoll(void) {
    if (!epoll_init())
        fatal("epoll_create1: %s", strerror(errno));
    backend = &io_epoll_backend;
}

static void choose_backend(void) {
    sched_ensure_started();   /* parses GODEBUG */
    const char *poll = godebug_string("gocpoll");
    bool want_epoll = poll && strcmp(poll, "epoll") == 0;
    bool want_uring = poll && strcmp(poll, "uring") == 0;
    if (poll && !want_epoll && !want_uring)
        fprintf(stderr, "goc: ignoring GODEBUG=\"gocpoll=%s\": want uring or epoll\n", poll);
    if (want_epoll) {
        use_epoll();
    } else if (!uring_init()) {
        fprintf(stderr, "goc: io_uring unavailable (%s); using epoll\n", strerror(errno));
        use_epoll();
    } else if (want_uring) {
        backend = &io_uring_backend;
    } else if (!hybrid_init()) {
        fprintf(stderr, "goc: epoll unavailable (%s); sockets go through io_uring\n",
                strerror(errno));
        backend = &io_uring_backend;
    } else {
        backend = &io_hybrid_backend;
    }
    /* A write to a peer that went away must fail with -EPIPE, as in Go, not
     * kill the process; a program that chose a SIGPIPE disposition keeps it. */
    struct sigaction old;
    if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
        !(old.sa_flags & SA_SIGINFO)) {
        struct sigaction ign = {.sa_handler = SIG_IGN};
        sigaction(SIGPIPE, &ign, NULL);
    }
    sched_netpoll_register(&backend->netpoll);
}

const io_backend *io_backend_get(void) {
    pthread_once(&backend_once, choose_backend);
    return backend;
}

const char *io_backend_name(void) { return io_backend_get()->name; }
