/* SPDX-License-Identifier: MIT */
/* goc_gc: a collection on request.  The marking and sweeping arrive with
 * the collector; what a cycle already does is the stack work that belongs
 * to it: shrinking stacks that use little of themselves and adapting the
 * size new goroutines start with. */
#include "gc/gc.h"
#include "sched/sched.h"

/* A goroutine of its own, as Go's collection runs on workers: the caller
 * parks meanwhile, so its stack can shrink like any other. */
static void collect(void *arg) {
    goc_chan *done = arg;
    stw_stop("GC");
    gc_shrink_stacks();
    stw_start();
    goc_chan_close(done);
}

void goc_gc(void) {
    goc_chan *done = goc_chan_make(0, 0);
    goc_go_with(collect, done, &(goc_go_opts){.name = "GC"});
    goc_chan_recv(done, NULL);
}

void goc_keep_alive(const void *p) {
    /* The pointer is live, in a register or on the stack, up to here. */
    __asm__ volatile("" : : "r"(p) : "memory");
}
