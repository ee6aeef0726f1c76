/* SPDX-License-Identifier: MIT */
/* The collector's internals (gc/).
 *
 * A cycle, as Go's (mgc.go), in phases (gc_phase):
 *   GC_OFF        mutators run, allocation sweeps lazily;
 *   sweep termination (world stopped): the last cycle's sweep is finished;
 *   GC_MARK       (world stopped here; concurrent in the next step of the
 *                 design): roots and the heap are marked by one worker per P
 *                 (gc/mark.c), objects allocated meanwhile are black;
 *   GC_MARKTERM   (world stopped): finalizers of unreachable objects are
 *                 queued, the optional verifying mark runs, statistics and
 *                 the pacer's next goal are set, caches are flushed and every
 *                 span becomes unswept (mem_sweep_start);
 *   GC_OFF again: the world restarts, sweeping is lazy and in the
 *                 background (gc/sweep.c).
 * One cycle at a time: gc_cycle_lock orders cycles (taken before
 * stop-the-world, never while it holds a runtime lock). */
#ifndef GOC_GC_H
#define GOC_GC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/atomics.h"
#include "base/lock.h"

enum gc_phase { GC_OFF, GC_MARK, GC_MARKTERM };
extern _Atomic int gc_phase;
/* GODEBUG=gcstoptheworld=1: the mark stops the world; =2: the sweep
 * finishes inside the pause too. */
extern bool gc_stw_sweep, gc_stw_mark;

/* ---- roots (roots.c) --------------------------------------------------------- */
/* Calls fn for every range registered with goc_add_roots. */
void gc_for_each_root(void (*fn)(void *start, size_t len, void *arg), void *arg);

/* Where a reference was found, for the verifying mark's report. */
typedef enum gc_source {
    SRC_STACK,      /* a goroutine's stack or saved registers */
    SRC_THREAD,     /* a thread's stack or registers (not a goroutine) */
    SRC_GLOBAL,     /* data or bss of a loaded object */
    SRC_ROOTS,      /* a goc_add_roots range */
    SRC_RUNTIME,    /* a runtime record: timer, waiter, goroutine argument, finalizer */
    SRC_HEAP,       /* another heap object */
} gc_source;
const char *gc_source_name(gc_source src);

/* ---- marking (mark.c) -------------------------------------------------------- */
typedef struct gc_worker gc_worker;
/* A range to scan conservatively as a root, queued before marking starts
 * (owner: the goroutine whose stack it is, NULL otherwise: stacks shrink
 * only when nothing else points into them). */
void gc_root_range(uintptr_t lo, uintptr_t hi, gc_source src, const void *owner);
/* A single word that may point into the heap (a runtime record's field). */
void gc_root_word(uintptr_t v, gc_source src, const void *owner);
struct goc_g;
/* g's stack, read while g holds still (concurrent marking; a goroutine
 * that is running is skipped, and read at mark termination). */
void gc_root_stack(struct goc_g *g);
/* call(arg) as a job of the next run, on one of its threads: the roots
 * it reports (gc_root_range, _word, _stack) are scanned there and then,
 * so finding roots overlaps with the other jobs.  arg must outlive the run. */
void gc_root_call(void (*call)(void *arg), void *arg);
/* A harvest of the heap's written pages (gc/dirty.c) as jobs of the next
 * run, whose threads harvest the pieces in parallel and scan what they
 * find; gc_mark_dirty_pages then says how many pages were written. */
void gc_queue_harvest(void);
size_t gc_mark_dirty_pages(void);
/* Learn where the heap is, for cycle number cycle (never 0). */
void gc_mark_begin(uint32_t cycle);
enum gc_mark_mode {
    GC_MARK_STW,          /* world stopped: one worker per P (up to the cores) */
    GC_MARK_CONCURRENT,   /* mutators run: a quarter of the Ps, at least one */
    GC_MARK_CHECK,        /* the verifying mark: separate bits; a reachable object
                           * the first mark left white stops the program */
    GC_MARK_LEAK,         /* the leak finder's mark (gc/leak.c): the verifying
                           * mark's bits, nothing verified (its roots are fewer) */
};
/* Mark from the queued roots until no grey object is left; the queue is
 * empty afterwards.  Returns the bytes this run marked. */
uint64_t gc_mark_run(enum gc_mark_mode mode);
/* Mark obj without scanning it (a finalizable object whose contents were a
 * root already); returns the bytes newly marked. */
uint64_t gc_mark_object_only(void *obj);
/* CPU time every gc_mark_run so far spent in its workers, ns (the
 * collector goroutine's; a cycle takes the difference). */
int64_t gc_mark_cpu_total_ns(void);
/* A goroutine on P pid helps the concurrent run under way (Go's mark
 * assist): scans grey objects and root jobs until it scanned want bytes or
 * found no more to take; returns the bytes it scanned (0: no run, or none
 * to take). */
int64_t gc_mark_assist(int64_t want, int32_t pid);
/* Takes up to want of what the worker threads scanned beyond what assists
 * took before (Go's background scan credit); returns what it took. */
int64_t gc_mark_take_credit(int64_t want);
/* Bytes the concurrent mark scanned so far this cycle. */
uint64_t gc_mark_cycle_scanned(void);
/* A concurrent cycle begins: no progress, no credit.  Returns what the
 * last concurrent cycle scanned. */
uint64_t gc_mark_cycle_begin(void);
/* A goroutine is about to wait for the concurrent mark at the heap goal:
 * the rest of this cycle's mark gets a thread per core. */
void gc_mark_boost(void);
int64_t gc_mark_assist_cpu_total_ns(void);

/* Stacks nothing outside them points into (gc/shrink.c), filled during
 * marking: gc_stack_candidates_begin before the roots are queued, then
 * each word the mark scans reports through gc_stack_word, and
 * gc_shrink_stacks moves the unpinned ones: with the world stopped
 * (cycle 0), or after a concurrent cycle's last pause, while
 * sched_stack_scans still makes a goroutine that runs forget it was read
 * in cycle: a moved stack is one its goroutine has not touched since the
 * mark read it, so no pointer into it appeared that the mark did not see
 * (only its owner can make one; any other already pinned it).  Moving
 * after the pause keeps the copies, milliseconds for thousands of stacks,
 * out of it. */
void gc_stack_candidates_begin(void);
void gc_stack_word(uintptr_t v, const void *owner);
/* The candidates lie in [~gc_stack_min_inv, + gc_stack_span): kept
 * complemented, since a global holding a stack address would pin it. */
extern uintptr_t gc_stack_min_inv, gc_stack_span;
void gc_shrink_stacks(uint32_t cycle);
/* The slots gc_shrink_stacks emptied go back to the arena, and the
 * candidates are forgotten (world running, before the cycle counts as
 * done: giving a slot back costs microseconds, a million took seconds). */
void gc_shrink_release(void);
/* After a concurrent mark (world stopped again): candidates whose
 * goroutine ran since the mark read its stack stay put (their pointers
 * may be unknown), and nothing moves while a goroutine runs C code in a
 * blocking section or holds its thread.  Reads only the goroutines
 * sched_changed_list holds. */
void gc_shrink_keep_moved(uint32_t cycle);
/* Bytes of goroutine stack the last root scan covered (pacer, gctrace). */
extern uint64_t gc_stack_scan_bytes;
extern uint64_t gc_globals_scan_bytes;
/* Bytes of suspended goroutines' stacks mark termination queued. */
extern uint64_t gc_stack_rescan_bytes;
/* Queue every root (world stopped). */
void gc_queue_roots(void);
/* The same but for the stacks and runtime records (argument, waiters) of
 * the goroutines skip picks, and those of one goroutine alone (the leak
 * finder's, gc/leak.c; world stopped). */
void gc_queue_roots_except(bool (*skip)(const struct goc_g *g));
void gc_queue_g_roots(struct goc_g *g);
/* Concurrent marking: what can be read while mutators run (globals,
 * goc_add_roots ranges, every goroutine's stack as gc_root_stack). */
void gc_queue_roots_concurrent(void);
/* Between concurrent rounds: the stacks of goroutines that ran since the
 * mark read them in cycle, or started since, read again while they are
 * suspended, so that mark termination finds few left; returns how many. */
size_t gc_queue_stacks_changed(uint32_t cycle);
/* Concurrent marking (gc/stackcopy.c): running goroutines are asked for a
 * copy of their stack as they yield, and the copies are marked from, as
 * are stacks that were suspended since the first reading.  Returns the
 * bytes marked. */
uint64_t gc_mark_running_stacks(uint32_t cycle);
/* Mark termination (world stopped): what the concurrent reads cannot have
 * seen complete: globals and goc_add_roots ranges again, the runtime's
 * records, threads, and the stacks of goroutines that ran (or were woken)
 * since their stack was read in cycle. */
void gc_queue_roots_termination(uint32_t cycle);

/* ---- dirty pages (dirty.c) --------------------------------------------------- */
enum gc_dirty_mode { GC_DIRTY_STW, GC_DIRTY_UFFD, GC_DIRTY_MPROTECT };
extern int gc_dirty_mode;
extern const char *gc_dirty_why;   /* why this mode (gctrace=2) */
const char *gc_dirty_mode_name(void);
/* Whether the tracked heap is on huge pages: NULL while the heap is too
 * small to try (GODEBUG=gchugepages), "on", or why not. */
const char *gc_dirty_huge_pages(void);
/* Whether this cycle can track writes (false in a forked child, which
 * then falls back to a stop-the-world mark for good). */
bool gc_dirty_usable(void);
/* Protect the whole heap: from here on, writes are recorded. */
void gc_dirty_start(void);
/* A harvest of the heap written since the last start or harvest, in
 * pieces that threads may take in parallel: grown gets the memory the heap
 * grew into since (all of it counts as written), piece each piece of the
 * rest, for gc_dirty_harvest_piece.  Returns the pages passed to grown. */
size_t gc_dirty_harvest_split(void (*grown)(uintptr_t lo, uintptr_t hi, void *arg),
                              void (*piece)(uintptr_t lo, uintptr_t hi, void *arg), void *arg);
/* The space one thread's harvest of a piece needs (runtime metadata). */
typedef struct gc_dirty_buffer gc_dirty_buffer;
gc_dirty_buffer *gc_dirty_buffer_new(void);
/* fn for every range of the piece [lo, hi) written since the last start
 * or harvest, protecting it again; returns the pages found written.  Any
 * thread, one per piece at a time. */
size_t gc_dirty_harvest_piece(uintptr_t lo, uintptr_t hi, gc_dirty_buffer *buf,
                              void (*fn)(uintptr_t lo, uintptr_t hi, void *arg), void *arg);
/* Stop recording: the heap is writable without faults again. */
void gc_dirty_stop(void);

/* Tests only (tests/gc_checkmark_catches.c): called with the world stopped
 * between the first mark and gccheckmark's verifying one, to show that the
 * verification catches a reference the first mark missed. */
extern void (*gc_test_before_checkmark)(void);

/* ---- finalizers (finalizer.c) ------------------------------------------------ */
/* Roots of the finalizer table: objects reachable from a finalizable object
 * are kept (the object itself is not); the queue of finalizers to run. */
void gc_finalizers_mark_roots(void);
/* After the mark: finalizable objects left unmarked are queued to run and
 * kept (marked) for this cycle.  Returns how many were queued. */
size_t gc_finalizers_queue_unreachable(void);
/* After the world restarts: wake the finalizer goroutine if there is work. */
void gc_finalizers_wake(void);

/* ---- goroutine leaks (leak.c) ------------------------------------------------ */
/* Mark termination, world stopped, after the stacks shrank (the leak mark
 * must not list shrink candidates): when goc_dump_leaked_goroutines asked,
 * or GODEBUG=goroutineleak=1, find the goroutines that can never be woken
 * and capture their tracebacks.  Mark bits, freeing and the pacer's
 * figures stay as the cycle's own mark left them. */
void gc_leak_mark_termination(uint32_t cycle);
/* After the cycle (world running), n its number: GODEBUG=goroutineleak=1
 * prints what was found on stderr; an asker gets its report. */
void gc_leak_cycle_done(uint32_t n);

/* ---- pacer (pacer.c) --------------------------------------------------------- */
void    gc_pacer_init(void);     /* reads GOGC and GOMEMLIMIT once */
int     gc_percent(void);        /* GOGC; < 0: off */
int64_t gc_memory_limit(void);   /* GOMEMLIMIT in bytes */
/* The heap goal after a mark that found live bytes (stack and globals as
 * scanned), and the trigger that starts the next cycle; mark_alloc: bytes
 * allocated while the mark ran concurrently (0: it stopped the world). */
void     gc_pacer_set_goal(uint64_t live, uint64_t stacks, uint64_t globals, uint64_t mark_alloc);
uint64_t gc_heap_goal(void);
extern _Atomic uint64_t gc_trigger;
/* ---- mark assists (assist.c) ------------------------------------------------- */
/* The concurrent mark of cycle begins. */
void gc_assist_cycle_begin(uint32_t cycle);
/* The running goroutine allocated bytes: during a concurrent mark it pays
 * for them in scan work, marking or waiting for the workers' credit. */
void gc_assist_charge(uint64_t bytes);
/* The first run over the roots is over: from here the mark's rounds
 * rescan what changed, and a goroutine that cannot pay while others wait
 * for its P waits for the mark's end instead of taking turns with them
 * (each turn changes its stack, which a round or the pause reads again). */
void gc_assist_settle(void);
/* The calling goroutine waits for the concurrent mark under way to end
 * (none: returns at once). */
void gc_mark_wait_end(void);
/* The cycle's assists so far: bytes scanned, ns waited for credit. */
void gc_assist_cycle_figures(uint64_t *scanned, int64_t *waited_ns);
static inline void gc_assist_check(uint64_t bytes) {
    if (__builtin_expect(aload(&gc_phase, memory_order_relaxed) == GC_MARK, 0))
        gc_assist_charge(bytes);
}

/* Allocation's check: start a cycle when the heap passed the trigger. */
void gc_trigger_slow(void);
static inline void gc_check_trigger(void) {
    extern _Atomic uint64_t mem_heap_live;
    if (__builtin_expect(aload(&mem_heap_live, memory_order_relaxed) >=
                             aload(&gc_trigger, memory_order_relaxed), 0))
        gc_trigger_slow();
}

/* ---- cycles (cycle.c) -------------------------------------------------------- */
enum gc_reason { GC_REASON_HEAP, GC_REASON_FORCED, GC_REASON_PERIODIC };
/* Run a whole cycle (and wait for it); forced: goc_gc, which also finishes
 * the sweep before returning. */
void gc_collect(int reason);
/* Wake the collector goroutine for a cycle without waiting. */
void gc_start_async(int reason);

/* ---- the collector's goroutines wait (waiter.c) ------------------------------ */
struct goc_g;
typedef struct gc_waiter {
    goc_lock         lock;
    struct goc_g    *g;          /* the waiting goroutine (lock) */
    bool             parked;     /* lock */
    _Atomic uint32_t pending;    /* work posted, as bits */
    const char      *reason;     /* shown in tracebacks while parked */
} gc_waiter;
/* Returns the bits posted since the last call, parking while there are none. */
uint32_t gc_waiter_wait(gc_waiter *w);
/* Post bits; returns the goroutine to make runnable if it was parked. */
struct goc_g *gc_waiter_post(gc_waiter *w, uint32_t bits);
void gc_waiter_wake(gc_waiter *w, uint32_t bits);   /* post, and ready it */

/* ---- sweeping (sweep.c) ------------------------------------------------------ */
/* An allocation of npages is about to happen: sweep in proportion, so the
 * sweep ends before the next cycle must start. */
void gc_sweep_credit(size_t npages);
void gc_sweep_finish(void);
void gc_sweeper_wake(void);

/* ---- statistics (stats.c, trace.c) ------------------------------------------- */
typedef struct gc_cycle_stats {
    uint32_t n;
    bool     forced;
    int64_t  t_start, t_mark, t_markterm, t_end;  /* nanotime() */
    int64_t  stw_ns[2];        /* sweep termination, mark termination pauses */
    int64_t  stop_ns[2];       /* time to stop, within those pauses */
    int64_t  cpu_stw, cpu_mark, cpu_markterm;    /* ns of CPU */
    int64_t  cpu_assist;       /* goroutines' assists to the concurrent mark */
    uint64_t assist_bytes;     /* what those assists scanned */
    int64_t  assist_wait_ns;   /* time goroutines waited for the workers' credit */
    uint64_t heap0, heap1, heap2, goal, stacks, globals;
    int32_t  nprocs;
    bool     concurrent;       /* marked beside the program (else world stopped) */
    uint32_t rounds;           /* concurrent rounds of rescanning written pages */
    uint64_t dirty_pages;      /* pages those rounds rescanned */
    uint64_t stacks_reread;    /* goroutine stacks those rounds read again */
    uint64_t last_dirty_pages; /* pages mark termination rescanned */
    uint64_t last_stack_bytes; /* bytes of stacks mark termination read again */
} gc_cycle_stats;
/* Record a finished cycle: memstats, the pause ring, gctrace.  Returns its
 * number (gctrace's "gc N"). */
uint32_t gc_stats_cycle_done(const gc_cycle_stats *c);
/* Pauses and times to stop so far, for gctrace=2 (ns; quantiles to the
 * histograms' resolution: a power of two). */
typedef struct gc_pause_summary {
    uint64_t p50, p99, max, stop_p99, stop_max;
} gc_pause_summary;
void gc_trace_print(const gc_cycle_stats *c, double cpu_fraction, const gc_pause_summary *s);
/* The cycle's phases and pauses in the execution trace (tracephases.c). */
void gc_trace_phases(const gc_cycle_stats *c, uint32_t n);
/* Process start, for gctrace's @seconds and gc_cpu_fraction. */
extern int64_t gc_process_start;
/* CPU time the collector used since the process started, ns. */
extern _Atomic int64_t gc_cpu_total_ns;

#endif
