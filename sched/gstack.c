/* SPDX-License-Identifier: MIT */
/* A goroutine's stack as stack/ sees it when it moves (stack_user): its
 * bounds and saved context, whether it is fixed, and the runtime records
 * outside it that may point into it. */
#include "sched/sched.h"
#include "stack/move.h"

/* The elements of the waits g is enqueued on.  Only an element that moves
 * is written: a wait without one (a receive that drops the value) is read
 * by its sender under a channel lock the mover does not take
 * (chan_lock_waits skips it), while the world runs. */
static void relocate_waits(const stack_move *mv, void *arg) {
    goc_g *g = arg;
    for (goc_sudog *s = g->waiting; s; s = s->waitlink) {
        void *moved = (void *)stack_move_relocated(mv, (uintptr_t)s->elem);
        if (moved != s->elem)
            s->elem = moved;
    }
}

/* A running goroutine's records also include the argument of a park in
 * progress (a goroutine between enqueuing and parking). */
static void relocate_running(const stack_move *mv, void *arg) {
    goc_m *m = sched_m();
    if (m)
        m->park_arg = (void *)stack_move_relocated(mv, (uintptr_t)m->park_arg);
    relocate_waits(mv, arg);
}

static stack_user user_of(goc_g *g, void (*relocate)(const stack_move *, void *)) {
    return (stack_user){
        .stack = &g->stack,
        .ctx = &g->ctx,
        .fixed = (g->flags & GOC_STACK_FIXED) != 0,
        .id = g->id,
        .relocate = relocate,
        .arg = g,
    };
}

size_t stack_limit_of(const goc_g *g) {
    if (g->flags & GOC_STACK_FIXED)
        return g->stack.hi - g->stack.lo;
    return stack_max_size();
}

bool stack_grow_on_fault(goc_g *g, uintptr_t addr, void *ucontext) {
    stack_user u = user_of(g, relocate_running);
    return stack_grow_fault(&u, addr, ucontext);
}

size_t stack_shrink_target(const goc_g *g) {
    stack_user u = user_of((goc_g *)g, relocate_waits);
    return stack_shrink_size(&u);
}

bool stack_shrink(goc_g *g, size_t size) {
    stack_user u = user_of(g, relocate_waits);
    return stack_shrink_to(&u, size);
}

bool stack_packable(const goc_g *g) {
    return !g->stack_packed && !(g->flags & GOC_STACK_FIXED) && stack_fits_pack(&g->stack, &g->ctx) &&
           aload(&g->status, memory_order_relaxed) == G_WAITING;
}

bool stack_pack(goc_g *g, goc_stack *old) {
    stack_user u = user_of(g, relocate_waits);
    if (!stack_pack_user(&u, old))
        return false;
    g->stack_packed = true;
    return true;
}

void stack_unpack(goc_g *g, goc_stack *slot) {
    stack_user u = user_of(g, relocate_waits);
    stack_unpack_into(&u, slot);
    g->stack_packed = false;
}
