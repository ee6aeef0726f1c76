/* SPDX-License-Identifier: MIT */
/* Shrinking a parked goroutine's stack into a smaller slot, with the world
 * stopped.  Which stacks may move is the collector's call (gc/shrink.c):
 * nothing it can see outside a stack may point into it. */
#include "sched/sched.h"
#include "stack/move.h"

size_t stack_shrink_target(const goc_g *g) {
    if (g->flags & GOC_STACK_FIXED)
        return 0;
    size_t size = g->stack.hi - g->stack.lo;
    /* What it resumes with must leave a safe point's room. */
    uintptr_t used = g->stack.hi - (uintptr_t)g->ctx.sp + STACK_SAFEPOINT_ROOM;
    size_t target = size;
    while (target / 2 >= STACK_INITIAL_SIZE && used < target / 4)
        target /= 2;
    return target < size ? target : 0;
}

bool stack_shrink(goc_g *g, size_t size) {
    goc_stack old = g->stack, new;
    if (stack_alloc_congruent(size, old.hi, &new) != 0 && stack_alloc(size, &new) != 0)
        return false;
    stack_populate((uintptr_t)g->ctx.sp - old.hi + new.hi, new.hi);
    stack_move_parked(g, &new);
    /* Its quarantine makes a stale pointer into the old range fault with an
     * explanation. */
    stack_quarantine(&old, g->id);
    return true;
}
