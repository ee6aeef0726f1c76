/* SPDX-License-Identifier: MIT */
/* Queueing the roots of a cycle: all of them with the world stopped, or,
 * when marking is concurrent, what can be read while mutators run, then at
 * mark termination what may have changed unseen.  What is a root (and
 * what is not) is documented for users in docs/api.md. */
#include <link.h>

#include "gc/gc.h"
#include "mem/mem.h"
#include "sched/sched.h"

uint64_t gc_stack_scan_bytes, gc_globals_scan_bytes, gc_stack_rescan_bytes;

static void queue_sudog(const goc_sudog *s, const goc_g *g) {
    /* elem usually points into g's own stack (it moves with it); chan is
     * a channel, or the heap object holding a semaphore. */
    gc_root_word((uintptr_t)s->elem, SRC_RUNTIME, g);
    gc_root_word((uintptr_t)s->chan, SRC_RUNTIME, NULL);
}

/* Whether g's records and stack were read concurrently in cycle (gc/
 * mark.c scan_stack) and cannot have changed since: it did not run, and
 * nobody woke it (a waker may have written into its stack: a channel's
 * direct handoff).  A stack read while I/O into it was in flight never
 * counts as read (gc/mark.c).  Atomics only: the goroutine may run. */
static bool settled(const goc_g *g, uint32_t cycle) {
    return aload(&g->status, memory_order_relaxed) == G_WAITING && sched_g_scanned_in(g, cycle);
}

/* The goroutine's records and its stack, unless (cycle != 0) they were
 * read in cycle and settled since.  With a million parked goroutines,
 * queueing their records again took most of a 570 ms mark termination. */
static void queue_g_in(goc_g *g, uint32_t cycle) {
    uint32_t st = aload(&g->status, memory_order_relaxed);
    if (st == G_DEAD || (cycle && settled(g, cycle) && sched_g_suspended(g) && !g->stack_pins))
        return;
    bool suspended = sched_g_suspended(g);
    /* Not yet on its stack while the goroutine has not started. */
    gc_root_word((uintptr_t)g->arg, SRC_RUNTIME, NULL);
    /* g->waiting lists the sudogs of a wait in progress, the embedded
     * wait_sudog included; once the wait is over that record keeps its
     * last channel and element, which must not keep them alive. */
    for (goc_sudog *s = g->waiting; s; s = s->waitlink)
        queue_sudog(s, g);
    if (suspended) {
        gc_root_range((uintptr_t)g->ctx.sp, g->stack.hi, SRC_STACK, g);
        gc_stack_scan_bytes += g->stack.hi - (uintptr_t)g->ctx.sp;
        if (cycle)
            gc_stack_rescan_bytes += g->stack.hi - (uintptr_t)g->ctx.sp;
    }
}

/* Which goroutines a queueing covers, and since which cycle (see queue_g_in). */
typedef struct g_filter {
    uint32_t cycle;
    bool   (*skip)(const goc_g *g);   /* NULL: none is left out */
} g_filter;

static void queue_g(goc_g *g, void *arg) {
    const g_filter *f = arg;
    if (!f->skip || !f->skip(g))
        queue_g_in(g, f->cycle);
}

static void queue_g_stack(goc_g *g, void *arg) {
    (void)arg;
    if (!g->is_thread && aload(&g->status, memory_order_relaxed) != G_DEAD)
        gc_root_stack(g);
}

typedef struct changed_stacks {
    uint32_t cycle;
    size_t   n;
} changed_stacks;

/* Only atomics are read: the goroutine may be running.  The stack job
 * itself claims it, and skips it if it runs by then.  One not settled now
 * goes on the list mark termination reads (sched_changed_list); whatever
 * unsettles one later lists it then. */
static void queue_changed_stack(goc_g *g, void *arg) {
    changed_stacks *cs = arg;
    uint32_t st = aload(&g->status, memory_order_relaxed);
    if (st == G_DEAD)
        return;
    if (!settled(g, cs->cycle))
        sched_g_changed_slow(g);
    if (!g->is_thread && (st == G_WAITING || st == G_RUNNABLE) &&
        !sched_g_scanned_in(g, cs->cycle)) {
        gc_root_stack(g);
        cs->n++;
    }
}

/* Whether mark termination must look at g: the complement of what
 * queue_g_in skips. */
static bool termination_needs(goc_g *g, void *arg) {
    uint32_t cycle = *(const uint32_t *)arg;
    return aload(&g->status, memory_order_relaxed) != G_DEAD &&
           !(settled(g, cycle) && sched_g_suspended(g) && !aload(&g->stack_pins, memory_order_relaxed));
}

size_t gc_queue_stacks_changed(uint32_t cycle) {
    /* Those read again since they changed leave the list: at 10,000
     * goroutines that all ran during a mark, mark termination spent 0.3-0.45
     * ms walking them to find that nothing was left to read. */
    sched_changed_prune(termination_needs, &cycle);
    changed_stacks cs = {.cycle = cycle};
    sched_for_each_g(queue_changed_stack, &cs);
    return cs.n;
}

static void queue_suspended(const stw_thread_view *t, void *arg) {
    (void)arg;
    gc_source src = t->g && !t->g->is_thread ? SRC_STACK : SRC_THREAD;
    gc_root_range(t->stack_lo, t->stack_hi, src, t->g);
    if (t->regs_len)
        gc_root_range((uintptr_t)t->regs, (uintptr_t)t->regs + t->regs_len, src, t->g);
    gc_stack_scan_bytes += t->stack_hi - t->stack_lo;
}

static void queue_added_range(void *start, size_t len, void *arg) {
    (void)arg;
    gc_root_range((uintptr_t)start, (uintptr_t)start + len, SRC_ROOTS, NULL);
}

/* The private jemalloc's bss (mem/local.mk): runtime metadata, never a
 * pointer into the collected heap; scanned, it would add 2 MiB to every
 * mark and, through the globals term, to every heap goal. */
extern char __start_goc_je_bss[] __attribute__((visibility("hidden")));
extern char __stop_goc_je_bss[] __attribute__((visibility("hidden")));

static void queue_globals(uintptr_t lo, uintptr_t hi) {
    if (lo < hi) {
        gc_root_range(lo, hi, SRC_GLOBAL, NULL);
        gc_globals_scan_bytes += hi - lo;
    }
}

/* Writable segments of every loaded object, dlopen'ed ones included. */
static int queue_object_segments(struct dl_phdr_info *info, size_t size, void *arg) {
    (void)size;
    (void)arg;
    uintptr_t skip_lo = (uintptr_t)__start_goc_je_bss, skip_hi = (uintptr_t)__stop_goc_je_bss;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W)) {
            uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
            if (skip_lo >= lo && skip_hi <= hi) {
                queue_globals(lo, skip_lo);
                queue_globals(skip_hi, hi);
            } else {
                queue_globals(lo, hi);
            }
        }
    }
    return 0;
}

static void queue_timers(void) {
    for (int32_t i = 0; i < sched.nprocs; i++) {
        goc_p *p = sched.allp[i];
        for (int32_t k = 0; k < p->ntimers; k++) {
            /* A timer may live inside a heap object; its argument (the
             * channel of goc_after, say) is often held by nothing else. */
            gc_root_word((uintptr_t)p->timers[k], SRC_RUNTIME, NULL);
            gc_root_word((uintptr_t)p->timers[k]->arg, SRC_RUNTIME, NULL);
        }
    }
}

/* With the world stopped.  Mark termination after a concurrent mark
 * (cycle != 0) reads only the goroutines listed since its stacks began to
 * be read, and adds to the stack bytes the concurrent mark counted. */
static void queue_all(g_filter *f) {
    gc_stack_rescan_bytes = 0;
    gc_globals_scan_bytes = 0;
    if (f->cycle) {
        for (goc_g *g = sched_changed_list(); g; g = g->gc_relink)
            queue_g_in(g, f->cycle);
    } else {
        gc_stack_scan_bytes = 0;
        sched_for_each_g(queue_g, f);
    }
    stw_for_each_suspended(queue_suspended, NULL);
    gc_for_each_root(queue_added_range, NULL);
    dl_iterate_phdr(queue_object_segments, NULL);
    queue_timers();
    gc_finalizers_mark_roots();
}

static void queue_all_call(void *filter) { queue_all(filter); }

/* As a job of the run, which meanwhile harvests the heap on its other
 * threads: the pass over the listed goroutines is most of this. */
void gc_queue_roots_termination(uint32_t cycle) {
    static g_filter termination;
    termination = (g_filter){.cycle = cycle};
    gc_root_call(queue_all_call, &termination);
}

void gc_queue_roots(void) { queue_all(&(g_filter){0}); }

void gc_queue_roots_except(bool (*skip)(const goc_g *g)) { queue_all(&(g_filter){.skip = skip}); }

void gc_queue_g_roots(goc_g *g) { queue_g_in(g, 0); }

void gc_queue_roots_concurrent(void) {
    gc_stack_scan_bytes = 0;
    gc_globals_scan_bytes = 0;
    gc_for_each_root(queue_added_range, NULL);
    dl_iterate_phdr(queue_object_segments, NULL);
    sched_for_each_g(queue_g_stack, NULL);
}
