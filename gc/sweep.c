/* SPDX-License-Identifier: MIT */
/* Sweeping after a cycle: lazily by allocation (mem/central.c sweeps a
 * class's spans before it takes a new one), in proportion to allocation
 * (gc_sweep_credit, so that the sweep ends well before the next cycle
 * needs it finished), and by a background sweeper goroutine that yields
 * between spans and works only while it has a P to itself. */
#include "gc/gc.h"
#include "mem/mem.h"
#include "sched/sched.h"

static gc_waiter sweep_waiter = {.reason = "GC sweep wait"};
static pthread_once_t sweeper_once = PTHREAD_ONCE_INIT;

/* Spans swept per page an allocation asks for: the heap holds at most a
 * few spans per page of goal, so this keeps ahead of allocation. */
#define SPANS_PER_PAGE 2

void gc_sweep_credit(size_t npages) {
    if (__builtin_expect(!mem_unswept_spans(), 1))
        return;
    for (size_t i = 0; i < npages * SPANS_PER_PAGE && mem_sweep_one(); i++)
        ;
}

void gc_sweep_finish(void) {
    while (mem_sweep_one())
        ;
}

static void sweeper(void *arg) {
    (void)arg;
    for (;;) {
        gc_waiter_wait(&sweep_waiter);
        for (unsigned n = 1; mem_sweep_one(); n++)
            if (n % 16 == 0)
                goc_yield();
    }
}

static void sweeper_start(void) {
    goc_go_with(sweeper, NULL,
                &(goc_go_opts){.name = "GC sweeper", .flags = GOC_G_SYSTEM});
}

void gc_sweeper_wake(void) {
    pthread_once(&sweeper_once, sweeper_start);
    gc_waiter_wake(&sweep_waiter, 1);
}
