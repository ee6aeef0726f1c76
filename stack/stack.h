/* Goroutine stacks and the context switch.
 * The stack issue replaces the allocation policy (copyable, growable stacks);
 * callers only see this interface. */
#ifndef GOC_STACK_H
#define GOC_STACK_H

#include <stddef.h>
#include <stdint.h>

/* Saved machine context: the callee-saved registers live on the stack below
 * sp (see switch_*.S), so sp alone identifies a suspended context. */
typedef struct goc_ctx {
    void *sp;
    void *fiber;   /* sanitizer fiber handle (TSan), NULL otherwise */
} goc_ctx;

typedef struct goc_stack {
    uintptr_t lo;      /* lowest usable address (just above the guard) */
    uintptr_t hi;      /* one past the highest address */
    uintptr_t guard_lo;/* start of the guard region below lo */
    size_t    slot;    /* bytes reserved for the slot, guard included */
} goc_stack;

/* Allocate a guarded stack of at least size bytes (0: default). */
int  stack_alloc(size_t size, goc_stack *out);
void stack_free(goc_stack *s);
size_t stack_default_size(void);
/* Bytes in use (memstats stack_inuse / stack_sys). */
void stack_stats(uint64_t *inuse, uint64_t *sys);

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

/* Run fn(arg) on the stack of a suspended context, just below its saved sp,
 * with unwind info that makes the frames of the suspended context visible to
 * _Unwind_Backtrace (tracebacks of parked goroutines). */
void ctx_run_on_suspended(const goc_ctx *ctx, void (*fn)(void *), void *arg);

#endif
