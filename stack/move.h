/* SPDX-License-Identifier: MIT */
/* Moving a stack's contents to another slot, shared by growth (a running
 * goroutine, from the fault handler) and shrinking (a parked one, with the
 * world stopped).
 *
 * C has no stack maps, so the move is conservative: every word of the used
 * stack that holds an address in the old range is moved by the same delta.
 * A non-pointer word that holds such a value is changed too.  Whole
 * integers and text rarely do (user stacks live far from the values
 * programs store), but a word only partly overwritten does: a short string
 * written into a buffer whose other bytes still hold a stale stack address
 * keeps that word in range, and the delta's bits 12 and up change the
 * string's second and later bytes (a probe found 10 of 180 moves corrupted
 * two- and three-byte strings written that way).  So growth and shrinking
 * move a stack into a slot whose end is congruent to the old one's modulo
 * 4 GiB (stack_alloc_congruent): the delta then leaves the low 32 bits
 * alone, and a partly written word changes only if its fifth byte is data
 * that matches too.  Packing, and a move whose congruent slot cannot be had
 * (the mappings' budget spent), still take any slot.
 *
 * Under ASan the stack's shadow moves too, and so do shadow addresses:
 * instrumented code keeps a frame's shadow address (or the frame address
 * shifted by the shadow scale) across calls, to clear its redzones on
 * return. */
#ifndef GOC_STACK_MOVE_H
#define GOC_STACK_MOVE_H

#include <stdint.h>

#include "base/sanitizers.h"
#include "stack/stack.h"

/* The copy and the scans read the whole used stack, sanitizer redzones
 * included: they must not be instrumented. */
#define NO_SANITIZE __attribute__((no_sanitize_address, no_sanitize_thread))

struct stack_move {
    uintptr_t from_lo, from_hi;   /* values in this range are stack addresses */
    intptr_t  delta;
    /* ASan: their shadow addresses, and those without the shadow offset
     * (code may keep addr >> scale and add the offset in each access). */
    uintptr_t shadow_lo, shadow_hi, shifted_lo, shifted_hi;
    intptr_t  shadow_delta;
};
typedef struct stack_move stack_move;

/* A move of the addresses [from_lo, old->hi) to the same offsets below
 * new->hi. */
stack_move stack_move_plan(uintptr_t from_lo, const goc_stack *old, const goc_stack *new);

/* All ones when lo <= v < hi, else zero.  Branch-free: Valgrind's memcheck
 * would report a branch on the uninitialized words every stack holds. */
NO_SANITIZE static inline uintptr_t mask_inside(uintptr_t v, uintptr_t lo, uintptr_t hi) {
    return (uintptr_t)0 - (uintptr_t)(v - lo < hi - lo);
}

NO_SANITIZE static inline uintptr_t stack_move_relocated(const stack_move *mv, uintptr_t v) {
    uintptr_t shift = mask_inside(v, mv->from_lo, mv->from_hi) & (uintptr_t)mv->delta;
#ifdef GOC_ASAN
    shift |= (mask_inside(v, mv->shadow_lo, mv->shadow_hi) |
              mask_inside(v, mv->shifted_lo, mv->shifted_hi)) & (uintptr_t)mv->shadow_delta;
#endif
    return v + shift;
}

/* Copy the used part [lo, hi) of the old stack (lo word-aligned) to the new
 * one, relocating every word, with its ASan shadow. */
void stack_move_copy(const stack_move *mv, uintptr_t lo, uintptr_t hi);
/* Relocate the words of a saved register area. */
void stack_move_words(const stack_move *mv, void *area, size_t bytes);
/* dst is to from now on (other threads may read its bounds meanwhile). */
void stack_move_install(goc_stack *dst, const goc_stack *to);
/* Move a suspended u's frames [ctx.sp, stack.hi) into to, which becomes
 * its stack (shrinking, packing, unpacking). */
void stack_move_parked(const stack_user *u, const goc_stack *to);

#endif
