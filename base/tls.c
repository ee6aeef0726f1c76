/* SPDX-License-Identifier: MIT */
#include "base/tls.h"

__thread void *goc_thread_slot __attribute__((tls_model("initial-exec")));

#if !defined(__x86_64__)
/* Kept behind a call the compiler cannot see through; see thread_slot(). */
__attribute__((noinline)) void *thread_slot_slow(void) {
    void *v = goc_thread_slot;
    __asm__ volatile("" ::: "memory");
    return v;
}
#endif

__attribute__((noinline)) void thread_slot_set(void *v) {
    goc_thread_slot = v;
    __asm__ volatile("" ::: "memory");
}
