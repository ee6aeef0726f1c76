/* SPDX-License-Identifier: MIT */
/* Shrinking a parked goroutine's stack into a smaller slot, with the world
 * stopped.  Which stacks may move is the collector's call (gc/shrink.c):
 * nothing it can see outside a stack may point into it. */
#include "stack/move.h"

size_t stack_shrink_size(const stack_user *u) {
    if (u->fixed)
        return 0;
    size_t size = u->stack->hi - u->stack->lo;
    /* What it resumes with must leave a safe point's room. */
    uintptr_t used = u->stack->hi - (uintptr_t)u->ctx->sp + STACK_SAFEPOINT_ROOM;
    size_t target = size;
    while (target / 2 >= STACK_INITIAL_SIZE && used < target / 4)
        target /= 2;
    return target < size ? target : 0;
}

bool stack_shrink_to(const stack_user *u, size_t size) {
    goc_stack old = *u->stack, new;
    if (stack_alloc_congruent(size, old.hi, &new) != 0 && stack_alloc(size, &new) != 0)
        return false;
    stack_populate((uintptr_t)u->ctx->sp - old.hi + new.hi, new.hi);
    stack_move_parked(u, &new);
    /* Its quarantine makes a stale pointer into the old range fault with an
     * explanation. */
    stack_quarantine(&old, u->id);
    return true;
}
