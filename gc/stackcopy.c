/* SPDX-License-Identifier: MIT */
/* Stacks of goroutines that run while the mark is concurrent.
 *
 * A running goroutine cannot be held still for the mark's reader, and its
 * stack is often where everything hangs from (a program with one busy
 * goroutine: all of its heap).  Left to mark termination, marking from it
 * would happen with the world stopped.  So the collector asks it to yield
 * at its next safe point (sched_request_stack_copy); the M that switches
 * away from it copies its suspended stack [sp, hi), saved registers
 * included, before the goroutine can run again, and records the stack as
 * read in this cycle.  The copy is then marked from like any root range,
 * concurrently.  If the goroutine runs again before mark termination
 * (nearly always), its stack is read again there, as any goroutine's that
 * ran; what the copy referenced is marked already, so that is quick.
 *
 * copies and ncopies are guarded by copy_lock (the hook runs on any M). */
#include <string.h>
#include <time.h>

#include "gc/gc.h"
#include "mem/mem.h"
#include "sched/sched.h"
#include "stack/move.h"

/* Rounds of asking, and how long each waits for the copies. */
#define STACK_COPY_PASSES  3
#define STACK_COPY_WAIT_NS (2 * 1000 * 1000)
#define STACK_COPY_POLL_NS (50 * 1000)

typedef struct stack_copy {
    uintptr_t *words;
    size_t     n;
    goc_g     *g;
} stack_copy;

static goc_lock copy_lock = GOC_LOCK_INIT;
static stack_copy *copies;
static size_t ncopies, copies_cap;
static uint32_t copy_cycle;   /* copy_lock: the cycle copies are taken for, 0: none */

/* Reads a stack other code owns (redzones included): not instrumented. */
NO_SANITIZE static void copy_words(uintptr_t *to, const uintptr_t *from, size_t n) {
    for (size_t i = 0; i < n; i++)
        to[i] = *(const volatile uintptr_t *)&from[i];
}

static void take_copy(goc_g *g, uint32_t cycle) {
    lock_acquire(&copy_lock);
    if (cycle != copy_cycle) {
        lock_release(&copy_lock);
        return;   /* asked in a cycle whose copies are all taken */
    }
    uintptr_t lo = (uintptr_t)g->ctx.sp & ~(uintptr_t)(sizeof(uintptr_t) - 1);
    size_t n = (g->stack.hi - lo) / sizeof(uintptr_t);
    uintptr_t *words = mem_meta_alloc(n * sizeof *words);
    copy_words(words, (const uintptr_t *)lo, n);
    if (ncopies == copies_cap)
        copies = mem_meta_grow(copies, &copies_cap, ncopies, sizeof *copies, 16);
    copies[ncopies++] = (stack_copy){words, n, g};
    /* Read in this cycle: unless it runs again (or I/O into its stack is
     * in flight), termination skips it. */
    sched_g_scan_release(g, g->stack_pins ? 0 : cycle);
    lock_release(&copy_lock);
}

__attribute__((constructor)) static void stackcopy_register(void) {
    astore(&sched_stack_copy_hook, take_copy, memory_order_release);
}

typedef struct ask {
    uint32_t cycle;
    goc_g   *self;
    size_t   asked;
} ask;

static void ask_running(goc_g *g, void *arg) {
    ask *a = arg;
    if (g == a->self || g->is_thread || sched_g_scanned_in(g, a->cycle))
        return;
    uint32_t st = aload(&g->status, memory_order_acquire);
    if (st == G_RUNNING) {
        sched_request_stack_copy(g, a->cycle);
        a->asked++;
    } else if (st == G_WAITING || st == G_RUNNABLE) {
        /* Suspended since the first reading skipped it. */
        gc_root_stack(g);
    }
}

/* Takes the copies made so far and queues them as root ranges; returns how
 * many. */
static size_t queue_copies(stack_copy **taken, size_t *ntaken) {
    lock_acquire(&copy_lock);
    *taken = copies;
    *ntaken = ncopies;
    size_t cap = copies_cap;
    copies = NULL;
    ncopies = copies_cap = 0;
    lock_release(&copy_lock);
    for (size_t i = 0; i < *ntaken; i++) {
        stack_copy *c = &(*taken)[i];
        gc_root_range((uintptr_t)c->words, (uintptr_t)(c->words + c->n), SRC_STACK, c->g);
        gc_stack_scan_bytes += c->n * sizeof *c->words;
    }
    return cap;
}

static void free_copies(stack_copy *taken, size_t ntaken, size_t cap) {
    for (size_t i = 0; i < ntaken; i++)
        mem_meta_free(taken[i].words, taken[i].n * sizeof *taken[i].words);
    if (taken)
        mem_meta_free(taken, cap * sizeof *taken);
}

uint64_t gc_mark_running_stacks(uint32_t cycle) {
    lock_acquire(&copy_lock);
    copy_cycle = cycle;
    lock_release(&copy_lock);
    uint64_t marked = 0;
    for (int pass = 0; pass < STACK_COPY_PASSES; pass++) {
        ask a = {.cycle = cycle, .self = sched_curg()};
        sched_for_each_g(ask_running, &a);
        /* The asked ones yield within a safe point or two; one that runs C
         * code without any is read at termination instead. */
        for (int64_t waited = 0; a.asked && waited < STACK_COPY_WAIT_NS;
             waited += STACK_COPY_POLL_NS) {
            lock_acquire(&copy_lock);
            size_t have = ncopies;
            lock_release(&copy_lock);
            if (have >= a.asked)
                break;
            struct timespec ts = {0, STACK_COPY_POLL_NS};
            nanosleep(&ts, NULL);
        }
        stack_copy *taken;
        size_t ntaken;
        size_t cap = queue_copies(&taken, &ntaken);
        if (!ntaken && !a.asked)
            break;
        marked += gc_mark_run(GC_MARK_CONCURRENT);
        free_copies(taken, ntaken, cap);
    }
    /* Copies taken after the last pass are dropped, and their goroutines
     * count as not read: termination reads them. */
    stack_copy *late;
    size_t nlate;
    lock_acquire(&copy_lock);
    copy_cycle = 0;
    late = copies;
    nlate = ncopies;
    size_t cap = copies_cap;
    copies = NULL;
    ncopies = copies_cap = 0;
    lock_release(&copy_lock);
    for (size_t i = 0; i < nlate; i++)
        sched_g_scan_release(late[i].g, 0);
    free_copies(late, nlate, cap);
    return marked;
}
