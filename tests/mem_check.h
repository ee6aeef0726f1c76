/* SPDX-License-Identifier: MIT */
/* Shared helpers for the mem_* tests: a failing CHECK prints where and exits
 * 1; check_memstats verifies the statistics' invariants (run after every
 * sub-test). */
#ifndef GOC_TESTS_MEM_CHECK_H
#define GOC_TESTS_MEM_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "goc.h"
#include "mem/mem.h"

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);  \
            exit(1);                                                                  \
        }                                                                             \
    } while (0)

/* Resident bytes of this process. */
static inline size_t rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    CHECK(f);
    size_t size, resident;
    CHECK(fscanf(f, "%zu %zu", &size, &resident) == 2);
    fclose(f);
    return resident * (size_t)sysconf(_SC_PAGESIZE);
}

static inline goc_memstats check_memstats(void) {
    goc_memstats m;
    goc_read_memstats(&m);
    CHECK(m.heap_inuse + m.heap_idle == m.heap_sys);
    CHECK(m.heap_released <= m.heap_idle);
    CHECK(m.heap_sys % MEM_PAGE_SIZE == 0 && m.heap_inuse % MEM_PAGE_SIZE == 0);
    CHECK(m.heap_released % MEM_PAGE_SIZE == 0);
    CHECK(m.heap_alloc <= m.heap_inuse);
    CHECK(m.alloc == m.heap_alloc);
    CHECK(m.frees <= m.mallocs);
    CHECK(m.heap_objects == m.mallocs - m.frees);
    CHECK(m.heap_alloc <= m.total_alloc);
    CHECK(m.sys >= m.heap_sys + m.stack_sys);
    CHECK(m.stack_inuse <= m.stack_sys);
    return m;
}

static inline int is_zero(const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

#endif
