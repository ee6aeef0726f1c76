/* SPDX-License-Identifier: MIT */
/* After a read that returns less than it asked for, the epoll back-end
 * waits for readiness before reading again (the descriptor is usually
 * empty).  What can still be pending behind such a read must be found at
 * once: an end of file, a reset, data after a TCP urgent mark, and the end
 * of a pipe.  Each case parks a reader first, then makes everything arrive
 * in one go, so the wake-up that starts the reader has already seen it all;
 * a 2 s deadline turns a missed wake-up into -ETIMEDOUT. */
#include <fcntl.h>

#include "tests/io_test.h"

#define DEADLINE (2 * GOC_SECOND)

typedef struct reader {
    int            fd;
    char           got[256];
    size_t         len;
    ssize_t        last;      /* the result that ended the reading */
    goc_waitgroup *wg;
} reader;

/* Reads until end of file or an error, the way a server loop does. */
static void read_all(void *p) {
    reader *r = p;
    for (;;) {
        ssize_t n = goc_read(r->fd, r->got + r->len, sizeof r->got - 1 - r->len);
        if (n <= 0) {
            r->last = n;
            break;
        }
        r->len += (size_t)n;
    }
    goc_waitgroup_done(r->wg);
}

static void start_reader(reader *r, int fd, goc_waitgroup *wg) {
    *r = (reader){.fd = fd, .wg = wg};
    goc_set_deadline(fd, goc_now() + DEADLINE);
    goc_waitgroup_add(wg, 1);
    goc_go(read_all, r);
    goc_sleep(20 * GOC_MILLISECOND);   /* parked in goc_read */
}

static void check_ended(const char *what, reader *r, ssize_t want_last, const char *want) {
    CHECK(r->last == want_last, "%s: reading ended with %zd (%s), want %zd", what, r->last,
          r->last < 0 ? strerror((int)-r->last) : "", want_last);
    CHECK(r->len == strlen(want) && memcmp(r->got, want, r->len) == 0,
          "%s: read \"%.*s\", want \"%s\"", what, (int)r->len, r->got, want);
}

/* Parks a reader on the server end of a new connection, has provoke make
 * everything arrive from the client end (which it leaves shut down or
 * closed), and waits until the reading ends. */
static void tcp_case(reader *r, void (*provoke)(int client)) {
    int c, s;
    io_test_tcp_pair(&c, &s);
    goc_waitgroup wg = {0};
    start_reader(r, s, &wg);
    provoke(c);
    goc_waitgroup_wait(&wg);
    goc_close(s);
}

static void data_then_fin(int c) {
    goc_write(c, "hello", 5);
    shutdown(c, SHUT_WR);
    goc_close(c);
}

static void data_then_rst(int c) {
    goc_write(c, "bye", 3);
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    goc_close(c);   /* RST */
}

/* "X!" urgent: '!' leaves the stream (no SO_OOBINLINE), and the read that
 * returns "abcX" stops at the mark with "tail" still queued. */
static void urgent_then_tail(int c) {
    goc_write(c, "abc", 3);
    send(c, "X!", 2, MSG_OOB);
    goc_write(c, "tail", 4);
    shutdown(c, SHUT_WR);
    goc_close(c);
}

static void tcp_cases(void) {
    reader r;
    tcp_case(&r, data_then_fin);
    check_ended("data then FIN", &r, 0, "hello");
    tcp_case(&r, data_then_rst);
    /* The reset may discard the unread data: either way, no hang. */
    CHECK(r.last == -ECONNRESET || r.last == 0, "data then RST: reading ended with %zd", r.last);
    tcp_case(&r, urgent_then_tail);
    check_ended("urgent data", &r, 0, "abcXtail");
}

static void pipe_end(void) {
    int fds[2];
    REQUIRE(pipe2(fds, O_CLOEXEC) == 0, "pipe2: %s", strerror(errno));
    goc_waitgroup wg = {0};
    reader r;
    start_reader(&r, fds[0], &wg);
    goc_write(fds[1], "piped", 5);
    goc_close(fds[1]);
    goc_waitgroup_wait(&wg);
    check_ended("pipe closed after data", &r, 0, "piped");
    goc_close(fds[0]);
}

/* The ordinary case stays right: many exchanges with short reads. */
static void ping_pong(void) {
    int c, s;
    io_test_tcp_pair(&c, &s);
    goc_set_deadline(s, goc_now() + DEADLINE);
    goc_set_deadline(c, goc_now() + DEADLINE);
    char buf[64];
    for (int i = 0; i < 1000; i++) {
        CHECK(goc_write(c, "ping", 4) == 4, "round %d: write", i);
        ssize_t n = goc_read(s, buf, sizeof buf);
        CHECK(n == 4, "round %d: server read %zd", i, n);
        CHECK(goc_write(s, buf, 4) == 4, "round %d: echo", i);
        n = goc_read(c, buf, sizeof buf);
        CHECK(n == 4, "round %d: client read %zd", i, n);
        if (test_status())
            break;
    }
    goc_close(c);
    goc_close(s);
}

static int test_main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    io_test_resources before = io_test_resources_now();
    tcp_cases();
    pipe_end();
    ping_pong();
    io_test_check_no_leaks(before, 0);
    return test_status();
}

int main(int argc, char **argv) { return io_test_main(argc, argv, test_main); }
