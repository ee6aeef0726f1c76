/* SPDX-License-Identifier: MIT */
/* What the collector's mprotect tracking (GODEBUG=gcdirty=mprotect) owes a
 * program beyond marking right (gc_torture, gc_kernel_write):
 *
 *   gc_mprotect io        the runtime's own I/O into heap memory succeeds
 *                         while marks protect it: goc_recv of 1 MiB into a
 *                         heap buffer, goc_accept with the peer's address
 *                         and its length in the heap, collections back to
 *                         back meanwhile;
 *   gc_mprotect handler   a program that installs its own SIGSEGV handler
 *                         between collections: the next collection says so
 *                         on stderr and marks with the world stopped from
 *                         then on, and the heap stays intact. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testing.h"

enum { MESSAGE = 1 << 20, ROUNDS = 8, NNODES = 50000 };

static goc_waitgroup done;
static test_gc_loop gc_loop = {.done = &done};

static uint8_t pattern(size_t i, int round) { return (uint8_t)(i * 131 + (size_t)round * 7 + i / 4096); }

static void sender(void *arg) {
    int fd = (int)(intptr_t)arg;
    uint8_t *msg = malloc(MESSAGE);
    REQUIRE(msg, "malloc failed");
    for (int round = 0; round < ROUNDS; round++) {
        for (size_t i = 0; i < MESSAGE; i++)
            msg[i] = pattern(i, round);
        REQUIRE(goc_send(fd, msg, MESSAGE, 0) == MESSAGE, "goc_send: %s", strerror(errno));
    }
    free(msg);
    goc_waitgroup_done(&done);
}

static void receiver(void *arg) {
    int fd = (int)(intptr_t)arg;
    for (int round = 0; round < ROUNDS; round++) {
        uint8_t *buf = goc_alloc_atomic(MESSAGE);
        REQUIRE(buf, "goc_alloc_atomic failed");
        for (size_t got = 0; got < MESSAGE;) {
            ssize_t r = goc_recv(fd, buf + got, MESSAGE - got, 0);
            REQUIRE(r > 0, "goc_recv into the heap: %zd (%s)", r, strerror(errno));
            got += (size_t)r;
        }
        for (size_t i = 0; i < MESSAGE; i++)
            REQUIRE(buf[i] == pattern(i, round), "round %d: byte %zu is %u, want %u", round, i,
                    buf[i], pattern(i, round));
    }
    goc_waitgroup_done(&done);
}

static void connector(void *arg) {
    struct sockaddr_in *to = arg;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0, "socket: %s", strerror(errno));
    REQUIRE(goc_connect(fd, (struct sockaddr *)to, sizeof *to) == 0, "goc_connect: %s",
            strerror(errno));
    struct sockaddr_in mine;
    socklen_t len = sizeof mine;
    REQUIRE(getsockname(fd, (struct sockaddr *)&mine, &len) == 0, "getsockname: %s", strerror(errno));
    /* The acceptor compares the address it got with this one. */
    REQUIRE(goc_send(fd, &mine.sin_port, sizeof mine.sin_port, 0) == sizeof mine.sin_port,
            "goc_send: %s", strerror(errno));
    close(fd);
    goc_waitgroup_done(&done);
}

static void accept_into_heap(void) {
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(lfd >= 0, "socket: %s", strerror(errno));
    struct sockaddr_in *at = goc_alloc(sizeof *at);
    at->sin_family = AF_INET;
    at->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof *at;
    REQUIRE(bind(lfd, (struct sockaddr *)at, sizeof *at) == 0 && listen(lfd, 8) == 0 &&
                getsockname(lfd, (struct sockaddr *)at, &len) == 0,
            "listening on 127.0.0.1: %s", strerror(errno));
    for (int round = 0; round < ROUNDS; round++) {
        goc_waitgroup_add(&done, 1);
        goc_go(connector, at);
        struct sockaddr_in *peer = goc_alloc(sizeof *peer);
        socklen_t *peer_len = goc_alloc(sizeof *peer_len);
        *peer_len = sizeof *peer;
        int fd = goc_accept(lfd, (struct sockaddr *)peer, peer_len);
        REQUIRE(fd >= 0, "goc_accept into the heap: %s", strerror(errno));
        in_port_t port = 0;
        REQUIRE(goc_recv(fd, &port, sizeof port, MSG_WAITALL) == sizeof port, "goc_recv: %s",
                strerror(errno));
        CHECK(*peer_len == sizeof *peer && peer->sin_family == AF_INET &&
                  peer->sin_addr.s_addr == htonl(INADDR_LOOPBACK) && peer->sin_port == port,
              "accepted address: length %u, family %u, port %u (want %u)", (unsigned)*peer_len,
              (unsigned)peer->sin_family, (unsigned)ntohs(peer->sin_port), (unsigned)ntohs(port));
        close(fd);
    }
    close(lfd);
}

static int run_io(void) {
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair: %s",
            strerror(errno));
    gc_loop.end_ns = test_clock_ns();
    goc_waitgroup_add(&done, 3);
    goc_go(test_gc_loop_run, &gc_loop);
    goc_go(sender, (void *)(intptr_t)sv[0]);
    goc_go(receiver, (void *)(intptr_t)sv[1]);
    accept_into_heap();
    goc_waitgroup_wait(&done);
    close(sv[0]);
    close(sv[1]);
    return test_status();
}

/* body first: test_node_check asks goc_alloc_size about its start. */
typedef struct node {
    test_node    body;
    struct node *next;
} node;

static node *list;

static void rebuild_half(uint64_t *next_id) {
    /* Pointer stores into old nodes: every other one gets a new successor. */
    for (node *n = list; n && n->next; n = n->next->next) {
        node *fresh = goc_alloc(sizeof *fresh);
        REQUIRE(fresh, "goc_alloc failed");
        fresh->body.id = ++*next_id;
        fresh->body.sum = test_node_sum(fresh->body.id);
        fresh->next = n->next->next;
        n->next = fresh;
    }
}

static void check_list(void) {
    size_t count = 0;
    for (node *n = list; n; n = n->next, count++)
        test_node_check(&n->body);
    REQUIRE(count == NNODES, "%zu nodes, want %d", count, NNODES);
}

static void program_fault(int sig) {
    (void)sig;
    static const char msg[] = "gc_mprotect: the program's SIGSEGV handler ran\n";
    (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
    _exit(3);
}

static int run_handler(void) {
    uint64_t id = 0;
    for (int i = 0; i < NNODES; i++) {
        node *n = goc_alloc(sizeof *n);
        REQUIRE(n, "goc_alloc failed");
        n->body.id = ++id;
        n->body.sum = test_node_sum(id);
        n->next = list;
        list = n;
    }
    for (int i = 0; i < 3; i++) {
        goc_gc();
        rebuild_half(&id);
        check_list();
    }
    /* Between collections (goc_gc returns with the sweep done): nothing
     * is protected now. */
    struct sigaction sa = {.sa_handler = program_fault};
    sigemptyset(&sa.sa_mask);
    REQUIRE(sigaction(SIGSEGV, &sa, NULL) == 0, "sigaction: %s", strerror(errno));
    for (int i = 0; i < 3; i++) {
        goc_gc();
        rebuild_half(&id);
        check_list();
    }
    return test_status();
}

static int test_main(int argc, char **argv) {
    const char *what = argc > 1 ? argv[1] : "";
    if (strcmp(what, "io") == 0)
        return run_io();
    if (strcmp(what, "handler") == 0)
        return run_handler();
    fprintf(stderr, "usage: gc_mprotect io|handler\n");
    return 2;
}

GOC_MAIN(test_main)
