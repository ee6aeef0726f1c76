/* SPDX-License-Identifier: MIT */
/* Tracebacks of parked goroutines on x86_64.
 *
 * void ctx_run_on_suspended(const goc_ctx *ctx, void (*fn)(void *), void *arg)
 *
 * Calls fn(arg) on the caller's stack and describes the suspended context's
 * switch frame in the call site's CFI: to an
 * unwinder started inside fn, the caller of fn looks like the goroutine
 * returning from goc_ctx_swap.  So _Unwind_Backtrace continues into the
 * parked goroutine's frames, with its saved callee-saved registers, and
 * stops where every goroutine stack ends, at goc_ctx_trampoline.
 *
 * The switch frame at S = ctx->sp (switch_x86_64.S):
 *   S+0 MXCSR/x87 CW, S+8 r15, S+16 r14, S+24 r13, S+32 r12, S+40 rbx,
 *   S+48 rbp, S+56 return address; the goroutine's rsp after return is S+64.
 * Hence CFA = S+64 and every register is saved at a fixed CFA offset; only S
 * itself is unknown when assembling, so it is kept at 0(%rsp) at the call and
 * the CFA is the expression *(rsp + 0) + 64.  Nothing is written to the
 * suspended stack, whose free space may be a few hundred bytes (stacks grow
 * on demand, stack/grow.c).
 *
 * The caller's own state comes back by ordinary means: rbp is callee-saved,
 * so fn preserves it, and it holds the caller's stack pointer.
 * The goroutine must stay parked during the call (the world is stopped or
 * the goroutine cannot be woken). */

    .text
    .globl  ctx_run_on_suspended
    .hidden  ctx_run_on_suspended
    .hidden ctx_run_on_suspended
    .type   ctx_run_on_suspended, @function
ctx_run_on_suspended:
    .cfi_startproc
    pushq   %rbp
    .cfi_def_cfa_offset 16
    .cfi_offset %rbp, -16
    movq    %rsp, %rbp
    .cfi_def_cfa_register %rbp
    movq    (%rdi), %rax            /* S */
    subq    $16, %rsp               /* still 16-byte aligned at the call */
    movq    %rax, 0(%rsp)
    .cfi_remember_state
    /* DW_CFA_def_cfa_expression, 5 bytes: DW_OP_breg7 (rsp) 0, DW_OP_deref,
     * DW_OP_plus_uconst 64. */
    .cfi_escape 0x0f, 0x05, 0x77, 0x00, 0x06, 0x23, 0x40
    .cfi_offset 16, -8              /* return address (rip) at S+56 */
    .cfi_offset %rbp, -16
    .cfi_offset %rbx, -24
    .cfi_offset %r12, -32
    .cfi_offset %r13, -40
    .cfi_offset %r14, -48
    .cfi_offset %r15, -56
    movq    %rdx, %rdi
    callq   *%rsi
    .globl  ctx_suspended_call_ret
    .hidden  ctx_suspended_call_ret
    .hidden ctx_suspended_call_ret
ctx_suspended_call_ret:
    .cfi_restore_state
    movq    %rbp, %rsp
    popq    %rbp
    .cfi_def_cfa %rsp, 8
    ret
    .cfi_endproc
    .size   ctx_run_on_suspended, .-ctx_run_on_suspended

    .section .note.GNU-stack,"",@progbits
