/* SPDX-License-Identifier: MIT */
/* Creating and switching contexts, with the annotations ASan and TSan need
 * to follow a thread that hops between stacks. */
#include <stdint.h>
#include <string.h>

#include "base/sanitizers.h"
#include "stack/stack.h"

#ifdef GOC_ASAN
void __asan_unpoison_memory_region(const volatile void *addr, size_t size);
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old, size_t *size_old);
#endif
#ifdef GOC_VALGRIND   /* configure: --enable-valgrind, or found */
#include <valgrind/memcheck.h>
#endif
#ifdef GOC_TSAN
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void  __tsan_destroy_fiber(void *fiber);
void  __tsan_switch_to_fiber(void *fiber, unsigned flags);
#endif

void goc_ctx_swap(void **save_sp, void *load_sp);
void goc_ctx_trampoline(void);
void goc_ctx_start(void (*entry)(void *), void *arg) __attribute__((noreturn));

void goc_ctx_start(void (*entry)(void *), void *arg) {
#ifdef GOC_ASAN
    __sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
    entry(arg);
    __builtin_trap();
}

void ctx_make(goc_ctx *ctx, goc_stack *s, void (*entry)(void *), void *arg) {
    uintptr_t top = s->hi & ~(uintptr_t)15;
#ifdef GOC_ASAN
    /* A goroutine that ended never unwound its frames: their redzones are
     * still poisoned, and this stack may be one it left behind. */
    __asan_unpoison_memory_region((void *)s->lo, s->hi - s->lo);
#endif
#if defined(__x86_64__)
    uint64_t *frame = (uint64_t *)(top - 64);
    memset(frame, 0, 64);
    frame[0] = 0x1F80 | ((uint64_t)0x037F << 32);   /* default MXCSR, x87 CW */
    frame[3] = (uint64_t)(uintptr_t)arg;             /* r13 */
    frame[4] = (uint64_t)(uintptr_t)entry;           /* r12 */
    frame[7] = (uint64_t)(uintptr_t)goc_ctx_trampoline;
#elif defined(__aarch64__)
    uint64_t *frame = (uint64_t *)(top - 160);
    memset(frame, 0, 160);
    frame[8] = (uint64_t)(uintptr_t)entry;           /* x19 */
    frame[9] = (uint64_t)(uintptr_t)arg;             /* x20 */
    frame[19] = (uint64_t)(uintptr_t)goc_ctx_trampoline; /* x30 */
#else
#error "unsupported architecture"
#endif
    ctx->sp = frame;
#ifdef GOC_TSAN
    if (!ctx->fiber)
        ctx->fiber = __tsan_create_fiber(0);
#endif
}

void ctx_switch(goc_ctx *from, goc_ctx *to, const goc_stack *to_stack) {
#ifdef GOC_ASAN
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, (const void *)to_stack->lo, to_stack->hi - to_stack->lo);
#else
    (void)to_stack;
#endif
#ifdef GOC_TSAN
    if (!from->fiber)
        from->fiber = __tsan_get_current_fiber();
    __tsan_switch_to_fiber(to->fiber, 0);
#endif
    goc_ctx_swap(&from->sp, to->sp);
#ifdef GOC_ASAN
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
}

void ctx_exit_to(goc_ctx *to, const goc_stack *to_stack) {
    goc_ctx dead = {0};
#ifdef GOC_ASAN
    /* NULL save slot: the dying context's fake stack is released. */
    __sanitizer_start_switch_fiber(NULL, (const void *)to_stack->lo, to_stack->hi - to_stack->lo);
#else
    (void)to_stack;
#endif
#ifdef GOC_TSAN
    __tsan_switch_to_fiber(to->fiber, 0);
#endif
    goc_ctx_swap(&dead.sp, to->sp);
    __builtin_trap();
}

void ctx_destroy(goc_ctx *ctx) {
#ifdef GOC_TSAN
    if (ctx->fiber)
        __tsan_destroy_fiber(ctx->fiber);
#endif
    ctx->fiber = NULL;
    ctx->sp = NULL;
}

bool ctx_on_valgrind(void) {
#ifdef GOC_VALGRIND
    return RUNNING_ON_VALGRIND;
#else
    return false;
#endif
}

void ctx_stack_register(goc_stack *s) {
#ifdef GOC_VALGRIND
    s->vg_id = VALGRIND_STACK_REGISTER(s->lo, s->hi);
#else
    (void)s;
#endif
}

void ctx_stack_deregister(goc_stack *s) {
#ifdef GOC_VALGRIND
    if (s->vg_id)
        VALGRIND_STACK_DEREGISTER(s->vg_id);
#endif
    s->vg_id = 0;
}

void ctx_stack_moved(goc_stack *old, const goc_stack *new, bool running) {
#ifdef GOC_ASAN
    /* A slot used before may hold the poisoned redzones of frames that
     * never returned. */
    __asan_unpoison_memory_region((void *)new->lo, new->hi - new->lo);
    /* A switch from the running fiber to itself, relocated: ASan's idea of
     * the current stack's bounds follows the move.  The fake stack (if
     * any) stays with the fiber.  A parked context tells ASan its bounds
     * when it is switched to. */
    if (running) {
        void *fake = NULL;
        __sanitizer_start_switch_fiber(&fake, (const void *)new->lo, new->hi - new->lo);
        __sanitizer_finish_switch_fiber(fake, NULL, NULL);
    }
#else
    (void)running;
#endif
#ifdef GOC_VALGRIND
    /* memcheck took the part of a reused slot below its last user's stack
     * pointer for freed stack: the frames copied there are addressable
     * again, and as defined as their originals once copied. */
    VALGRIND_MAKE_MEM_UNDEFINED((void *)new->lo, new->hi - new->lo);
#else
    (void)new;
#endif
    ctx_stack_deregister(old);
}
