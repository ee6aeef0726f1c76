/* SPDX-License-Identifier: MIT */
/* When the kernel refuses io_uring (here: a seccomp filter making
 * io_uring_setup fail with EPERM, as Docker's default profile does) the
 * runtime says so once on stderr and serves I/O with epoll, with the same
 * behaviour: this program re-executes itself under such a filter and the
 * child checks the back-end and exercises it. */
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/syscall.h>

#include "tests/io_test.h"

#define CHILD_ENV "GOC_IO_FALLBACK_CHILD"

#if defined(__x86_64__)
#define THIS_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define THIS_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

typedef struct echo_arg {
    int fd;
    goc_waitgroup *wg;
} echo_arg;

static void echo_once(void *p) {
    echo_arg *a = p;
    char buf[64];
    ssize_t n = goc_read(a->fd, buf, sizeof buf);
    if (n > 0)
        goc_write(a->fd, buf, (size_t)n);
    goc_waitgroup_done(a->wg);
}

/* The child: epoll must be in use, and work. */
static int child_main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    CHECK(strcmp(io_backend_name(), "epoll") == 0, "back-end is %s under the filter",
          io_backend_name());
    int a, b;
    io_test_tcp_pair(&a, &b);
    goc_waitgroup wg = {0};
    echo_arg arg = {.fd = b, .wg = &wg};
    goc_waitgroup_add(&wg, 1);
    goc_go(echo_once, &arg);
    char buf[8];
    CHECK(goc_write(a, "fallback", 8) == 8, "write");
    CHECK(goc_read(a, buf, 8) == 8 && memcmp(buf, "fallback", 8) == 0, "echo");
    goc_waitgroup_wait(&wg);
    goc_set_deadline(a, goc_now() + 30 * GOC_MILLISECOND);
    CHECK(goc_read(a, buf, 8) == -ETIMEDOUT, "deadline under epoll");
    goc_close(a);
    goc_close(b);
    return test_status();
}

/* The parent: run the child with io_uring_setup refused, its stderr kept. */
static pid_t spawn_refusing_io_uring(char **argv, char **env, int err_fd) {
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, THIS_AUDIT_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof filter / sizeof filter[0], .filter = filter};
    pid_t pid = vfork();
    if (pid == 0) {
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0 ||
            dup2(err_fd, STDERR_FILENO) < 0)
            _exit(126);
        execve("/proc/self/exe", argv, env);
        _exit(127);
    }
    REQUIRE(pid > 0, "vfork: %s", strerror(errno));
    return pid;
}

int main(int argc, char **argv) {
    if (getenv(CHILD_ENV))
        return goc_main(child_main, argc, argv);

    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 2, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "GODEBUG=", 8) != 0)   /* nothing forces epoll */
            env[k++] = environ[i];
    env[k++] = CHILD_ENV "=1";
    char errpath[] = "/tmp/goc-io-fallback-XXXXXX";
    int err_fd = mkostemp(errpath, O_CLOEXEC);
    REQUIRE(err_fd >= 0, "mkostemp: %s", strerror(errno));
    unlink(errpath);

    pid_t pid = spawn_refusing_io_uring(argv, env, err_fd);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        continue;
    char err[8192] = {0};
    ssize_t len = pread(err_fd, err, sizeof err - 1, 0);
    close(err_fd);
    free(env);
    fputs(err, stderr);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child under the filter: status %#x",
          status);
    const char *notice = "goc: io_uring unavailable (Operation not permitted); using epoll\n";
    const char *first = len > 0 ? strstr(err, notice) : NULL;
    CHECK(first != NULL, "no fallback notice on stderr");
    CHECK(!first || !strstr(first + 1, notice), "the fallback notice was printed twice");
    if (test_status() == 0)
        fprintf(stderr, "fallback to epoll: ok\n");
    return test_status();
}
