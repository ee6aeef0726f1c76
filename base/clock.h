/* SPDX-License-Identifier: MIT */
/* The runtime's clock. */
#ifndef GOC_BASE_CLOCK_H
#define GOC_BASE_CLOCK_H

#include <stdint.h>

/* Nanoseconds on the monotonic clock: timers, deadlines, wait times. */
int64_t nanotime(void);

/* The CPU's constant-rate counter, for stamping trace events (Go's
 * cputicks): a few times cheaper than nanotime, which reads it too and
 * scales.  Its rate is found by pairing readings with nanotime's. */
static inline int64_t cputicks(void) {
#if defined(__x86_64__)
    return (int64_t)__builtin_ia32_rdtsc();
#elif defined(__aarch64__)
    int64_t v;
    __asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v));
    return v;
#else
    return nanotime();
#endif
}

#endif
