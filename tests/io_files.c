/* SPDX-License-Identifier: MIT */
/* Files, pipes, and where the I/O runs: goc_pread/goc_pwrite and
 * goc_read/goc_write (with the file position) on a regular file; a large
 * transfer through a pipe between goroutines; goroutines blocked in I/O
 * park (at GOMAXPROCS=1 others keep running); a thread that is not a
 * goroutine and a goroutine inside a blocking section do plain blocking
 * I/O that honours deadlines. */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>

#include "tests/io_test.h"

#define MS GOC_MILLISECOND

static void regular_file(void) {
    char path[] = "/tmp/goc-io-files-XXXXXX";
    int fd = mkostemp(path, O_CLOEXEC);
    REQUIRE(fd >= 0, "mkostemp: %s", strerror(errno));
    unlink(path);
    enum { SIZE = 1 << 20 };
    unsigned char *data = malloc(SIZE), *back = malloc(SIZE);
    for (int i = 0; i < SIZE; i++)
        data[i] = (unsigned char)(i * 131 + (i >> 8));
    CHECK(goc_pwrite(fd, data, SIZE, 4096) == SIZE, "pwrite 1 MiB");
    CHECK(goc_pread(fd, back, SIZE, 4096) == SIZE && memcmp(data, back, SIZE) == 0,
          "pread it back");
    CHECK(goc_pread(fd, back, 100, 4096 + SIZE) == 0, "pread at end of file");
    /* read and write use and advance the file position. */
    CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek");
    CHECK(goc_write(fd, "head", 4) == 4 && goc_write(fd, "tail", 4) == 4, "write");
    CHECK(lseek(fd, 0, SEEK_CUR) == 8, "file position after writes");
    CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek");
    char buf[8];
    CHECK(goc_read(fd, buf, 4) == 4 && goc_read(fd, buf + 4, 4) == 4 &&
          memcmp(buf, "headtail", 8) == 0, "read it back in two steps");
    CHECK(goc_pread(fd, back, 16, -1) == -EINVAL, "pread at a negative offset");
    CHECK(goc_poll(fd, POLLIN | POLLOUT, 1000 * MS) == (POLLIN | POLLOUT),
          "a regular file polls ready");
    free(data);
    free(back);
    goc_close(fd);
}

typedef struct transfer {
    int            fd;
    size_t         n;
    unsigned char *buf;
    ssize_t        result;
    goc_waitgroup *wg;
} transfer;

static void pipe_writer(void *p) {
    transfer *t = p;
    t->result = goc_write(t->fd, t->buf, t->n);
    goc_close(t->fd);
    goc_waitgroup_done(t->wg);
}

static void pipe_reader(void *p) {
    transfer *t = p;
    size_t got = 0;
    ssize_t r;
    while ((r = goc_read(t->fd, t->buf + got, t->n - got + 1)) > 0)
        got += (size_t)r;
    t->result = r < 0 ? r : (ssize_t)got;
    goc_close(t->fd);
    goc_waitgroup_done(t->wg);
}

static void pipe_transfer(void) {
    enum { SIZE = 4 << 20 };
    int p[2];
    REQUIRE(pipe2(p, O_CLOEXEC) == 0, "pipe2");
    unsigned char *src = malloc(SIZE), *dst = malloc(SIZE + 1);
    for (int i = 0; i < SIZE; i++)
        src[i] = (unsigned char)(i ^ (i >> 11));
    goc_waitgroup wg = {0};
    transfer w = {.fd = p[1], .n = SIZE, .buf = src, .wg = &wg};
    transfer r = {.fd = p[0], .n = SIZE, .buf = dst, .wg = &wg};
    goc_waitgroup_add(&wg, 2);
    goc_go(pipe_reader, &r);
    goc_go(pipe_writer, &w);
    goc_waitgroup_wait(&wg);
    CHECK(w.result == SIZE, "pipe writer: %zd", w.result);
    CHECK(r.result == SIZE && memcmp(src, dst, SIZE) == 0, "pipe reader got %zd bytes%s",
          r.result, r.result == SIZE ? " that differ" : "");
    free(src);
    free(dst);
}

/* At GOMAXPROCS=1, goroutines blocked reading must not hold the only P. */
static _Atomic int spins;

static void spinner(void *arg) {
    goc_chan *stop = arg;
    while (goc_chan_try_recv(stop, NULL) == GOC_RECV_EMPTY) {
        atomic_fetch_add(&spins, 1);
        goc_yield();
    }
}

static void parked_readers(void) {
    enum { N = 100 };
    int prev = goc_maxprocs(1);
    static int fds[N][2];
    static transfer ts[N];
    static unsigned char bufs[N][8];
    goc_waitgroup wg = {0};
    for (int i = 0; i < N; i++) {
        REQUIRE(pipe2(fds[i], O_CLOEXEC) == 0, "pipe2");
        ts[i] = (transfer){.fd = fds[i][0], .n = 4, .buf = bufs[i], .wg = &wg};
        goc_waitgroup_add(&wg, 1);
        goc_go(pipe_reader, &ts[i]);
    }
    goc_chan *stop = goc_chan_make(0, 0);
    goc_go(spinner, stop);
    /* Readers holding the P would keep the spinner at 0 for good; a slow
     * build (TSan) only takes longer to get it going. */
    for (int waited = 0; waited < 10000 && atomic_load(&spins) <= 100; waited += 10)
        goc_sleep(10 * MS);
    CHECK(atomic_load(&spins) > 100, "with %d readers blocked, another goroutine ran %d times",
          N, atomic_load(&spins));
    for (int i = 0; i < N; i++) {
        CHECK(write(fds[i][1], "ping", 4) == 4, "write");
        close(fds[i][1]);
    }
    goc_waitgroup_wait(&wg);
    goc_chan_close(stop);
    int bad = 0;
    for (int i = 0; i < N; i++)
        bad += ts[i].result != 4 || memcmp(bufs[i], "ping", 4) != 0;
    CHECK(bad == 0, "%d of %d parked readers got the wrong data", bad, N);
    goc_maxprocs(prev);
}

/* A thread that is not a goroutine: plain blocking calls, deadlines kept. */
typedef struct thread_io {
    int     fd;
    ssize_t first, second;
    int64_t took;
} thread_io;

static void *foreign_thread(void *p) {
    thread_io *t = p;
    char buf[8];
    t->first = goc_read(t->fd, buf, sizeof buf);
    goc_set_deadline(t->fd, goc_now() + 60 * MS);
    int64_t start = test_clock_ns();
    t->second = goc_read(t->fd, buf, sizeof buf);
    t->took = test_clock_ns() - start;
    return NULL;
}

static void foreign_and_blocking_section(void) {
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
    thread_io t = {.fd = sv[0]};
    pthread_t th;
    REQUIRE(pthread_create(&th, NULL, foreign_thread, &t) == 0, "pthread_create");
    goc_sleep(20 * MS);
    CHECK(goc_write(sv[1], "abc", 3) == 3, "write to the foreign thread");
    goc_blocking_begin();
    pthread_join(th, NULL);
    goc_blocking_end();
    CHECK(t.first == 3, "foreign thread read %zd", t.first);
    CHECK(t.second == -ETIMEDOUT && t.took >= 59 * MS && t.took < 2 * GOC_SECOND,
          "foreign thread under a deadline: %zd after %lld ms", t.second,
          (long long)(t.took / MS));

    /* Inside a blocking section the goroutine has no P: the same holds. */
    goc_set_deadline(sv[0], 0);
    CHECK(write(sv[1], "xy", 2) == 2, "write");
    goc_blocking_begin();
    char buf[4];
    ssize_t r1 = goc_read(sv[0], buf, sizeof buf);
    goc_set_deadline(sv[0], goc_now() + 40 * MS);
    ssize_t r2 = goc_read(sv[0], buf, sizeof buf);
    goc_blocking_end();
    CHECK(r1 == 2, "read in a blocking section: %zd", r1);
    CHECK(r2 == -ETIMEDOUT, "deadline in a blocking section: %zd", r2);
    goc_close(sv[0]);
    goc_close(sv[1]);
}

static int test_main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    io_test_resources before = io_test_resources_now();
    regular_file();
    pipe_transfer();
    parked_readers();
    foreign_and_blocking_section();
    io_test_check_no_leaks(before, 0);
    return test_status();
}

int main(int argc, char **argv) { return io_test_main(argc, argv, test_main); }
