/* SPDX-License-Identifier: MIT */
#include "base/membarrier.h"

#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/atomics.h"
#include "base/fatal.h"

static _Atomic bool ready;

#ifndef GOC_TSAN
static bool register_process(void) {
    return syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

/* A forked child has one thread: it registers its own address space, or
 * goes without. */
static void fork_child(void) {
    astore(&ready, aload(&ready, memory_order_relaxed) && register_process(),
           memory_order_relaxed);
}

static void init_once(void) {
    long cmds = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) || !register_process())
        return;
    pthread_atfork(NULL, NULL, fork_child);
    astore(&ready, true, memory_order_release);
}

bool process_barrier_init(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, init_once);
    return process_barrier_ready();
}
#else
bool process_barrier_init(void) { return false; }
#endif

bool process_barrier_ready(void) { return aload(&ready, memory_order_acquire); }

void process_barrier(void) {
    if (syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0)
        fatal("membarrier: %s", strerror(errno));
}
