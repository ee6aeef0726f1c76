/* SPDX-License-Identifier: MIT */
/* Small objects: zeroed memory (and no zeroing where the span is known to
 * be fresh), scan and noscan classes apart, span reuse after frees, pages
 * going back to the heap when a span empties, and exact counts. */
#include <stdint.h>
#include <string.h>

#include "mem_check.h"

#define N 10000

static void *objs[N];

static void test_fresh_spans_are_not_zeroed_again(void) {
    /* The first span of a class comes from never-used pages: known zero. */
    void *p = goc_alloc(4000);
    mem_span *s = mem_span_of(p);
    CHECK(s && !s->needzero);
    CHECK(is_zero(p, goc_alloc_size(p)));
    mem_free(p);
    check_memstats();
}

static void test_scan_noscan_apart(void) {
    void *a = goc_alloc(48), *b = goc_alloc_atomic(48);
    CHECK(mem_span_of(a) != mem_span_of(b));
    CHECK(!span_noscan(mem_span_of(a)));
    CHECK(span_noscan(mem_span_of(b)));
    CHECK(goc_alloc_size(a) == 48 && goc_alloc_size(b) == 48);
    mem_free(a);
    mem_free(b);
    check_memstats();
}

static void test_counts_and_zeroing(size_t size) {
    goc_memstats before = check_memstats();
    size_t csize = goc_alloc_size(goc_alloc_atomic(size));
    for (int i = 0; i < N; i++) {
        objs[i] = goc_alloc(size);
        CHECK(objs[i] && (uintptr_t)objs[i] % 16 == 0);
        CHECK(is_zero(objs[i], csize));
        memset(objs[i], 0xa5, csize);
    }
    goc_memstats mid = check_memstats();
    CHECK(mid.mallocs - before.mallocs == N + 1);
    CHECK(mid.heap_alloc - before.heap_alloc == (N + 1) * csize);
    CHECK(mid.total_alloc - before.total_alloc == (N + 1) * csize);
    /* Distinct, non-overlapping objects. */
    for (int i = 0; i < N; i++)
        CHECK(*(unsigned char *)objs[i] == 0xa5 && goc_alloc_size(objs[i]) == csize);
    for (int i = 0; i < N; i++)
        mem_free(objs[i]);
    goc_memstats after = check_memstats();
    CHECK(after.frees - before.frees == N);
    CHECK(after.heap_alloc - before.heap_alloc == csize);
    /* Reallocation reuses the dirty slots and must zero them. */
    for (int i = 0; i < N; i++) {
        objs[i] = goc_alloc(size);
        CHECK(is_zero(objs[i], csize));
    }
    goc_memstats again = check_memstats();
    CHECK(again.heap_sys == mid.heap_sys);
    for (int i = 0; i < N; i++)
        mem_free(objs[i]);
    check_memstats();
}

static void test_span_reuse(void) {
    /* Fill exactly several spans of one class, free everything: the spans
     * go back to the page heap and the same pages serve the next round. */
    uint32_t cls = mem_size_to_class(1024);
    const mem_class_info *ci = &mem_classes[cls];
    int n = (int)ci->nelems * 8;
    CHECK(n <= N);
    goc_memstats before = check_memstats();
    for (int i = 0; i < n; i++)
        objs[i] = goc_alloc(1024);
    goc_memstats full = check_memstats();
    CHECK(full.heap_alloc - before.heap_alloc == (uint64_t)n * ci->size);
    for (int i = 0; i < n; i++)
        mem_free(objs[i]);
    goc_memstats empty = check_memstats();
    /* The 8 spans' worth went back, but for the spans the cache still holds
     * (this one's and, at most, the one of the previous test). */
    CHECK(full.heap_inuse - empty.heap_inuse >= 6 * ci->npages * MEM_PAGE_SIZE);
    for (int i = 0; i < n; i++)
        objs[i] = goc_alloc(1024);
    goc_memstats reused = check_memstats();
    CHECK(reused.heap_sys == full.heap_sys);
    CHECK(reused.heap_inuse == full.heap_inuse);
    for (int i = 0; i < n; i++)
        mem_free(objs[i]);
    check_memstats();
}

static int run(int argc, char **argv) {
    (void)argc;
    (void)argv;
    test_fresh_spans_are_not_zeroed_again();
    test_scan_noscan_apart();
    static const size_t sizes[] = {1, 16, 17, 64, 100, 512, 1000, 4096, 5000, 32768};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        test_counts_and_zeroing(sizes[i]);
    test_span_reuse();
    return 0;
}

GOC_MAIN(run)
