/* SPDX-License-Identifier: MIT */
/* Bad input gets the right negative errno (and errno), and nothing else
 * breaks: a bad fd, a closed fd, a buffer the kernel cannot write or read,
 * a peer that resets, a half close, a slow reader that never reads, a
 * refused connection, accept on something that is not a socket. */
#include <fcntl.h>

#include "tests/io_test.h"

#define MS GOC_MILLISECOND

/* One operation run by a goroutine; its result goes to done. */
typedef struct io_job {
    int       fd;
    char     *data;
    size_t    n;
    goc_chan *done;   /* ssize_t */
} io_job;

static void reader(void *p) {
    io_job *job = p;
    char buf[16];
    ssize_t r = goc_read(job->fd, buf, sizeof buf);
    goc_chan_send(job->done, &r);
}

static void writer(void *p) {
    io_job *job = p;
    ssize_t r = goc_write(job->fd, job->data, job->n);
    goc_chan_send(job->done, &r);
}

static void bad_fds(void) {
    char c = 0;
    io_test_clear_errno();
    CHECK(goc_read(-1, &c, 1) == -EBADF && io_test_errno() == EBADF, "read fd -1");
    CHECK(goc_write(-5, &c, 1) == -EBADF, "write fd -5");
    CHECK(goc_recv(-1, &c, 1, 0) == -EBADF, "recv fd -1");
    CHECK(goc_send(-1, &c, 1, 0) == -EBADF, "send fd -1");
    CHECK(goc_accept(-1, NULL, NULL) == -EBADF, "accept fd -1");
    CHECK(goc_poll(-1, POLLIN, 10 * MS) == -EBADF, "poll fd -1");
    CHECK(goc_close(-1) == -EBADF, "close fd -1");

    /* A number that was never opened, and one that was closed behind goc's back. */
    int unused = 4000;
    CHECK(fcntl(unused, F_GETFD) < 0, "fd %d unexpectedly open", unused);
    CHECK(goc_read(unused, &c, 1) == -EBADF, "read of a never-opened fd");
    CHECK(goc_pwrite(unused, &c, 1, 0) == -EBADF, "pwrite of a never-opened fd");
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
    close(sv[0]);
    close(sv[1]);
    CHECK(goc_read(sv[0], &c, 1) == -EBADF, "read of a closed fd");
    CHECK(goc_write(sv[1], "x", 1) == -EBADF, "write of a closed fd");
    CHECK(goc_close(sv[0]) == -EBADF, "goc_close of a closed fd");
}

static void bad_buffers(void) {
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
    void *bad = (void *)(uintptr_t)8;   /* never mapped */
    CHECK(write(sv[1], "data", 4) == 4, "write");
    io_test_clear_errno();
    ssize_t r = goc_read(sv[0], bad, 4);
    CHECK(r == -EFAULT && io_test_errno() == EFAULT, "read into an unmapped buffer: %zd", r);
    r = goc_write(sv[1], bad, 16);
    CHECK(r == -EFAULT, "write from an unmapped buffer: %zd", r);
    /* The descriptor still works, and the data is still there. */
    char buf[4];
    r = goc_read(sv[0], buf, 4);
    CHECK(r == 4 && memcmp(buf, "data", 4) == 0, "read after EFAULT: %zd", r);
    goc_close(sv[0]);
    goc_close(sv[1]);
}

static void peer_reset(void) {
    int a, b;
    io_test_tcp_pair(&a, &b);
    /* Linger 0: close sends RST instead of FIN. */
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    REQUIRE(setsockopt(b, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0, "SO_LINGER");
    goc_close(b);
    char buf[16];
    ssize_t r = goc_read(a, buf, sizeof buf);
    CHECK(r == -ECONNRESET, "read from a reset connection: %zd", r);
    r = goc_write(a, "x", 1);
    CHECK(r == -EPIPE || r == -ECONNRESET, "write to a reset connection: %zd", r);
    goc_close(a);

    /* Reset while a reader is blocked. */
    io_test_tcp_pair(&a, &b);
    REQUIRE(setsockopt(b, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0, "SO_LINGER");
    int64_t start = test_clock_ns();
    goc_chan *done = goc_chan_make(sizeof(ssize_t), 1);
    io_job arg = {.fd = a, .done = done};
    goc_go(reader, &arg);
    goc_sleep(30 * MS);
    goc_close(b);
    ssize_t got;
    goc_chan_recv(done, &got);
    CHECK(got == -ECONNRESET, "blocked reader on a reset connection: %zd", got);
    CHECK(test_clock_ns() - start < 2 * GOC_SECOND, "reset took too long to arrive");
    goc_close(a);
}

static void half_close(void) {
    int a, b;
    io_test_tcp_pair(&a, &b);
    CHECK(goc_write(a, "question", 8) == 8, "write");
    REQUIRE(shutdown(a, SHUT_WR) == 0, "shutdown");
    char buf[32];
    ssize_t r = goc_read(b, buf, sizeof buf);
    CHECK(r == 8 && memcmp(buf, "question", 8) == 0, "read before EOF: %zd", r);
    r = goc_read(b, buf, sizeof buf);
    CHECK(r == 0, "read after the peer's SHUT_WR: %zd, want 0 (EOF)", r);
    /* The other direction still works. */
    CHECK(goc_write(b, "answer", 6) == 6, "write back over the half-open connection");
    r = goc_read(a, buf, sizeof buf);
    CHECK(r == 6 && memcmp(buf, "answer", 6) == 0, "read the answer: %zd", r);
    goc_close(b);
    r = goc_read(a, buf, sizeof buf);
    CHECK(r == 0, "read after the peer closed: %zd", r);
    goc_close(a);
}

static void slow_reader(void) {
    /* The peer never reads, then goes away: the blocked writer fails. */
    int a, b;
    io_test_tcp_pair(&a, &b);
    size_t big = 16 << 20;
    char *data = calloc(1, big);
    goc_chan *done = goc_chan_make(sizeof(ssize_t), 1);
    io_job arg = {.fd = a, .data = data, .n = big, .done = done};
    goc_go(writer, &arg);
    goc_sleep(100 * MS);
    CHECK(goc_chan_len(done) == 0, "a 16 MiB write to a reader that never reads finished");
    goc_close(b);   /* unread data: the kernel resets the connection */
    ssize_t r;
    goc_chan_recv(done, &r);
    CHECK(r == -ECONNRESET || r == -EPIPE, "writer after the slow reader left: %zd", r);
    goc_close(a);
    free(data);
}

static void refused_and_wrong_kind(void) {
    int port;
    int l = io_test_listen(1, &port);
    goc_close(l);   /* nobody listens there now */
    int r = io_test_dial(port);
    CHECK(r == -ECONNREFUSED, "connect to a closed port: %d", r);

    int p[2];
    REQUIRE(pipe2(p, O_CLOEXEC) == 0, "pipe2");
    r = goc_accept(p[0], NULL, NULL);
    CHECK(r == -ENOTSOCK, "accept on a pipe: %d", r);
    /* Writing to a pipe whose reader is gone: -EPIPE, and no SIGPIPE death. */
    goc_close(p[0]);
    ssize_t w = goc_write(p[1], "x", 1);
    CHECK(w == -EPIPE, "write to a widowed pipe: %zd", w);
    goc_close(p[1]);
}

static int test_main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    io_test_resources before = io_test_resources_now();
    bad_fds();
    bad_buffers();
    peer_reset();
    half_close();
    slow_reader();
    refused_and_wrong_kind();
    io_test_check_no_leaks(before, 0);
    return test_status();
}

int main(int argc, char **argv) { return io_test_main(argc, argv, test_main); }
