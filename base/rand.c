/* SPDX-License-Identifier: MIT */
/* Per-thread xorshift random numbers.  The state is the thread's, not the
 * goroutine's: a goroutine that moves to another thread simply continues
 * another sequence. */
#include <stdint.h>

#include "base/atomics.h"
#include "base/clock.h"
#include "base/rand.h"

static __thread uint32_t seed[2];

uint32_t fastrand(void) {
    uint32_t *s = seed;
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

/* Multiply-shift (Lemire), no division. */
uint32_t fastrandn(uint32_t n) {
    return (uint32_t)(((uint64_t)fastrand() * n) >> 32);
}
