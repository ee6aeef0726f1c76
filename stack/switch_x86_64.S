/* SPDX-License-Identifier: MIT */
/* Context switch for x86_64 (System V).  Only callee-saved state is saved:
 * rbp rbx r12-r15, MXCSR and the x87 control word.  No system call: the
 * signal mask is per thread and not part of a goroutine's state.
 *
 * Saved frame at the stored sp (lowest address first):
 *   +0  MXCSR (4 bytes), x87 control word (2 bytes), zero padding
 *   +8  r15   +16 r14   +24 r13   +32 r12   +40 rbx   +48 rbp
 *   +56 return address
 * stack/unwind_*.S, ctx_make and tools/goc-gdb.py depend on this layout. */

    .text
    .globl  goc_ctx_swap
    .hidden  goc_ctx_swap
    .hidden goc_ctx_swap
    .type   goc_ctx_swap, @function
/* void goc_ctx_swap(void **save_sp, void *load_sp) */
goc_ctx_swap:
    .cfi_startproc
    pushq   %rbp
    pushq   %rbx
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    /* Zeroed first: a word with undefined padding comes out of a stack
     * move's relocation wholly undefined, and memcheck would flag its
     * ldmxcsr. */
    pushq   $0
    stmxcsr (%rsp)
    fnstcw  4(%rsp)
    movq    %rsp, (%rdi)
    movq    %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw   4(%rsp)
    addq    $8, %rsp
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbx
    popq    %rbp
    ret
    .cfi_endproc
    .size   goc_ctx_swap, .-goc_ctx_swap

    .globl  goc_ctx_trampoline
    .hidden  goc_ctx_trampoline
    .hidden goc_ctx_trampoline
    .type   goc_ctx_trampoline, @function
/* First code of a new context: ctx_make put the entry function in r12 and
 * its argument in r13.  Undefined return address ends every unwind here. */
goc_ctx_trampoline:
    .cfi_startproc
    .cfi_undefined rip
    movq    %r12, %rdi
    movq    %r13, %rsi
    call    goc_ctx_start
    ud2
    .cfi_endproc
    .size   goc_ctx_trampoline, .-goc_ctx_trampoline

    .section .note.GNU-stack,"",@progbits
