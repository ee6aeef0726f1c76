/* SPDX-License-Identifier: MIT */
/* The adaptive starting size of goroutine stacks (Go 1.19's
 * adaptivestackstart): the average stack in use at the last collection,
 * plus the room a safe point wants, rounded up to a size class. */
#include "base/atomics.h"
#include "stack/stack.h"

/* Above this, an average says more about a few deep goroutines than about
 * what a new one will need: it grows there instead. */
#define START_SIZE_MAX ((size_t)1 << 20)

static _Atomic size_t start_size = STACK_INITIAL_SIZE;

size_t stack_start_size(void) {
    return aload(&start_size, memory_order_relaxed);
}

void stack_adapt_start_size(uint64_t used, uint64_t n) {
    size_t want = n ? (size_t)(used / n) + STACK_SAFEPOINT_ROOM : 0;
    size_t size = STACK_INITIAL_SIZE;
    while (size < want && size < START_SIZE_MAX)
        size *= 2;
    astore(&start_size, size, memory_order_relaxed);
}
