/* SPDX-License-Identifier: MIT */
/* Growing a goroutine's stack by copying it into a larger slot (the copy
 * itself: stack/move.c).
 *
 * The move happens in the SIGSEGV handler (sched/signals.c), on the M's
 * alternate signal stack, when the goroutine touches its guard region: the
 * kernel resumes the faulting instruction with the relocated registers, on
 * the new stack.  A safe point with little free stack left touches the
 * guard on purpose, so both triggers share one path. */
#include <signal.h>
#include <ucontext.h>
#if defined(__aarch64__)
#include <asm/sigcontext.h>
#endif

#include "base/atomics.h"
#include "goc.h"
#include "stack/move.h"

#define DEFAULT_MAX_STACK ((size_t)1 << 30)
/* Bytes below the stack pointer a leaf function may use without moving it
 * (x86_64 red zone), copied along with the frames. */
#define RED_ZONE 128

static _Atomic size_t max_stack = DEFAULT_MAX_STACK;

size_t goc_set_max_stack(size_t bytes) {
    return axchg(&max_stack, bytes, memory_order_relaxed);
}

size_t stack_max_size(void) { return aload(&max_stack, memory_order_relaxed); }

#if defined(__x86_64__)
/* Layout of the FXSAVE/XSAVE image the kernel puts in a signal frame. */
enum {
    FX_XMM_OFFSET = 160, FX_XMM_BYTES = 256,   /* XMM0-15 */
    FX_SW_OFFSET = 464,                        /* struct _fpx_sw_bytes */
    XSAVE_EXT_OFFSET = 576,                    /* after the legacy area and header */
    FP_XSTATE_MAGIC = 0x46505853,
};

/* Whether the instruction at ip pushes onto the stack (push, call). */
static bool pushes(const uint8_t *ip) {
    if ((ip[0] & 0xF0) == 0x40)   /* REX prefix */
        ip++;
    if (ip[0] == 0xE8 || (ip[0] >= 0x50 && ip[0] <= 0x57) || ip[0] == 0x6A || ip[0] == 0x68)
        return true;
    unsigned modrm_reg = (ip[1] >> 3) & 7;
    return ip[0] == 0xFF && (modrm_reg == 2 || modrm_reg == 6);
}

/* A push or call that faults leaves the CPU's stack pointer as it was, and
 * runs again on resume.  Valgrind has lowered it already: undo that, or
 * the repeated instruction would lower it twice. */
static void undo_valgrind_push(ucontext_t *uc, uintptr_t addr) {
    greg_t *gregs = uc->uc_mcontext.gregs;
    if ((uintptr_t)gregs[REG_RSP] == addr && ctx_on_valgrind() &&
        pushes((const uint8_t *)gregs[REG_RIP]))
        gregs[REG_RSP] += 8;
}

static void relocate_context(const stack_move *mv, ucontext_t *uc) {
    /* REG_R8 .. REG_RSP: every general-purpose register. */
    for (int r = REG_R8; r <= REG_RSP; r++)
        uc->uc_mcontext.gregs[r] = (greg_t)stack_move_relocated(mv, (uintptr_t)uc->uc_mcontext.gregs[r]);
    uint8_t *fp = (uint8_t *)uc->uc_mcontext.fpregs;
    if (!fp)
        return;
    stack_move_words(mv, fp + FX_XMM_OFFSET, FX_XMM_BYTES);
    uint32_t magic, xstate_size;
    __builtin_memcpy(&magic, fp + FX_SW_OFFSET, 4);
    __builtin_memcpy(&xstate_size, fp + FX_SW_OFFSET + 16, 4);
    /* The upper lanes of YMM/ZMM registers, AVX-512's extra registers: any
     * lane may hold a vectorized copy of a stack address. */
    if (magic == FP_XSTATE_MAGIC && xstate_size > XSAVE_EXT_OFFSET)
        stack_move_words(mv, fp + XSAVE_EXT_OFFSET, xstate_size - XSAVE_EXT_OFFSET);
}
#elif defined(__aarch64__)
/* A faulting stp with writeback under Valgrind may need what the x86_64
 * version does; not handled (untried). */
static void undo_valgrind_push(ucontext_t *uc, uintptr_t addr) {
    (void)uc, (void)addr;
}

static void relocate_context(const stack_move *mv, ucontext_t *uc) {
    for (int r = 0; r < 31; r++)
        uc->uc_mcontext.regs[r] = stack_move_relocated(mv, uc->uc_mcontext.regs[r]);
    uc->uc_mcontext.sp = stack_move_relocated(mv, uc->uc_mcontext.sp);
    /* The FP/SIMD record is the first in __reserved. */
    struct fpsimd_context *fpsimd = (struct fpsimd_context *)uc->uc_mcontext.__reserved;
    if (fpsimd->head.magic == FPSIMD_MAGIC)
        stack_move_words(mv, fpsimd->vregs, sizeof fpsimd->vregs);
}
#else
#error "unsupported architecture"
#endif

/* Smallest power-of-two usable size for a stack that must hold need bytes,
 * at least twice the old one; 0 when that passes the limit. */
static size_t grown_size(size_t old, size_t need, size_t limit) {
    size_t size = 2 * old;
    while (size < need && size <= limit)
        size *= 2;
    return size > limit ? 0 : size;
}

bool stack_grow_fault(const stack_user *u, uintptr_t addr, void *ucontext) {
    ucontext_t *uc = ucontext;
    goc_stack old = *u->stack;
    undo_valgrind_push(uc, addr);
    uintptr_t sp = ucontext_sp(uc);
    /* Not running on its own stack (or interrupted inside the arena): no
     * move can be made that the goroutine would resume correctly from. */
    if (u->fixed || sp >= old.hi || stack_arena_busy_here())
        return false;
    uintptr_t deepest = (sp < addr ? sp : addr) - RED_ZONE;
    size_t size = grown_size(old.hi - old.lo, old.hi - deepest, stack_max_size());
    goc_stack new;
    if (!size || (stack_alloc_congruent(size, old.hi, &new) != 0 && stack_alloc(size, &new) != 0))
        return false;
    stack_move mv = stack_move_plan(deepest < old.guard_lo ? deepest : old.guard_lo, &old, &new);
    uintptr_t copy_lo = sp - RED_ZONE > old.lo && sp - RED_ZONE < old.hi ? sp - RED_ZONE : old.lo;
    copy_lo &= ~(uintptr_t)(sizeof(uintptr_t) - 1);
    ctx_stack_moved(&old, &new, true);
    stack_populate(copy_lo + (uintptr_t)mv.delta, new.hi);
    stack_move_copy(&mv, copy_lo, old.hi);
    relocate_context(&mv, uc);
    u->relocate(&mv, u->arg);
    stack_move_install(u->stack, &new);
    stack_quarantine(&old, u->id);
    return true;
}

__attribute__((noinline, no_sanitize_address, no_sanitize_thread))
void stack_grow_at_safepoint(const goc_stack *s, bool fixed) {
    if (fixed || s->guard_lo == s->lo || 2 * (s->hi - s->lo) > stack_max_size())
        return;
    /* The fault handler sees a touch just below the usable range and grows
     * the stack; this load then completes on the new stack's copy of that
     * address, well inside it. */
    (void)*(volatile const char *)(s->lo - 1);
}
