/* SPDX-License-Identifier: MIT */
/* The pacer, Go 1.19's: after a mark that found `live` bytes,
 *   goal = live + (live + stacks + globals) * GOGC / 100, at least
 *          4 MiB * GOGC / 100 (Go's heapMinimum);
 * GOGC=off: no goal from GOGC;
 * GOMEMLIMIT: the goal is lowered so that heap plus everything else the
 * runtime has mapped (stacks, metadata) stays under the limit.
 * The next cycle starts at the trigger, below the goal: the heap grows on
 * until the world has stopped, or while the mark runs concurrently.
 * GOGC and GOMEMLIMIT come from the environment and change at run time
 * (debug.SetGCPercent, debug.SetMemoryLimit): the goal is recomputed. */
#include <stdatomic.h>

#include "gc/gc.h"
#include "mem/mem.h"
#include "sched/env.h"
#include "sched/sched.h"
#include "stack/stack.h"

#define HEAP_MINIMUM ((uint64_t)4 << 20)
/* The trigger lies between these shares of the way from live to goal (Go
 * 1.19's bounds).  A stop-the-world mark takes the upper one; a concurrent
 * one starts early enough that what was allocated during the last mark
 * (its runway) fits before the goal. */
#define TRIGGER_MAX_PERMILLE 950
#define TRIGGER_MIN_PERMILLE 700

static _Atomic int percent;
static _Atomic int64_t memory_limit;
static pthread_once_t settings_once = PTHREAD_ONCE_INIT;
/* The last mark's figures, which every recomputation starts from. */
static goc_lock pacer_lock = GOC_LOCK_INIT;
static uint64_t last_live, last_stacks, last_globals;   /* pacer_lock */
static uint64_t runway;                                  /* pacer_lock; 0: marks stop the world */
static _Atomic uint64_t heap_goal;
_Atomic uint64_t gc_trigger = UINT64_MAX;

static uint64_t gogc_goal(int gogc, uint64_t live, uint64_t stacks, uint64_t globals) {
    if (gogc < 0)
        return UINT64_MAX;
    uint64_t goal = live + (live + stacks + globals) * (uint64_t)gogc / 100;
    uint64_t minimum = HEAP_MINIMUM * (uint64_t)gogc / 100;
    return goal < minimum ? minimum : goal;
}

/* What the limit leaves the heap: the limit minus the runtime's memory
 * that is not heap (stacks, metadata), never below what is live plus a
 * little (a goal under the live heap would collect without end). */
static uint64_t limit_goal(int64_t limit, uint64_t live) {
    if (limit == INT64_MAX)
        return UINT64_MAX;
    /* Stacks count as handed out (stack_inuse): stack_sys is the address
     * space reserved for them, hundreds of MiB that are not memory, and a
     * limit under it left the goal at the floor (a cycle every few KiB). */
    uint64_t stack_inuse, stack_sys;
    stack_stats(&stack_inuse, &stack_sys);
    uint64_t other = stack_inuse + mem_meta_sys();
    uint64_t floor = live + (live >> 5) + MEM_PAGE_SIZE * 16;
    uint64_t goal = (uint64_t)limit > other ? (uint64_t)limit - other : 0;
    return goal < floor ? floor : goal;
}

/* pacer_lock held. */
static void recompute(void) {
    uint64_t goal = gogc_goal(aload(&percent, memory_order_seq_cst), last_live, last_stacks, last_globals);
    uint64_t by_limit = limit_goal(aload(&memory_limit, memory_order_seq_cst), last_live);
    if (by_limit < goal)
        goal = by_limit;
    astore(&heap_goal, goal, memory_order_seq_cst);
    uint64_t trigger = goal;
    if (goal != UINT64_MAX && goal > last_live) {
        uint64_t way = goal - last_live;
        uint64_t latest = last_live + way * TRIGGER_MAX_PERMILLE / 1000;
        uint64_t earliest = last_live + way * TRIGGER_MIN_PERMILLE / 1000;
        trigger = latest;
        if (runway) {
            uint64_t want = goal > runway ? goal - runway : 0;
            trigger = want < earliest ? earliest : want < latest ? want : latest;
        }
    }
    astore(&gc_trigger, trigger, memory_order_seq_cst);
    /* The scavenger keeps what the heap will need: up to the goal, or what
     * it used at this mark's end (the cycle's peak) if that was more.  A
     * concurrent mark's black allocations take the heap past the goal in
     * every cycle; releasing those pages would only fault them in again
     * (binary-trees: 44,000 more page faults, a third of the mode's extra
     * system time). */
    if (goal != UINT64_MAX) {
        uint64_t peak = aload(&mheap.inuse_pages, memory_order_relaxed) << MEM_PAGE_SHIFT;
        mem_set_heap_goal(goal > peak ? goal : peak);
    }
}

static void settings_init(void) {
    sched_ensure_started();   /* parses the environment */
    gc_stw_sweep = godebug_value("gcstoptheworld", 0) >= 2;
    gc_stw_mark = godebug_value("gcstoptheworld", 0) >= 1;
    astore(&percent, goc_env.gogc, memory_order_seq_cst);
    astore(&memory_limit, goc_env.gomemlimit, memory_order_seq_cst);
    lock_acquire(&pacer_lock);
    recompute();
    lock_release(&pacer_lock);
}

void gc_pacer_init(void) { pthread_once(&settings_once, settings_init); }

int gc_percent(void) {
    gc_pacer_init();
    return aload(&percent, memory_order_seq_cst);
}

int64_t gc_memory_limit(void) {
    gc_pacer_init();
    return aload(&memory_limit, memory_order_seq_cst);
}

uint64_t gc_heap_goal(void) {
    gc_pacer_init();
    uint64_t goal = aload(&heap_goal, memory_order_seq_cst);
    return goal == UINT64_MAX ? 0 : goal;
}

void gc_pacer_set_goal(uint64_t live, uint64_t stacks, uint64_t globals, uint64_t mark_alloc) {
    gc_pacer_init();
    lock_acquire(&pacer_lock);
    /* A fifth more than last time, as allocation rates wobble. */
    runway = mark_alloc ? mark_alloc + mark_alloc / 5 : 0;
    last_live = live;
    last_stacks = stacks;
    last_globals = globals;
    recompute();
    lock_release(&pacer_lock);
}

int goc_set_gc_percent(int p) {
    gc_pacer_init();
    lock_acquire(&pacer_lock);
    int old = axchg(&percent, p < 0 ? -1 : p, memory_order_seq_cst);
    recompute();
    lock_release(&pacer_lock);
    /* A lower goal the heap already passed: collect now, as Go does. */
    gc_check_trigger();
    return old;
}

int64_t goc_set_memory_limit(int64_t bytes) {
    gc_pacer_init();
    if (bytes < 0)
        return aload(&memory_limit, memory_order_seq_cst);
    lock_acquire(&pacer_lock);
    int64_t old = axchg(&memory_limit, bytes, memory_order_seq_cst);
    recompute();
    lock_release(&pacer_lock);
    gc_check_trigger();
    return old;
}
