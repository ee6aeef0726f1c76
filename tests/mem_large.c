/* SPDX-License-Identifier: MIT */
/* Large objects (> 32 KiB): whole pages from the page heap, page-aligned,
 * zeroed, rounded to pages, lookups from interior pointers, pages returned
 * on free and reused; objects larger than an arena get one of their own.
 * Memory known to be zero (never used, or released to the OS) is not
 * cleared again: RSS shows it is never touched. */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "mem_check.h"

static void test_size(size_t size) {
    goc_memstats before = check_memstats();
    char *p = goc_alloc(size);
    size_t rounded = (size + MEM_PAGE_SIZE - 1) & ~(MEM_PAGE_SIZE - 1);
    CHECK(p && (uintptr_t)p % MEM_PAGE_SIZE == 0);
    CHECK(goc_alloc_size(p) == rounded);
    CHECK(is_zero(p, rounded));
    goc_memstats mid = check_memstats();
    CHECK(mid.mallocs == before.mallocs + 1);
    CHECK(mid.heap_alloc == before.heap_alloc + rounded);
    CHECK(mid.heap_inuse == before.heap_inuse + rounded);
    /* Interior pointers find the object; the byte past it does not. */
    mem_span *s;
    uint32_t index;
    CHECK(mem_object_base(p + size / 2, &s, &index) == p && index == 0);
    CHECK(mem_object_base(p + rounded - 1, &s, &index) == p);
    CHECK(goc_alloc_size(p + 16) == 0);
    memset(p, 0x5a, rounded);
    mem_free(p);
    goc_memstats after = check_memstats();
    CHECK(after.heap_inuse == before.heap_inuse);
    CHECK(after.frees == before.frees + 1);
    CHECK(mem_object_base(p, &s, &index) == NULL);
    /* The dirty pages come back zeroed. */
    char *q = goc_alloc_atomic(size);
    CHECK(q == p);
    CHECK(is_zero(q, rounded));
    goc_memstats reused = check_memstats();
    CHECK(reused.heap_sys == mid.heap_sys);
    mem_free(q);
    check_memstats();
}

static void test_known_zero_is_not_cleared(void) {
    const size_t big = (size_t)256 << 20;
    size_t before = rss_bytes();
    char *p = goc_alloc(big);
    CHECK(rss_bytes() < before + (16u << 20));
    CHECK(p[0] == 0 && p[big / 2] == 0 && p[big - 1] == 0);
    memset(p, 1, 1 << 20);
    mem_free(p);
    goc_free_os_memory();
    before = rss_bytes();
    char *q = goc_alloc(big);
    CHECK(rss_bytes() < before + (16u << 20));
    CHECK(q[0] == 0 && q[(1 << 20) - 1] == 0 && q[big - 1] == 0);
    mem_free(q);
    check_memstats();
}

static int run(int argc, char **argv) {
    (void)argc;
    (void)argv;
    /* Keep the scavenger out of the way: freed pages must be reused dirty. */
    mem_set_heap_goal((uint64_t)1 << 40);
    static const size_t sizes[] = {MEM_MAX_SMALL + 1, 40000, 65536, 100000, 1 << 20,
                                   (size_t)10 << 20, MEM_ARENA_SIZE, (size_t)100 << 20};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        test_size(sizes[i]);
    test_known_zero_is_not_cleared();

    /* Many large objects at once: distinct and non-overlapping. */
    enum { M = 200 };
    char *objs[M];
    for (int i = 0; i < M; i++) {
        objs[i] = goc_alloc(40000 + (size_t)i * 1000);
        memset(objs[i], i, 40000);
    }
    for (int i = 0; i < M; i++) {
        CHECK(objs[i][0] == (char)i && objs[i][39999] == (char)i);
        mem_free(objs[i]);
    }
    check_memstats();
    return 0;
}

GOC_MAIN(run)
