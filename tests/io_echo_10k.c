/* SPDX-License-Identifier: MIT */
/* Ten thousand concurrent loopback connections, each a goroutine, echo
 * correctly at GOMAXPROCS=2.  The echo server is this program re-executed
 * with the argument "serve" (its own process, so each side needs only
 * ~10,000 descriptors); all connections are open at once before any of
 * them talks, then each makes three round trips.  Both sides run goc, under
 * the same back-end. */
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/resource.h>

#include "base/sanitizers.h"
#include "tests/io_test.h"

enum {
#ifdef GOC_TSAN
    WANT_CONNS = 1000,       /* TSan: at most 8,128 threads and fibers, and slow */
#else
    WANT_CONNS = 10000,
#endif
    SPARE_FDS = 64,          /* rings, pipes, stdio */
    CONNECTING_AT_ONCE = 256,/* stay well inside the listen backlog */
    ROUNDS = 3,
    TIME_LIMIT_S = 50,
};

/* Raises the soft descriptor limit towards want; returns what is allowed. */
static rlim_t raise_nofile(rlim_t want) {
    struct rlimit rl;
    REQUIRE(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit");
    rlim_t target = want < rl.rlim_max ? want : rl.rlim_max;
    if (rl.rlim_cur < target) {
        rl.rlim_cur = target;
        REQUIRE(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit: %s", strerror(errno));
    }
    return rl.rlim_cur > target ? rl.rlim_cur : target;
}

/* ---- the server (child process) -------------------------------------------------- */

static void echo_conn(void *arg) {
    int fd = (int)(intptr_t)arg;
    char buf[4096];
    ssize_t n;
    while ((n = goc_read(fd, buf, sizeof buf)) > 0)
        if (goc_write(fd, buf, (size_t)n) < 0)
            break;
    goc_close(fd);
}

static int serve_main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    raise_nofile(WANT_CONNS + SPARE_FDS);
    int port;
    int l = io_test_listen(SOMAXCONN, &port);
    printf("%d\n", port);
    fflush(stdout);
    int fd;
    while ((fd = goc_accept(l, NULL, NULL)) >= 0)
        goc_go(echo_conn, (void *)(intptr_t)fd);
    fprintf(stderr, "server: accept: %s\n", strerror(-fd));
    return 1;
}

/* ---- the clients -------------------------------------------------------------------- */

static int nconns, port;
static goc_chan *connect_slots, *gate;
static goc_waitgroup connected, finished;
static _Atomic int nconnected, connect_errors, echoed, mismatched, io_errors;
static _Atomic int first_connect_error, first_io_error;

static void note_error(_Atomic int *counter, _Atomic int *first, int err) {
    atomic_fetch_add(counter, 1);
    int zero = 0;
    atomic_compare_exchange_strong(first, &zero, err);
}

static bool round_trip(int fd, int id, int round) {
    char msg[256], back[256];
    int len = snprintf(msg, sizeof msg, "conn %05d round %d ", id, round);
    int pad = 20 + (id * 7 + round * 13) % 200;   /* 40..230 bytes in all */
    for (int i = 0; i < pad && len < (int)sizeof msg - 1; i++)
        msg[len++] = (char)('a' + (id + i) % 26);
    ssize_t w = goc_write(fd, msg, (size_t)len);
    if (w != len) {
        note_error(&io_errors, &first_io_error, w < 0 ? (int)-w : EIO);
        return false;
    }
    int got = 0;
    while (got < len) {
        ssize_t r = goc_read(fd, back + got, (size_t)(len - got));
        if (r <= 0) {
            note_error(&io_errors, &first_io_error, r < 0 ? (int)-r : EPIPE);
            return false;
        }
        got += (int)r;
    }
    if (memcmp(msg, back, (size_t)len) != 0) {
        atomic_fetch_add(&mismatched, 1);
        return false;
    }
    return true;
}

static void client(void *arg) {
    int id = (int)(intptr_t)arg;
    goc_chan_send(connect_slots, NULL);
    int fd = io_test_dial(port);
    goc_chan_recv(connect_slots, NULL);
    if (fd < 0) {
        note_error(&connect_errors, &first_connect_error, -fd);
        goc_waitgroup_done(&connected);
        goc_waitgroup_done(&finished);
        return;
    }
    atomic_fetch_add(&nconnected, 1);
    goc_waitgroup_done(&connected);
    goc_chan_recv(gate, NULL);   /* everyone is connected: talk */
    bool ok = true;
    for (int r = 0; r < ROUNDS && ok; r++)
        ok = round_trip(fd, id, r);
    if (ok)
        atomic_fetch_add(&echoed, 1);
    goc_close(fd);
    goc_waitgroup_done(&finished);
}

static pid_t server_pid;

static void watchdog(void *arg) {
    (void)arg;
    goc_sleep(TIME_LIMIT_S * GOC_SECOND);
    fprintf(stderr, "timed out after %d s: %d connected, %d connect errors, %d echoed, "
            "%d I/O errors\n", TIME_LIMIT_S, atomic_load(&nconnected),
            atomic_load(&connect_errors), atomic_load(&echoed), atomic_load(&io_errors));
    kill(server_pid, SIGKILL);
    _exit(1);
}

static int start_server(char **argv) {
    int out[2];
    REQUIRE(pipe2(out, O_CLOEXEC) == 0, "pipe2");
    char *args[] = {argv[0], "serve", NULL};
    server_pid = io_test_spawn("/proc/self/exe", args, out[1]);
    close(out[1]);
    char line[32] = {0};
    size_t len = 0;
    while (len < sizeof line - 1 && !memchr(line, '\n', len)) {
        ssize_t r = goc_read(out[0], line + len, sizeof line - 1 - len);
        REQUIRE(r > 0, "server did not report its port (%zd)", r);
        len += (size_t)r;
    }
    goc_close(out[0]);
    return atoi(line);
}

static void stop_server(void) { io_test_reap(server_pid, SIGKILL); }

static int test_main(int argc, char **argv) {
    (void)argc;
    CHECK(goc_maxprocs(0) == 2, "GOMAXPROCS is %d, want 2", goc_maxprocs(0));
    rlim_t allowed = raise_nofile(WANT_CONNS + SPARE_FDS);
    nconns = WANT_CONNS;
    if (allowed < (rlim_t)(WANT_CONNS + SPARE_FDS)) {
        nconns = (int)allowed - SPARE_FDS;
        fprintf(stderr, "RLIMIT_NOFILE hard limit %llu: running %d connections, not %d\n",
                (unsigned long long)allowed, nconns, WANT_CONNS);
    }
    io_test_resources before = io_test_resources_now();
    port = start_server(argv);
    goc_go(watchdog, NULL);
    int64_t start = test_clock_ns();

    connect_slots = goc_chan_make(0, CONNECTING_AT_ONCE);
    gate = goc_chan_make(0, 0);
    goc_waitgroup_add(&connected, nconns);
    goc_waitgroup_add(&finished, nconns);
    for (int i = 0; i < nconns; i++)
        goc_go(client, (void *)(intptr_t)i);
    goc_waitgroup_wait(&connected);
    int64_t all_connected = test_clock_ns();
    CHECK(atomic_load(&nconnected) == nconns, "%d of %d connected; %d failed, first: %s",
          atomic_load(&nconnected), nconns, atomic_load(&connect_errors),
          strerror(atomic_load(&first_connect_error)));
    CHECK(goc_num_goroutine() >= before.goroutines + atomic_load(&nconnected),
          "%d goroutines with %d connections open", goc_num_goroutine(),
          atomic_load(&nconnected));
    goc_chan_close(gate);
    goc_waitgroup_wait(&finished);
    int64_t end = test_clock_ns();

    CHECK(atomic_load(&echoed) == nconns, "%d of %d connections echoed correctly "
          "(%d mismatched, %d I/O errors, first: %s)", atomic_load(&echoed), nconns,
          atomic_load(&mismatched), atomic_load(&io_errors),
          strerror(atomic_load(&first_io_error)));
    fprintf(stderr, "%s: %d connections open at once in %.2f s, %d round trips in %.2f s\n",
            io_backend_name(), nconns, (double)(all_connected - start) / 1e9,
            nconns * ROUNDS, (double)(end - all_connected) / 1e9);
    stop_server();
    /* The watchdog is still asleep. */
    int watchdog_g = 1;
    io_test_check_no_leaks(before, watchdog_g);
    return test_status();
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "serve") == 0)
        return goc_main(serve_main, argc, argv);
    setenv("GOMAXPROCS", "2", 1);
    return io_test_main(argc, argv, test_main);
}
