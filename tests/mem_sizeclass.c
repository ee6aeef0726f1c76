/* SPDX-License-Identifier: MIT */
/* Size classes: every request maps to the smallest class that fits, the
 * waste bound stated in mem/mem.h holds for every size, spans waste at most
 * 1/8 in their tails, and the object-index arithmetic is exact. */
#include <stdint.h>

#include "mem_check.h"

static int run(int argc, char **argv) {
    (void)argc;
    (void)argv;
    size_t prev_size = 0;
    for (size_t n = 1; n <= MEM_MAX_SMALL; n++) {
        void *p = goc_alloc(n);
        size_t got = goc_alloc_size(p);
        size_t bound = n / 8 > 16 ? n / 8 : 16;
        CHECK(got >= n);
        CHECK(got < n + bound);
        CHECK(got >= prev_size);
        CHECK((uintptr_t)p % 16 == 0);
        CHECK(got == mem_classes[mem_size_to_class(n)].size);
        /* No smaller class would have fit. */
        uint32_t cls = mem_size_to_class(n);
        CHECK(cls == 1 || mem_classes[cls - 1].size < n);
        CHECK(is_zero(p, got));
        prev_size = got;
        mem_free(p);
    }
    CHECK(goc_alloc_size(goc_alloc(0)) == 16);
    check_memstats();

    for (uint32_t c = 1; c < MEM_NUM_CLASSES; c++) {
        const mem_class_info *ci = &mem_classes[c];
        size_t span_bytes = (size_t)ci->npages * MEM_PAGE_SIZE;
        CHECK(ci->size % 16 == 0);
        CHECK(ci->nelems == span_bytes / ci->size);
        CHECK(ci->nelems <= MEM_MAX_SPAN_OBJECTS);
        CHECK((span_bytes - (size_t)ci->nelems * ci->size) * 8 <= span_bytes);
        for (uint64_t off = 0; off < (uint64_t)ci->nelems * ci->size; off++)
            CHECK((off * ci->divmul) >> 32 == off / ci->size);
        /* Power-of-two sizes are aligned to their size, up to a page. */
        if ((ci->size & (ci->size - 1)) == 0) {
            void *p = goc_alloc(ci->size);
            CHECK((uintptr_t)p % (ci->size < MEM_PAGE_SIZE ? ci->size : MEM_PAGE_SIZE) == 0);
        }
    }
    CHECK(mem_classes[MEM_NUM_CLASSES - 1].size == MEM_MAX_SMALL);
    check_memstats();
    return 0;
}

GOC_MAIN(run)
