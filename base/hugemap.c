/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <sys/mman.h>

#include "base/hugemap.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23   /* Linux 5.14; older kernels refuse it, harmlessly */
#endif

void *huge_map(size_t len) {
    /* Over-allocated by one huge page for the alignment, trimmed after. */
    char *raw = mmap(NULL, len + HUGE_PAGE_BYTES, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    char *p = (char *)(((uintptr_t)raw + HUGE_PAGE_BYTES - 1) & ~(HUGE_PAGE_BYTES - 1));
    if (p > raw)
        munmap(raw, (size_t)(p - raw));
    munmap(p + len, (size_t)(raw + HUGE_PAGE_BYTES - p));
    madvise(p, len, MADV_HUGEPAGE);   /* best effort */
    madvise(p, len, MADV_POPULATE_WRITE);
    return p;
}
