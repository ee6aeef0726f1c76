/* SPDX-License-Identifier: MIT */
/* Shared by the I/O tests (tests/io_*.c): every test runs under every
 * back-end (it re-executes itself with GODEBUG=gocpoll=epoll and =uring
 * before running in-process with the default), plus loopback sockets and
 * the descriptor and goroutine counts the leak checks compare. */
#ifndef GOC_IO_TEST_H
#define GOC_IO_TEST_H

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "io/io.h"
#include "tests/testing.h"

extern char **environ;

#define IO_TEST_BACKEND_ENV "GOC_IO_TEST_BACKEND"

static int (*io_test_fn)(int, char **);
static bool io_test_child_failed;

/* errno of the thread the goroutine runs on now.  A goroutine may resume on
 * another thread after any I/O call, and compilers reuse &errno across
 * calls (__errno_location is const): read it through a call they cannot
 * see into. */
static __attribute__((noinline, unused)) int io_test_errno(void) { return errno; }
static __attribute__((noinline, unused)) void io_test_clear_errno(void) { errno = 0; }

/* Open descriptors of this process. */
static inline int io_test_count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    REQUIRE(d != NULL, "opendir /proc/self/fd: %s", strerror(errno));
    int n = 0;
    for (struct dirent *de; (de = readdir(d));)
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1;   /* the directory's own */
}

/* What a test had when it started: it must end with no more. */
typedef struct io_test_resources {
    int fds, goroutines;
} io_test_resources;

static inline io_test_resources io_test_resources_now(void) {
    return (io_test_resources){io_test_count_fds(), goc_num_goroutine()};
}

static int io_test_goroutines_back(void *want) {
    return goc_num_goroutine() <= *(int *)want;
}

/* Descriptors must be closed by now; goroutines finish asynchronously, so
 * their count gets a bounded wait to drop back.  still_running: goroutines
 * the test leaves behind on purpose. */
static inline void io_test_check_no_leaks(io_test_resources before, int still_running) {
    CHECK(io_test_count_fds() == before.fds, "fd leak: %d open before, %d after", before.fds,
          io_test_count_fds());
    int want = before.goroutines + still_running;
    int ok = test_wait_until(io_test_goroutines_back, &want, 5 * GOC_SECOND);
    CHECK(ok, "goroutine leak: %d before, %d after", want, goc_num_goroutine());
}

/* A listening TCP socket on 127.0.0.1 with a kernel-chosen port. */
static inline int io_test_listen(int backlog, int *port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0, "socket: %s", strerror(errno));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    REQUIRE(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "bind: %s", strerror(errno));
    REQUIRE(listen(fd, backlog) == 0, "listen: %s", strerror(errno));
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* A new socket connected (with goc_connect) to 127.0.0.1:port, or -errno. */
static inline int io_test_dial(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int r = goc_connect(fd, (struct sockaddr *)&sa, sizeof sa);
    if (r < 0) {
        goc_close(fd);
        return r;
    }
    return fd;
}

/* Both ends of a loopback TCP connection. */
static inline void io_test_tcp_pair(int *client, int *server) {
    int port;
    int l = io_test_listen(1, &port);
    *client = io_test_dial(port);
    REQUIRE(*client >= 0, "connect: %s", strerror(-*client));
    *server = goc_accept(l, NULL, NULL);
    REQUIRE(*server >= 0, "accept: %s", strerror(-*server));
    goc_close(l);
}

/* Starts path with argv, its stdout on out_fd, and returns its pid.  The
 * child is killed if this process dies first (a test killed by its
 * runner's timeout must not leave servers behind), which posix_spawn
 * cannot arrange: vfork, then only system calls until exec. */
static inline pid_t io_test_spawn_env(const char *path, char *const argv[], char *const env[],
                                      int out_fd) {
    pid_t parent = getpid();
    sigset_t none;
    sigemptyset(&none);
    pid_t pid = vfork();
    if (pid == 0) {
        /* Runtime threads block most signals and goc ignores SIGPIPE; a
         * child must start as any program does, so SIGTERM stops it. */
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        if (dup2(out_fd, STDOUT_FILENO) < 0)
            _exit(127);
        execve(path, argv, env);
        _exit(127);
    }
    REQUIRE(pid > 0, "vfork: %s", strerror(errno));
    return pid;
}

static inline pid_t io_test_spawn(const char *path, char *const argv[], int out_fd) {
    return io_test_spawn_env(path, argv, environ, out_fd);
}

/* Stops a child started by io_test_spawn and reaps it; its wait status. */
static inline int io_test_reap(pid_t pid, int sig) {
    kill(pid, sig);
    int status = 0;
    goc_blocking_begin();
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        continue;
    goc_blocking_end();
    return status;
}

static inline bool io_test_uring_works(void) {
    struct io_uring ring;
    if (io_uring_queue_init(8, &ring, 0) != 0)
        return false;
    io_uring_queue_exit(&ring);
    return true;
}

static inline int io_test_wrapper(int argc, char **argv) {
    const char *want = getenv(IO_TEST_BACKEND_ENV);
    const char *got = io_backend_name();
    if (want) {
        CHECK(strcmp(got, want) == 0, "back-end is %s, GODEBUG asked for %s", got, want);
    } else {
        CHECK(strcmp(got, "io_uring+epoll") == 0 || !io_test_uring_works(),
              "back-end is %s although io_uring works here", got);
    }
    int status = io_test_fn(argc, argv);
    fprintf(stderr, "%s back-end: %s\n", got, status ? "FAIL" : "ok");
    return status || io_test_child_failed ? 1 : 0;
}

/* This program again, as a child, with GODEBUG=gocpoll=gocpoll added; it
 * checks that the back-end called name serves it.  True if it passed. */
static inline bool io_test_run_child(char **argv, const char *gocpoll, const char *name) {
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 3, sizeof *env);
    REQUIRE(env != NULL, "out of memory");
    const char *old = getenv("GODEBUG");
    char godebug[512], want[64];
    snprintf(godebug, sizeof godebug, "GODEBUG=%s%sgocpoll=%s", old ? old : "",
             old && *old ? "," : "", gocpoll);
    snprintf(want, sizeof want, IO_TEST_BACKEND_ENV "=%s", name);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "GODEBUG=", 8) != 0)
            env[k++] = environ[i];
    env[k++] = godebug;
    env[k++] = want;
    pid_t pid = io_test_spawn_env("/proc/self/exe", argv, env, STDOUT_FILENO);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        continue;
    free(env);
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok)
        fprintf(stderr, "%s back-end run failed (wait status %#x)\n", name, status);
    return ok;
}

/* Runs fn as goroutine 1 under the default back-end, after child runs of
 * the same program under all-epoll and all-io_uring; fails if any fails. */
static inline int io_test_main(int argc, char **argv, int (*fn)(int, char **)) {
    if (!getenv(IO_TEST_BACKEND_ENV)) {
        io_test_child_failed = !io_test_run_child(argv, "epoll", "epoll");
        if (io_test_uring_works())
            io_test_child_failed |= !io_test_run_child(argv, "uring", "io_uring");
    }
    io_test_fn = fn;
    return goc_main(io_test_wrapper, argc, argv);
}

#endif
