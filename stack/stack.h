/* SPDX-License-Identifier: MIT */
/* Goroutine stacks and the context switch.
 * Stacks come in power-of-two size classes, each slot with a guard region
 * below it; a goroutine's stack starts in the smallest class and is copied
 * into a larger one when it runs out (stack/grow.c). */
#ifndef GOC_STACK_H
#define GOC_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

/* Saved machine context: the callee-saved registers live on the stack below
 * sp (see switch_*.S), so sp alone identifies a suspended context. */
typedef struct goc_ctx {
    void *sp;
    void *fiber;   /* sanitizer fiber handle (TSan), NULL otherwise */
} goc_ctx;

typedef struct goc_stack {
    uintptr_t lo;      /* lowest usable address (just above the guard) */
    uintptr_t hi;      /* one past the highest address */
    uintptr_t guard_lo;/* start of the guard region below lo; == lo: unguarded */
    size_t    slot;    /* bytes reserved for the slot, guard included */
    unsigned  vg_id;   /* Valgrind's stack id, 0 when not registered */
    bool      own_mapping;   /* a congruent slot, unmapped when freed */
} goc_stack;

/* Usable bytes of the smallest class, where goroutines start until a
 * collection adapts the start (stack_start_size).  8 KiB
 * passes the suite in plain builds, but under ASan (frames with redzones)
 * fault-driven growth from 8 KiB crashes; 32 KiB until that is understood. */
#define STACK_INITIAL_SHIFT 15
#define STACK_INITIAL_SIZE ((size_t)1 << STACK_INITIAL_SHIFT)
/* Free stack a goroutine must have when it enters the runtime: below it,
 * the safe point grows the stack first (sched_safepoint). */
#define STACK_SAFEPOINT_ROOM ((uintptr_t)4 << 10)

/* Allocate a guarded stack of at least size usable bytes; 0: the fixed
 * default (stack_default_size), for stacks that never grow (scheduler
 * stacks, GOC_STACK_FIXED goroutines). */
int  stack_alloc(size_t size, goc_stack *out);
void stack_free(goc_stack *s);
/* Allocate a stack of at least size usable bytes whose end is like_hi plus
 * a multiple of 4 GiB, in a mapping of its own: a stack moved there from
 * like_hi's changes only the upper halves of the words it relocates (see
 * stack/move.h).  -1 when no such place is free or the mappings' budget
 * (a quarter of vm.max_map_count) is spent; the caller then takes an
 * ordinary slot. */
int  stack_alloc_congruent(size_t size, uintptr_t like_hi, goc_stack *out);
/* Free n stacks whose contents nobody needs, at the cost of one madvise per
 * run of adjacent slots (guard regions survive MADV_DONTNEED) rather than
 * one per stack.  Sorts s. */
void stack_free_many(goc_stack *s, size_t n);
size_t stack_default_size(void);
/* Back [lo, hi) of a stack with memory now, in one system call, rather
 * than by a fault per page.  Async-signal-safe. */
void stack_populate(uintptr_t lo, uintptr_t hi);
/* Bytes in use (memstats stack_inuse / stack_sys). */
void stack_stats(uint64_t *inuse, uint64_t *sys);
/* The size new goroutines start with: the smallest class at first, then,
 * as in Go 1.19, the average stack in use at the last collection (so that
 * goroutines which all need more do not each grow by copying). */
size_t stack_start_size(void);
/* A collection scanned n stacks using used bytes in all (stack/start.c). */
void stack_adapt_start_size(uint64_t used, uint64_t n);
/* True for a stack of the size new goroutines start with (cacheable per P). */
static inline bool stack_is_start_size(const goc_stack *s) {
    return s->hi - s->lo == stack_start_size();
}

/* A stack that was moved away from: its range stays guarded for a while,
 * so a stale pointer into it faults instead of reaching whatever reuses it.
 * goid names the goroutine in the fault message. */
void stack_quarantine(goc_stack *old, int64_t goid);
/* The collector proves ranges unreferenced: it visits the quarantined
 * ranges (world stopped) and releases those no scanned word points into,
 * before the FIFO bounds (count, bytes) would. */
void stack_quarantine_for_each(void (*fn)(uintptr_t lo, uintptr_t hi, void *arg), void *arg);
void stack_quarantine_release_range(uintptr_t lo);
/* If addr lies in a quarantined range, the id of the goroutine that left
 * it (async-signal-safe; false when unsure). */
bool stack_quarantined(uintptr_t addr, int64_t *goid);

/* ---- moving a goroutine's stack -----------------------------------------------
 * What stack/ needs of the goroutine whose stack it moves.  The scheduler
 * fills it in (sched/gstack.c), so stack/ knows nothing of goroutines. */
struct stack_move;
typedef struct stack_user {
    goc_stack *stack;   /* its bounds: a move installs the new ones */
    goc_ctx   *ctx;     /* its saved context (a suspended goroutine) */
    bool       fixed;   /* GOC_STACK_FIXED: never moves */
    int64_t    id;      /* names it when a stale pointer faults in a range it left */
    /* Relocates the runtime's records outside the stack that may hold an
     * address inside it (stack_move_relocated, stack/move.h). */
    void     (*relocate)(const struct stack_move *mv, void *arg);
    void      *arg;
} stack_user;

/* Growth (stack/grow.c).  On a fault at addr in u's guard, with the
 * interrupted context in ucontext (a ucontext_t): move u's stack into a
 * larger slot, relocating the context; false when it may not grow (past the
 * limit, fixed, no memory): a stack overflow. */
bool stack_grow_fault(const stack_user *u, uintptr_t addr, void *ucontext);
/* Called from sched_safepoint when free stack is under STACK_SAFEPOINT_ROOM. */
void stack_grow_at_safepoint(const goc_stack *s, bool fixed);
/* The size past which a stack that may grow overflows (goc_set_max_stack). */
size_t stack_max_size(void);
/* Shrinking (stack/shrink.c), with the world stopped, of a suspended
 * stack.  The size it should shrink to, 0 for none: halved while it uses
 * less than a quarter of it, as Go does. */
size_t stack_shrink_size(const stack_user *u);
/* Move u's stack into a slot of size usable bytes; false when no memory.
 * The caller has made sure nothing outside the stack points into it. */
bool stack_shrink_to(const stack_user *u, size_t size);
/* Parked compaction (stack/pack.c), with the world stopped: whether a
 * suspended stack uses little enough to pack, and packing it (false when
 * out of memory); the caller has made sure nothing outside the stack points
 * into it, and frees the slot left behind (*old).  stack_unpack_into moves
 * packed frames into slot before they run. */
bool stack_fits_pack(const goc_stack *s, const goc_ctx *ctx);
bool stack_pack_user(const stack_user *u, goc_stack *old);
void stack_unpack_into(const stack_user *u, goc_stack *slot);
void stack_packed_stats(uint64_t *inuse, uint64_t *reserved);

/* True while this thread is inside the arena's lock: a fault handler must
 * not allocate then. */
bool stack_arena_busy_here(void);

/* Current stack pointer, for the safe point's free-space check. */
static inline uintptr_t stack_sp(void) {
    uintptr_t sp;
#if defined(__x86_64__)
    __asm__("movq %%rsp, %0" : "=r"(sp));
#elif defined(__aarch64__)
    __asm__("mov %0, sp" : "=r"(sp));
#else
    sp = (uintptr_t)__builtin_frame_address(0);
#endif
    return sp;
}

/* Prepare ctx so that switching to it calls entry(arg) on stack s.
 * entry must never return. */
void ctx_make(goc_ctx *ctx, goc_stack *s, void (*entry)(void *), void *arg);
/* Save the current context into from, resume to.  Returns when something
 * switches back to from. */
void ctx_switch(goc_ctx *from, goc_ctx *to, const goc_stack *to_stack);
/* Leave a context for good (a goroutine that finished): like ctx_switch,
 * but the current context is never resumed. */
void ctx_exit_to(goc_ctx *to, const goc_stack *to_stack) __attribute__((noreturn));
/* Release sanitizer state of a context that will never run again. */
void ctx_destroy(goc_ctx *ctx);
/* A context's stack moved from old to new (growth: the running one;
 * shrinking: a parked one): sanitizers and Valgrind learn the new bounds.
 * Async-signal-safe. */
void ctx_stack_moved(goc_stack *old, const goc_stack *new, bool running);
/* True when running under Valgrind (built with valgrind.h). */
bool ctx_on_valgrind(void);
/* Tell Valgrind about a stack (no-op unless built with valgrind.h). */
void ctx_stack_register(goc_stack *s);
void ctx_stack_deregister(goc_stack *s);

/* Run fn(arg) with unwind info that makes the frames of the suspended
 * context visible to _Unwind_Backtrace behind fn's caller (tracebacks of
 * parked goroutines).  fn runs on the caller's stack: the suspended one may
 * have too little free space. */
void ctx_run_on_suspended(const goc_ctx *ctx, void (*fn)(void *), void *arg);

/* The stack pointer a signal interrupted. */
static inline uintptr_t ucontext_sp(const ucontext_t *uc) {
#if defined(__x86_64__)
    return (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#else
    return (uintptr_t)uc->uc_mcontext.sp;
#endif
}

#endif
