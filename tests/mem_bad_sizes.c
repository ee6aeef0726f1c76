/* SPDX-License-Identifier: MIT */
/* Impossible sizes return NULL with errno ENOMEM and leave the heap as it
 * was; really running out of memory stops the program with Go's message,
 * naming the request (checked in a child whose address space is capped). */
#include <errno.h>
#include <spawn.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mem_check.h"

#define CHILD_REQUEST ((size_t)3 << 30)

extern char **environ;

static void check_enomem(void *p) {
    CHECK(p == NULL);
    CHECK(errno == ENOMEM);
    errno = 0;
}

/* Address space in use now, from /proc/self/status (VmSize, in KiB). */
static size_t address_space_in_use(void) {
    FILE *f = fopen("/proc/self/status", "r");
    CHECK(f);
    char line[256];
    size_t kib = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %zu kB", &kib) == 1)
            break;
    fclose(f);
    CHECK(kib > 0);
    return kib << 10;
}

static int oom_child(void) {
    /* Room for 1 GiB more: a 3 GiB request cannot be met. */
    rlim_t cap = (rlim_t)(address_space_in_use() + ((size_t)1 << 30));
    struct rlimit lim = {cap, cap};
    CHECK(setrlimit(RLIMIT_AS, &lim) == 0);
    goc_alloc(CHILD_REQUEST);
    return 0; /* not reached: the allocation is fatal */
}

static void test_out_of_memory_is_fatal(const char *self) {
    int fds[2];
    CHECK(pipe(fds) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    char *args[] = {(char *)self, "oom-child", NULL};
    pid_t pid;
    CHECK(posix_spawn(&pid, self, &fa, NULL, args, environ) == 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    char out[4096];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof out - 1 && (n = read(fds[0], out + len, sizeof out - 1 - len)) > 0)
        len += (size_t)n;
    out[len] = 0;
    close(fds[0]);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 2);
    CHECK(strstr(out, "fatal error: out of memory") != NULL);
    char named[64];
    snprintf(named, sizeof named, "cannot allocate %zu-byte block", CHILD_REQUEST);
    CHECK(strstr(out, named) != NULL);
}

static int run(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "oom-child") == 0)
        return oom_child();
    goc_memstats before = check_memstats();
    check_enomem(goc_alloc(SIZE_MAX));
    check_enomem(goc_alloc_atomic(SIZE_MAX - MEM_PAGE_SIZE + 2));
    check_enomem(goc_alloc((size_t)1 << 48));
    check_enomem(goc_alloc(MEM_MAX_ALLOC + 1));
    char *p = goc_alloc(100);
    memset(p, 7, 100);
    check_enomem(goc_realloc(p, SIZE_MAX));
    CHECK(goc_alloc_size(p) == 112 && p[99] == 7);
    goc_memstats after = check_memstats();
    CHECK(after.mallocs == before.mallocs + 1);
    test_out_of_memory_is_fatal(argv[0]);
    check_memstats();
    return 0;
}

GOC_MAIN(run)
