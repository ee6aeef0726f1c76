/* SPDX-License-Identifier: MIT */
/* goc_set_deadline: operations fail with -ETIMEDOUT once the deadline
 * passes (reads, writes to a reader that never reads, accept), a deadline
 * in the past fails at once even with data waiting, clearing it restores
 * blocking, moving it while an operation waits takes effect for that
 * operation, and goc_poll's own timeout returns 0. */
#include "base/sanitizers.h"
#include "tests/io_test.h"

#define MS GOC_MILLISECOND
/* Slack for a shared, loaded machine: a deadline may fire late, never early.
 * Each start is read before the deadline is set: read after, the time
 * set_deadline took (2 ms under TSan once) looked like a deadline firing
 * early. */
#define LATE_OK (700 * MS)

static void pair(int sv[2]) {
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair: %s",
            strerror(errno));
}

static void check_fires(const char *what, ssize_t r, int64_t start, int64_t after) {
    int64_t took = test_clock_ns() - start;
    CHECK(r == -ETIMEDOUT, "%s: got %zd, want -ETIMEDOUT", what, r);
    CHECK(took >= after - MS, "%s: fired after %lld ms, before the deadline (%lld ms)", what,
          (long long)(took / MS), (long long)(after / MS));
    CHECK(took < after + LATE_OK, "%s: fired after %lld ms, deadline was %lld ms", what,
          (long long)(took / MS), (long long)(after / MS));
}

static void read_deadline(void) {
    int sv[2];
    pair(sv);
    char buf[16];
    int64_t start = test_clock_ns();
    CHECK(goc_set_deadline(sv[0], goc_now() + 100 * MS) == 0, "set_deadline failed");
    io_test_clear_errno();
    ssize_t r = goc_read(sv[0], buf, sizeof buf);
    check_fires("read", r, start, 100 * MS);
    CHECK(io_test_errno() == ETIMEDOUT, "errno %d after a timed-out read", io_test_errno());

    /* Still expired: fails at once, even with data waiting. */
    CHECK(write(sv[1], "x", 1) == 1, "write");
    start = test_clock_ns();
    r = goc_read(sv[0], buf, sizeof buf);
    CHECK(r == -ETIMEDOUT, "read past the deadline with data waiting: %zd", r);
    CHECK(test_clock_ns() - start < 50 * MS, "an expired deadline took %lld ms",
          (long long)((test_clock_ns() - start) / MS));

    /* Cleared: the waiting byte is read. */
    goc_set_deadline(sv[0], 0);
    r = goc_read(sv[0], buf, sizeof buf);
    CHECK(r == 1 && buf[0] == 'x', "read after clearing the deadline: %zd", r);

    /* A far deadline does not disturb an operation that completes. */
    goc_set_deadline(sv[0], goc_now() + 10 * GOC_SECOND);
    CHECK(write(sv[1], "yz", 2) == 2, "write");
    r = goc_read(sv[0], buf, sizeof buf);
    CHECK(r == 2 && memcmp(buf, "yz", 2) == 0, "read under a far deadline: %zd", r);
    goc_close(sv[0]);
    goc_close(sv[1]);
}

static void write_deadline(void) {
    /* The peer never reads: the write blocks once the socket buffers fill. */
    int sv[2];
    pair(sv);
    size_t big = 8 << 20;
    char *data = calloc(1, big);
    int64_t start = test_clock_ns();
    goc_set_deadline(sv[0], goc_now() + 150 * MS);
    ssize_t r = goc_write(sv[0], data, big);
    check_fires("write to a reader that never reads", r, start, 150 * MS);
    free(data);
    goc_close(sv[0]);
    goc_close(sv[1]);
}

static void accept_deadline(void) {
    int port;
    int l = io_test_listen(4, &port);
    int64_t start = test_clock_ns();
    goc_set_deadline(l, goc_now() + 80 * MS);
    int r = goc_accept(l, NULL, NULL);
    check_fires("accept", r, start, 80 * MS);
    goc_close(l);
}

typedef struct waiter_arg {
    int             fd;
    ssize_t         result;
    int64_t         set_at;   /* when the deadline was set */
    int64_t         ended;
    goc_waitgroup  *wg;
} waiter_arg;

static void blocked_reader(void *p) {
    waiter_arg *a = p;
    char buf[8];
    a->result = goc_read(a->fd, buf, sizeof buf);
    a->ended = test_clock_ns();
    goc_waitgroup_done(a->wg);
}

/* Moving the deadline of an fd a goroutine is blocked on. */
static void moved_deadline(void) {
    int sv[2];
    pair(sv);
    goc_waitgroup wg = {0};
    waiter_arg a = {.fd = sv[0], .wg = &wg};

    /* Extended: the earlier deadline must not fire. */
    int64_t start = test_clock_ns();
    goc_set_deadline(sv[0], goc_now() + 100 * MS);
    goc_waitgroup_add(&wg, 1);
    goc_go(blocked_reader, &a);
    goc_sleep(30 * MS);
    goc_set_deadline(sv[0], goc_now() + 270 * MS);
    goc_waitgroup_wait(&wg);
    check_fires("extended deadline", a.result, start, 300 * MS);

    /* Set in the past while blocked without a deadline: wakes at once. */
    goc_set_deadline(sv[0], 0);
    goc_waitgroup_add(&wg, 1);
    goc_go(blocked_reader, &a);
    goc_sleep(50 * MS);
    int64_t set_at = test_clock_ns();
    goc_set_deadline(sv[0], goc_now() - 1);
    goc_waitgroup_wait(&wg);
    CHECK(a.result == -ETIMEDOUT, "reader after a past deadline was set: %zd", a.result);
    CHECK(a.ended - set_at < LATE_OK, "a past deadline woke the reader after %lld ms",
          (long long)((a.ended - set_at) / MS));

    /* Cleared while blocked: the reader then gets data, not a timeout. */
    goc_set_deadline(sv[0], goc_now() + 100 * MS);
    goc_waitgroup_add(&wg, 1);
    goc_go(blocked_reader, &a);
    goc_sleep(20 * MS);
    goc_set_deadline(sv[0], 0);
    goc_sleep(150 * MS);
    CHECK(write(sv[1], "k", 1) == 1, "write");
    goc_waitgroup_wait(&wg);
    CHECK(a.result == 1, "reader whose deadline was cleared: %zd", a.result);
    goc_close(sv[0]);
    goc_close(sv[1]);
}

/* Many goroutines with staggered deadlines: each fires, in its own time. */
static void many_deadlines(void) {
#ifdef GOC_TSAN
    /* A goroutine's first run costs TSan ~4 ms (its fiber and shadow
     * stack): 200 of them queued behind each other at GOMAXPROCS=1 would
     * start after their deadlines. */
    enum { N = 40 };
#else
    enum { N = 200 };
#endif
    static int fds[N][2];
    static waiter_arg args[N];
    goc_waitgroup wg = {0};
    for (int i = 0; i < N; i++) {
        pair(fds[i]);
        /* Each deadline counts from its own setting: on a loaded machine
         * (or under a sanitizer) setting up 200 pairs takes a while. */
        int64_t set_at = test_clock_ns();
        goc_set_deadline(fds[i][0], goc_now() + (50 + i % 10 * 10) * MS);
        args[i] = (waiter_arg){.fd = fds[i][0], .set_at = set_at, .wg = &wg};
        goc_waitgroup_add(&wg, 1);
        goc_go(blocked_reader, &args[i]);
    }
    goc_waitgroup_wait(&wg);
    int bad = 0;
    for (int i = 0; i < N; i++) {
        int64_t want = (50 + i % 10 * 10) * MS;
        int64_t took = args[i].ended - args[i].set_at;
        if (args[i].result != -ETIMEDOUT || took < want - MS || took > want + LATE_OK) {
            if (bad < 5)
                fprintf(stderr, "deadline %d: result %zd after %lld ms, want %lld\n", i,
                        args[i].result, (long long)(took / MS), (long long)(want / MS));
            bad++;
        }
        goc_close(fds[i][0]);
        goc_close(fds[i][1]);
    }
    CHECK(bad == 0, "%d of %d staggered deadlines misfired", bad, N);
}

static void poll_timeout(void) {
    int sv[2];
    pair(sv);
    int64_t start = test_clock_ns();
    int r = goc_poll(sv[0], POLLIN, 60 * MS);
    int64_t took = test_clock_ns() - start;
    CHECK(r == 0, "goc_poll timed out with %d, want 0", r);
    CHECK(took >= 59 * MS && took < 60 * MS + LATE_OK, "goc_poll timeout took %lld ms",
          (long long)(took / MS));
    CHECK(goc_poll(sv[0], POLLIN, 0) == 0, "goc_poll with nothing to read");
    CHECK(write(sv[1], "p", 1) == 1, "write");
    r = goc_poll(sv[0], POLLIN, 5 * GOC_SECOND);
    CHECK(r == POLLIN, "goc_poll with data: %d", r);
    r = goc_poll(sv[0], POLLOUT, -1);
    CHECK(r == POLLOUT, "goc_poll for writing: %d", r);
    /* The fd's deadline bounds goc_poll too, with -ETIMEDOUT. */
    char c;
    CHECK(read(sv[0], &c, 1) == 1, "read");
    start = test_clock_ns();
    goc_set_deadline(sv[0], goc_now() + 50 * MS);
    r = goc_poll(sv[0], POLLIN, 5 * GOC_SECOND);
    check_fires("goc_poll under a deadline", r, start, 50 * MS);
    goc_close(sv[0]);
    goc_close(sv[1]);
}

static void bad_fd(void) {
    CHECK(goc_set_deadline(-1, goc_now()) == -EBADF, "deadline on fd -1");
    int sv[2];
    pair(sv);
    close(sv[1]);
    CHECK(goc_set_deadline(sv[1], goc_now()) == -EBADF, "deadline on a closed fd");
    goc_close(sv[0]);
}

static int test_main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    io_test_resources before = io_test_resources_now();
    read_deadline();
    write_deadline();
    accept_deadline();
    moved_deadline();
    many_deadlines();
    poll_timeout();
    bad_fd();
    io_test_check_no_leaks(before, 0);
    return test_status();
}

int main(int argc, char **argv) { return io_test_main(argc, argv, test_main); }
