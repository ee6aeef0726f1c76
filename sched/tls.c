/* The current M.  Kept behind a call the compiler cannot see through: a
 * goroutine may resume on another thread after any switch, so the thread
 * pointer must be read afresh every time (compilers otherwise cache the TLS
 * base across calls). */
#include "sched/internal.h"

static __thread goc_m *current_m;

__attribute__((noinline)) goc_m *sched_m(void) {
    goc_m *m = current_m;
    __asm__ volatile("" ::: "memory");
    return m;
}

__attribute__((noinline)) void sched_set_m(goc_m *m) {
    current_m = m;
    __asm__ volatile("" ::: "memory");
}
