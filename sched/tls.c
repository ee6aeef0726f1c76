/* SPDX-License-Identifier: MIT */
/* The current M, one per thread. */
#include "sched/internal.h"

__thread goc_m *goc_current_m __attribute__((tls_model("initial-exec")));

#if !defined(__x86_64__)
/* Kept behind a call the compiler cannot see through; see sched_m(). */
__attribute__((noinline)) goc_m *sched_m_slow(void) {
    goc_m *m = goc_current_m;
    __asm__ volatile("" ::: "memory");
    return m;
}
#endif

__attribute__((noinline)) void sched_set_m(goc_m *m) {
    goc_current_m = m;
    __asm__ volatile("" ::: "memory");
}
