/* SPDX-License-Identifier: MIT */
/* Copying a stack's used part into a new slot, relocating what points into
 * it (see move.h). */
#include "base/atomics.h"
#include "stack/move.h"

#ifdef GOC_ASAN
void __asan_get_shadow_mapping(size_t *shadow_scale, size_t *shadow_offset);

static uintptr_t shadow_of(uintptr_t addr) {
    size_t scale, offset;
    __asan_get_shadow_mapping(&scale, &offset);
    return (addr >> scale) + offset;
}

/* The poisoning of the live frames (redzones, out-of-scope locals) goes
 * with them. */
NO_SANITIZE static void copy_shadow(const stack_move *mv, uintptr_t lo, uintptr_t hi) {
    const volatile uint8_t *src = (const uint8_t *)shadow_of(lo);
    volatile uint8_t *dst = (uint8_t *)shadow_of(lo + (uintptr_t)mv->delta);
    size_t n = shadow_of(hi) - shadow_of(lo);
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i];
}
#endif

stack_move stack_move_plan(uintptr_t from_lo, const goc_stack *old, const goc_stack *new) {
    stack_move mv = {
        .from_lo = from_lo,
        .from_hi = old->hi,
        .delta = (intptr_t)(new->hi - old->hi),
    };
#ifdef GOC_ASAN
    mv.shadow_lo = shadow_of(mv.from_lo);
    mv.shadow_hi = shadow_of(mv.from_hi);
    mv.shadow_delta = (intptr_t)(shadow_of(new->hi) - shadow_of(old->hi));
    mv.shifted_lo = mv.shadow_lo - shadow_of(0);
    mv.shifted_hi = mv.shadow_hi - shadow_of(0);
#endif
    return mv;
}

NO_SANITIZE void stack_move_copy(const stack_move *mv, uintptr_t lo, uintptr_t hi) {
#ifdef GOC_ASAN
    copy_shadow(mv, lo & ~(uintptr_t)7, hi);
#endif
    const uintptr_t *src = (const uintptr_t *)lo;
    uintptr_t *dst = (uintptr_t *)(lo + (uintptr_t)mv->delta);
    size_t n = (hi - lo) / sizeof(uintptr_t);
    for (size_t i = 0; i < n; i++)
        dst[i] = stack_move_relocated(mv, src[i]);
}

NO_SANITIZE void stack_move_words(const stack_move *mv, void *area, size_t bytes) {
    uint64_t *w = area;
    for (size_t i = 0; i < bytes / 8; i++)
        w[i] = stack_move_relocated(mv, w[i]);
}

void stack_move_install(goc_stack *dst, const goc_stack *to) {
    astore(&dst->lo, to->lo, memory_order_relaxed);
    astore(&dst->hi, to->hi, memory_order_relaxed);
    astore(&dst->guard_lo, to->guard_lo, memory_order_relaxed);
    dst->slot = to->slot;
    dst->vg_id = to->vg_id;
    dst->own_mapping = to->own_mapping;
}

void stack_move_parked(const stack_user *u, const goc_stack *to) {
    goc_stack from = *u->stack;
    /* The saved registers are at and above the saved sp; addresses below
     * it are of frames that returned, and are left pointing at the old
     * range. */
    uintptr_t sp = (uintptr_t)u->ctx->sp;
    stack_move mv = stack_move_plan(sp, &from, to);
    ctx_stack_moved(&from, to, false);
    stack_move_copy(&mv, sp, from.hi);
    u->relocate(&mv, u->arg);
    u->ctx->sp = (void *)(sp + (uintptr_t)mv.delta);
    stack_move_install(u->stack, to);
}
