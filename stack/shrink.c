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
    if (stack_alloc(size, &new) != 0)
        return false;
    /* The saved registers are at and above the saved sp; addresses below
     * it are of frames that returned, and are left pointing at the old
     * range, whose quarantine makes using them fault with an explanation. */
    uintptr_t sp = (uintptr_t)g->ctx.sp;
    stack_move mv = stack_move_plan(sp, &old, &new);
    ctx_stack_moved(&old, &new, false);
    stack_populate(sp + (uintptr_t)mv.delta, new.hi);
    stack_move_copy(&mv, sp, old.hi);
    stack_move_records(&mv, g);
    g->ctx.sp = (void *)(sp + (uintptr_t)mv.delta);
    RELAXED_STORE(g->stack.lo, new.lo);
    RELAXED_STORE(g->stack.hi, new.hi);
    RELAXED_STORE(g->stack.guard_lo, new.guard_lo);
    g->stack.slot = new.slot;
    g->stack.vg_id = new.vg_id;
    stack_quarantine(&old, g->id);
    return true;
}
