/* SPDX-License-Identifier: MIT */
/* goc_close wakes every goroutine blocked on the fd with -EBADF (Go's "use
 * of closed network connection"): readers, writers, accept, goc_poll, many
 * at once; later calls on the fd fail with -EBADF, a second close too. */
#include <fcntl.h>

#include "tests/io_test.h"

#define MS GOC_MILLISECOND

typedef struct blocked {
    int            fd;
    int            op;      /* OP_* */
    ssize_t        result;
    int64_t        ended;
    goc_waitgroup *wg;
} blocked;

enum { OP_READ, OP_RECV, OP_WRITE, OP_ACCEPT, OP_POLL };

static void block_on(void *p) {
    blocked *b = p;
    static char sink[32 << 20];   /* more than loopback buffers hold */
    char buf[64];
    switch (b->op) {
    case OP_READ:   b->result = goc_read(b->fd, buf, sizeof buf); break;
    case OP_RECV:   b->result = goc_recv(b->fd, buf, sizeof buf, 0); break;
    case OP_WRITE:  b->result = goc_write(b->fd, sink, sizeof sink); break;
    case OP_ACCEPT: b->result = goc_accept(b->fd, NULL, NULL); break;
    case OP_POLL:   b->result = goc_poll(b->fd, POLLIN, -1); break;
    }
    b->ended = test_clock_ns();
    goc_waitgroup_done(b->wg);
}

/* Starts n goroutines blocked in op on fd, closes fd, and checks each woke
 * with -EBADF soon after. */
static void close_wakes(const char *what, int fd, int op, int n) {
    blocked *bs = calloc((size_t)n, sizeof *bs);
    goc_waitgroup wg = {0};
    for (int i = 0; i < n; i++) {
        bs[i] = (blocked){.fd = fd, .op = op, .wg = &wg};
        goc_waitgroup_add(&wg, 1);
        goc_go(block_on, &bs[i]);
    }
    goc_sleep(50 * MS);   /* let them block */
    for (int i = 0; i < n; i++)
        CHECK(bs[i].ended == 0, "%s: goroutine %d finished before the close (%zd)", what, i,
              bs[i].result);
    int64_t closed_at = test_clock_ns();
    int r = goc_close(fd);
    CHECK(r == 0, "%s: goc_close returned %d", what, r);
    goc_waitgroup_wait(&wg);
    for (int i = 0; i < n; i++) {
        CHECK(bs[i].result == -EBADF, "%s: blocked goroutine %d got %zd, want -EBADF", what,
              i, bs[i].result);
        CHECK(bs[i].ended - closed_at < 500 * MS, "%s: woke %lld ms after the close", what,
              (long long)((bs[i].ended - closed_at) / MS));
    }
    free(bs);
}

static int test_main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    io_test_resources before = io_test_resources_now();
    int a, b, sv[2], port;

    io_test_tcp_pair(&a, &b);
    close_wakes("one reader", a, OP_READ, 1);
    goc_close(b);

    io_test_tcp_pair(&a, &b);
    close_wakes("eight readers", a, OP_RECV, 8);
    goc_close(b);

    io_test_tcp_pair(&a, &b);
    close_wakes("writer to a peer that never reads", a, OP_WRITE, 1);
    goc_close(b);

    int l = io_test_listen(4, &port);
    close_wakes("accept", l, OP_ACCEPT, 2);

    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
    close_wakes("goc_poll", sv[0], OP_POLL, 3);
    goc_close(sv[1]);

    REQUIRE(pipe2(sv, O_CLOEXEC) == 0, "pipe2");
    close_wakes("pipe reader", sv[0], OP_READ, 1);
    goc_close(sv[1]);

    /* The fd is gone: operations and a second close fail with -EBADF. */
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
    CHECK(goc_close(sv[0]) == 0, "close");
    char c;
    io_test_clear_errno();
    CHECK(goc_read(sv[0], &c, 1) == -EBADF && io_test_errno() == EBADF, "read after close");
    CHECK(goc_write(sv[0], "x", 1) == -EBADF, "write after close");
    CHECK(goc_close(sv[0]) == -EBADF, "second close");
    /* The peer sees the close as end of file. */
    CHECK(goc_read(sv[1], &c, 1) == 0, "peer of a closed socket reads EOF");
    goc_close(sv[1]);

    /* The number of a closed descriptor, handed out again at once (the
     * kernel gives the lowest free one), serves the new socket normally. */
    io_test_tcp_pair(&a, &b);
    int number = a;
    l = io_test_listen(1, &port);
    CHECK(goc_close(a) == 0, "close");
    int fresh = io_test_dial(port);
    CHECK(fresh == number, "the kernel gave fd %d, not the freed %d", fresh, number);
    int peer = goc_accept(l, NULL, NULL);
    CHECK(goc_write(fresh, "hi", 2) == 2, "write on the reused descriptor");
    char buf[2];
    CHECK(goc_read(peer, buf, 2) == 2 && memcmp(buf, "hi", 2) == 0, "read its data");
    goc_close(b);
    goc_close(l);
    goc_close(fresh);
    goc_close(peer);

    io_test_check_no_leaks(before, 0);
    return test_status();
}

int main(int argc, char **argv) { return io_test_main(argc, argv, test_main); }
