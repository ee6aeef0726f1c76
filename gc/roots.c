/* SPDX-License-Identifier: MIT */
/* Memory the collector must scan besides stacks, globals and the heap:
 * ranges the program registers with goc_add_roots (e.g. malloc'd tables
 * holding heap pointers).  Kept sorted by start address. */
#include <string.h>

#include "gc/gc.h"
#include "mem/mem.h"
#include "sched/sched.h"

typedef struct root_range {
    void  *start;
    size_t len;
} root_range;

static goc_lock roots_lock = GOC_LOCK_INIT;
static root_range *roots;
static size_t nroots, roots_cap;

/* Index of the first range whose start is >= start. */
static size_t roots_search(void *start) {
    size_t lo = 0, hi = nroots;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if ((uintptr_t)roots[mid].start < (uintptr_t)start)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void goc_add_roots(void *start, size_t len) {
    if (!start || len == 0)
        return;
    if ((uintptr_t)start + len < (uintptr_t)start)
        throw_panic("goc_add_roots: range [%p, +%zu) wraps around the address space", start, len);
    lock_acquire(&roots_lock);
    size_t i = roots_search(start);
    if (i < nroots && roots[i].start == start) {
        roots[i].len = len;   /* re-registering a range updates its length */
        lock_release(&roots_lock);
        return;
    }
    if (nroots == roots_cap)
        roots = mem_meta_grow(roots, &roots_cap, nroots, sizeof *roots, 16);
    memmove(&roots[i + 1], &roots[i], (nroots - i) * sizeof *roots);
    roots[i] = (root_range){start, len};
    nroots++;
    lock_release(&roots_lock);
}

void goc_remove_roots(void *start) {
    lock_acquire(&roots_lock);
    size_t i = roots_search(start);
    if (i < nroots && roots[i].start == start) {
        memmove(&roots[i], &roots[i + 1], (nroots - i - 1) * sizeof *roots);
        nroots--;
    }
    lock_release(&roots_lock);
}

void gc_for_each_root(void (*fn)(void *start, size_t len, void *arg), void *arg) {
    lock_acquire(&roots_lock);
    for (size_t i = 0; i < nroots; i++)
        fn(roots[i].start, roots[i].len, arg);
    lock_release(&roots_lock);
}
