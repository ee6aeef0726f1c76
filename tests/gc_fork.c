/* SPDX-License-Identifier: MIT */
/* fork() while the heap is tracked for concurrent marking (gc/dirty.c):
 * the child inherits neither the userfaultfd nor the write protection, so
 * its heap is plain memory.  Collections run back to back in the parent
 * while it forks:
 *   - a child that writes into every node of the parent's graph (pages
 *     the parent may have write-protected) and exits with a checksum;
 *   - a child that execs /bin/true;
 * the parent checks both exit statuses, and its graph after each (a
 * fork must not break the parent's tracking: with GODEBUG=gccheckmark=1
 * the verifying mark checks every cycle).
 *
 *   gc_fork [rounds]   default 40 (10 with GOC_TEST_QUICK=1) */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testing.h"

enum { NNODES = 20000 };

typedef struct node {
    struct node *next;
    uint64_t     id, sum;
} node;

static node *list;
static _Atomic bool stop;
static goc_waitgroup done;

static uint64_t mix(uint64_t x) {
    x ^= x >> 31;
    x *= 0x9e3779b97f4a7c15ull;
    return x ^ (x >> 29);
}

static void build(void) {
    for (uint64_t i = 1; i <= NNODES; i++) {
        node *n = goc_alloc(sizeof *n);
        REQUIRE(n, "goc_alloc failed");
        n->id = i;
        n->sum = mix(i);
        n->next = list;
        list = n;
    }
}

static void check(void) {
    uint64_t count = 0;
    for (node *n = list; n; n = n->next, count++)
        REQUIRE(goc_alloc_size(n) >= sizeof *n && n->sum == mix(n->id),
                "node %p (id %llu) damaged after a fork", (void *)n, (unsigned long long)n->id);
    REQUIRE(count == NNODES, "%llu nodes, want %d", (unsigned long long)count, NNODES);
}

/* Keeps the collector busy, and the parent's heap changing. */
static void churn(void *arg) {
    (void)arg;
    while (!atomic_load(&stop)) {
        for (int i = 0; i < 64; i++)
            (void)goc_alloc(256);
        goc_gc();
    }
    goc_waitgroup_done(&done);
}

/* Waits for pid in a blocking section (waitpid is a plain system call). */
static int wait_child(pid_t pid) {
    int status = 0;
    goc_blocking_begin();
    pid_t got;
    do
        got = waitpid(pid, &status, 0);
    while (got < 0 && errno == EINTR);
    goc_blocking_end();
    REQUIRE(got == pid, "waitpid: %s", strerror(errno));
    return status;
}

static int test_main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : getenv("GOC_TEST_QUICK") ? 10 : 40;
    build();
    goc_waitgroup_add(&done, 1);
    goc_go(churn, NULL);
    for (int r = 0; r < rounds; r++) {
        pid_t pid = fork();
        REQUIRE(pid >= 0, "fork: %s", strerror(errno));
        if (pid == 0) {
            /* The child: only this thread exists; touch every node. */
            uint64_t sum = 0;
            for (node *n = list; n; n = n->next) {
                n->sum ^= 1;
                sum += n->id;
            }
            _exit(sum == (uint64_t)NNODES * (NNODES + 1) / 2 ? 42 : 1);
        }
        int status = wait_child(pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42,
              "round %d: the writing child ended with status %#x", r, status);
        pid = fork();
        REQUIRE(pid >= 0, "fork: %s", strerror(errno));
        if (pid == 0) {
            execl("/bin/true", "true", (char *)NULL);
            _exit(127);
        }
        status = wait_child(pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "round %d: the exec'ing child ended with status %#x", r, status);
        check();
    }
    atomic_store(&stop, true);
    goc_waitgroup_wait(&done);
    check();
    return test_status();
}

GOC_MAIN(test_main)
