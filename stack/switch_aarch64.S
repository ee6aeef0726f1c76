/* SPDX-License-Identifier: MIT */
/* Context switch for aarch64 (AAPCS64).  Saves d8-d15, x19-x28, fp, lr.
 * Saved frame at the stored sp (lowest address first):
 *   +0 d8..d15 (64 bytes)  +64 x19..x28 (80 bytes)  +144 x29  +152 x30
 * frame size 160.  stack/unwind_*.S, ctx_make and tools/goc-gdb.py depend
 * on this layout. */

    .text
    .globl  goc_ctx_swap
    .hidden  goc_ctx_swap
    .hidden goc_ctx_swap
    .type   goc_ctx_swap, %function
/* void goc_ctx_swap(void **save_sp, void *load_sp) */
goc_ctx_swap:
    .cfi_startproc
    sub     sp, sp, #160
    stp     d8,  d9,  [sp, #0]
    stp     d10, d11, [sp, #16]
    stp     d12, d13, [sp, #32]
    stp     d14, d15, [sp, #48]
    stp     x19, x20, [sp, #64]
    stp     x21, x22, [sp, #80]
    stp     x23, x24, [sp, #96]
    stp     x25, x26, [sp, #112]
    stp     x27, x28, [sp, #128]
    stp     x29, x30, [sp, #144]
    mov     x9, sp
    str     x9, [x0]
    mov     sp, x1
    ldp     d8,  d9,  [sp, #0]
    ldp     d10, d11, [sp, #16]
    ldp     d12, d13, [sp, #32]
    ldp     d14, d15, [sp, #48]
    ldp     x19, x20, [sp, #64]
    ldp     x21, x22, [sp, #80]
    ldp     x23, x24, [sp, #96]
    ldp     x25, x26, [sp, #112]
    ldp     x27, x28, [sp, #128]
    ldp     x29, x30, [sp, #144]
    add     sp, sp, #160
    ret
    .cfi_endproc
    .size   goc_ctx_swap, .-goc_ctx_swap

    .globl  goc_ctx_trampoline
    .hidden  goc_ctx_trampoline
    .hidden goc_ctx_trampoline
    .type   goc_ctx_trampoline, %function
/* ctx_make put the entry function in x19 and its argument in x20. */
goc_ctx_trampoline:
    .cfi_startproc
    .cfi_undefined x30
    mov     x0, x19
    mov     x1, x20
    bl      goc_ctx_start
    brk     #0
    .cfi_endproc
    .size   goc_ctx_trampoline, .-goc_ctx_trampoline

    .section .note.GNU-stack,"",%progbits
