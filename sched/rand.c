/* SPDX-License-Identifier: MIT */
/* Per-M xorshift random numbers (select order, steal order). */
#include "sched/internal.h"

static __thread uint32_t thread_seed[2];

uint32_t fastrand(void) {
    goc_m *m = sched_m();
    uint32_t *s = m ? m->fastrand : thread_seed;
    if (unlikely(s[0] == 0 && s[1] == 0)) {
        uint64_t t = (uint64_t)nanotime() ^ (uintptr_t)s;
        s[0] = (uint32_t)t | 1;
        s[1] = (uint32_t)(t >> 32) | 2;
    }
    uint32_t s1 = s[0], s0 = s[1];
    s1 ^= s1 << 17;
    s1 = s1 ^ s0 ^ s1 >> 7 ^ s0 >> 16;
    s[0] = s0;
    s[1] = s1;
    return s0 + s1;
}

/* Uniform in [0, n) by multiply-shift (Lemire), no division. */
uint32_t fastrandn(uint32_t n) {
    return (uint32_t)(((uint64_t)fastrand() * n) >> 32);
}
