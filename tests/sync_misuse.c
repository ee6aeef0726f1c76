/* SPDX-License-Identifier: MIT */
/* Misuse of the sync types panics as in Go: the program prints
 * "panic: <message>" and a traceback on stderr and exits with status 2.
 * Each case runs in a child process (this program re-executed with the case
 * name), since a panic ends the process. */
#include <string.h>
#include <sys/wait.h>

#include "testing.h"

typedef struct {
    const char *name;
    void      (*misuse)(void);
    const char *message;
} misuse_case;

static void unlock_unlocked_mutex(void)
{
    goc_mutex m = {0};
    goc_mutex_unlock(&m);
}

static void unlock_mutex_twice(void)
{
    goc_mutex m = {0};
    goc_mutex_lock(&m);
    goc_mutex_unlock(&m);
    goc_mutex_unlock(&m);
}

static void runlock_unlocked_rwmutex(void)
{
    goc_rwmutex rw = {0};
    goc_rwmutex_runlock(&rw);
}

static void runlock_write_locked_rwmutex(void)
{
    goc_rwmutex rw = {0};
    goc_rwmutex_lock(&rw);
    goc_rwmutex_runlock(&rw);
}

static void unlock_unlocked_rwmutex(void)
{
    goc_rwmutex rw = {0};
    goc_rwmutex_unlock(&rw);
}

static void unlock_read_locked_rwmutex(void)
{
    goc_rwmutex rw = {0};
    goc_rwmutex_rlock(&rw);
    goc_rwmutex_unlock(&rw);
}

static void negative_waitgroup(void)
{
    goc_waitgroup wg = {0};
    goc_waitgroup_add(&wg, 1);
    goc_waitgroup_done(&wg);
    goc_waitgroup_done(&wg);
}

static const misuse_case cases[] = {
    { "unlock_unlocked_mutex", unlock_unlocked_mutex, "sync: unlock of unlocked mutex" },
    { "unlock_mutex_twice", unlock_mutex_twice, "sync: unlock of unlocked mutex" },
    { "runlock_unlocked_rwmutex", runlock_unlocked_rwmutex, "sync: RUnlock of unlocked RWMutex" },
    { "runlock_write_locked_rwmutex", runlock_write_locked_rwmutex,
      "sync: RUnlock of unlocked RWMutex" },
    { "unlock_unlocked_rwmutex", unlock_unlocked_rwmutex, "sync: Unlock of unlocked RWMutex" },
    { "unlock_read_locked_rwmutex", unlock_read_locked_rwmutex,
      "sync: Unlock of unlocked RWMutex" },
    { "negative_waitgroup", negative_waitgroup, "sync: negative WaitGroup counter" },
};
enum { NCASES = sizeof cases / sizeof cases[0] };

static const misuse_case *chosen;

static int run_chosen(int argc, char **argv)
{
    (void)argc, (void)argv;
    chosen->misuse();
    fprintf(stderr, "%s: misuse did not panic\n", chosen->name);
    return 1;
}

/* Runs one case in a child; returns its exit status and leaves its stderr
 * in err. */
static int run_child(const misuse_case *c, char *err, size_t errsize)
{
    int fds[2];
    REQUIRE(pipe(fds) == 0, "pipe failed");
    pid_t pid = fork();
    REQUIRE(pid >= 0, "fork failed");
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl("/proc/self/exe", "sync_misuse", c->name, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    /* Read to the end so the child never blocks on a full pipe; keep what
     * fits. */
    size_t len = 0;
    char scratch[4096];
    ssize_t n;
    do {
        if (len < errsize - 1) {
            n = read(fds[0], err + len, errsize - 1 - len);
            if (n > 0)
                len += (size_t)n;
        } else {
            n = read(fds[0], scratch, sizeof scratch);
        }
    } while (n > 0);
    err[len] = '\0';
    close(fds[0]);
    int status;
    REQUIRE(waitpid(pid, &status, 0) == pid, "waitpid failed");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        for (int i = 0; i < NCASES; i++)
            if (strcmp(argv[1], cases[i].name) == 0)
                chosen = &cases[i];
        REQUIRE(chosen, "unknown case %s", argv[1]);
        return goc_main(run_chosen, argc, argv);
    }

    static char err[1 << 16];
    for (int i = 0; i < NCASES; i++) {
        const misuse_case *c = &cases[i];
        char want[256];
        snprintf(want, sizeof want, "panic: %s", c->message);
        int status = run_child(c, err, sizeof err);
        CHECK(status == 2, "%s: exit status %d, want 2; stderr:\n%s", c->name, status, err);
        CHECK(strstr(err, want) != NULL, "%s: stderr lacks \"%s\":\n%s", c->name, want, err);
    }
    return test_status();
}
