/* SPDX-License-Identifier: MIT */
/* Deadlock detection (Go's checkdead): called with sched.lock held whenever
 * an M goes idle.  If no M runs, nothing is runnable, no timer or I/O can
 * make anything runnable, and no thread outside the scheduler could still
 * act, the program can never make progress. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sched/internal.h"

_Atomic int32_t sched_foreign_threads;   /* threads with a stand-in G */

/* io_uring's kernel workers show up as threads of the process. */
static bool is_kernel_worker(const char *tid) {
    char path[300], comm[32];
    snprintf(path, sizeof path, "/proc/self/task/%s/comm", tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, comm, sizeof comm - 1);
    close(fd);
    comm[n > 0 ? n : 0] = 0;
    return strncmp(comm, "iou-", 4) == 0;
}

static int32_t count_threads(void) {
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int32_t threads = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && !is_kernel_worker(e->d_name))
            threads++;
    closedir(d);
    return threads;
}

/* Threads present when the runtime has just started, other than the one
 * starting it and the runtime's own (a sanitizer's background thread,
 * started with the first pthread_create, say): taken as known. */
static int32_t preexisting_threads;

void deadlock_init(void) {
    int32_t n = count_threads() - 1 - runtime_thread_count();
    preexisting_threads = n > 0 ? n : 0;
}

/* A thread the runtime has never seen (created by the program, not yet in
 * any goc call) may still send on a channel: while one exists, a program
 * with every goroutine blocked is not provably dead. */
static bool unknown_threads_exist(void) {
    int32_t threads = count_threads();
    if (threads < 0)
        return true;   /* cannot tell: do not accuse the program */
    int32_t known = mcount + preexisting_threads + runtime_thread_count() +
                    aload(&sched_foreign_threads, memory_order_seq_cst);
    return threads > known;
}

/* Could anything the runtime knows of still make progress? */
static bool runtime_can_progress(void) {
    if (aload(&sched.nforeign_active, memory_order_acquire) > 0 ||
        aload(&sched.io_pending, memory_order_acquire) > 0 ||
        aload(&sched.nreadying, memory_order_acquire) > 0 ||
        aload(&poller_busy, memory_order_relaxed) || sched.runqsize > 0)
        return true;
    for (int32_t i = 0; i < sched.nprocs; i++) {
        goc_p *p = sched.allp[i];
        if (!runq_empty(p) || aload(&p->timer0_when, memory_order_relaxed) != 0)
            return true;
    }
    return false;
}

void checkdead(void) {
    if (!sched.main_started || aload(&sched.main_returned, memory_order_relaxed) ||
        aload(&sched.gcwaiting, memory_order_relaxed))
        return;
    int32_t running = mcount - sched.nmidle - sched.nmidlelocked;
    if (running > 0)
        return;
    if (running < 0)
        fatal("checkdead: inconsistent counts mcount=%d nmidle=%d nmidlelocked=%d",
              mcount, sched.nmidle, sched.nmidlelocked);
    if (runtime_can_progress())
        return;
    /* Slow check last, then the fast ones again: a thread that registered
     * while we counted (active count raised before the thread count) and
     * may already have readied someone is seen by the second look. */
    if (unknown_threads_exist() || runtime_can_progress())
        return;
    if (goroutine_count() == 0)
        fatal("no goroutines (main called goc_exit) - deadlock!");
    fatal("all goroutines are asleep - deadlock!");
}
