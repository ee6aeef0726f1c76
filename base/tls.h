/* SPDX-License-Identifier: MIT */
/* One pointer per thread for the layer above (the scheduler keeps its M
 * there; sched_m() gives it its type).
 *
 * Never cache it across a call that may switch goroutines: the goroutine
 * may resume on another thread.  Compilers treat the thread pointer as
 * constant within a function and would happily reuse a TLS address computed
 * before a switch, so the read is a volatile asm (x86_64: one load through
 * %fs, never merged or hoisted) or an opaque call elsewhere. */
#ifndef GOC_BASE_TLS_H
#define GOC_BASE_TLS_H

extern __thread void *goc_thread_slot __attribute__((tls_model("initial-exec")));
#if defined(__x86_64__)
static inline void *thread_slot(void) {
    void *v;
    __asm__ volatile("movq goc_thread_slot@gottpoff(%%rip), %0\n\t"
                     "movq %%fs:(%0), %0"
                     : "=r"(v) : : "memory");
    return v;
}
#else
void *thread_slot_slow(void);
static inline void *thread_slot(void) { return thread_slot_slow(); }
#endif
void thread_slot_set(void *v);

#endif
