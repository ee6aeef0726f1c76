/* SPDX-License-Identifier: MIT */
/* Tracebacks of parked goroutines on aarch64.
 *
 * void ctx_run_on_suspended(const goc_ctx *ctx, void (*fn)(void *), void *arg)
 *
 * Calls fn(arg) on the caller's stack and describes the suspended context's
 * switch frame in the call site's CFI, so that
 * _Unwind_Backtrace started inside fn continues into the parked goroutine's
 * frames (see unwind_x86_64.S for the idea).
 *
 * The switch frame at S = ctx->sp (switch_aarch64.S), 160 bytes:
 *   S+0..63 d8..d15, S+64..143 x19..x28, S+144 x29, S+152 x30 (return
 *   address); the goroutine's sp after return is S+160.
 * Hence CFA = S+160, computed as *(sp + 0) + 160 with S stored at 0(sp). */

    .text
    .globl  ctx_run_on_suspended
    .hidden  ctx_run_on_suspended
    .hidden ctx_run_on_suspended
    .type   ctx_run_on_suspended, %function
    .p2align 2
ctx_run_on_suspended:
    .cfi_startproc
    stp     x29, x30, [sp, #-16]!
    .cfi_def_cfa_offset 16
    .cfi_offset 29, -16
    .cfi_offset 30, -8
    mov     x29, sp
    .cfi_def_cfa_register 29
    ldr     x9, [x0]                /* S */
    sub     sp, sp, #16
    str     x9, [sp]
    .cfi_remember_state
    /* DW_CFA_def_cfa_expression, 6 bytes: DW_OP_breg31 (sp) 0, DW_OP_deref,
     * DW_OP_plus_uconst 160. */
    .cfi_escape 0x0f, 0x06, 0x8f, 0x00, 0x06, 0x23, 0xa0, 0x01
    .cfi_offset 30, -8              /* x30: return address */
    .cfi_offset 29, -16
    .cfi_offset 19, -96
    .cfi_offset 20, -88
    .cfi_offset 21, -80
    .cfi_offset 22, -72
    .cfi_offset 23, -64
    .cfi_offset 24, -56
    .cfi_offset 25, -48
    .cfi_offset 26, -40
    .cfi_offset 27, -32
    .cfi_offset 28, -24
    .cfi_offset 72, -160            /* d8 (DWARF v8) */
    .cfi_offset 73, -152
    .cfi_offset 74, -144
    .cfi_offset 75, -136
    .cfi_offset 76, -128
    .cfi_offset 77, -120
    .cfi_offset 78, -112
    .cfi_offset 79, -104            /* d15 */
    mov     x0, x2
    blr     x1
    .globl  ctx_suspended_call_ret
    .hidden  ctx_suspended_call_ret
    .hidden ctx_suspended_call_ret
ctx_suspended_call_ret:
    .cfi_restore_state
    mov     sp, x29
    ldp     x29, x30, [sp], #16
    .cfi_def_cfa 31, 0
    .cfi_restore 29
    .cfi_restore 30
    ret
    .cfi_endproc
    .size   ctx_run_on_suspended, .-ctx_run_on_suspended

    .section .note.GNU-stack,"",%progbits
