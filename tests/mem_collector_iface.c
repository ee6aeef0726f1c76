/* SPDX-License-Identifier: MIT */
/* The interface the collector builds on: O(1) lookup of the object holding
 * any address, mark bits, flushing the caches, walking spans and arenas,
 * sweeping (unmarked objects freed, marked ones kept, counts updated, empty
 * spans released), and allocate-black during marking. */
#include <stdint.h>
#include <string.h>

#include "mem_check.h"

#define N 5000

static char *objs[N];
static char *big[4];

typedef struct walk {
    size_t spans, swept;
    uintptr_t lo, hi;
} walk;

static void sweep_one(mem_span *s, void *arg) {
    walk *w = arg;
    w->spans++;
    w->swept += mem_sweep_span(s);
}

/* Objects that existed before the test (the runtime's own) must survive. */
static void mark_allocated(mem_span *s, void *arg) {
    (void)arg;
    for (uint32_t i = 0; i < s->nelems; i++)
        if (span_slot_allocated(s, i))
            mem_mark(s, i);
}

static void span_bounds(mem_span *s, void *arg) {
    walk *w = arg;
    CHECK(s->state == SPAN_INUSE);
    w->spans++;
}

static void arena_bounds(uintptr_t base, size_t bytes, void *arg) {
    walk *w = arg;
    CHECK(base % MEM_ARENA_SIZE == 0);
    if (base < w->lo)
        w->lo = base;
    if (base + bytes > w->hi)
        w->hi = base + bytes;
}

static int run(int argc, char **argv) {
    (void)argc;
    (void)argv;
    int on_stack = 0;
    char *from_malloc = malloc(64);
    mem_span *s;
    uint32_t index;
    CHECK(mem_object_base(&on_stack, &s, &index) == NULL);
    CHECK(mem_object_base(from_malloc, &s, &index) == NULL);
    CHECK(mem_object_base(NULL, &s, &index) == NULL);
    CHECK(mem_object_base((void *)UINTPTR_MAX, &s, &index) == NULL);
    free(from_malloc);

    mem_caches_flush();
    mem_for_each_span(mark_allocated, NULL);
    uint64_t preexisting = check_memstats().heap_objects;

    for (int i = 0; i < N; i++)
        objs[i] = (i % 3) ? goc_alloc(24 + (size_t)(i % 200)) : goc_alloc_atomic(100);
    for (int i = 0; i < 4; i++)
        big[i] = goc_alloc(100000);
    /* Interior pointers resolve to the start. */
    for (int i = 0; i < N; i++) {
        size_t size = goc_alloc_size(objs[i]);
        CHECK(mem_object_base(objs[i] + size - 1, &s, &index) == objs[i]);
        CHECK(s->base + index * s->elemsize == (uintptr_t)objs[i]);
    }
    walk arenas = {0, 0, UINTPTR_MAX, 0};
    mem_for_each_arena(arena_bounds, &arenas);
    for (int i = 0; i < N; i++)
        CHECK((uintptr_t)objs[i] >= arenas.lo && (uintptr_t)objs[i] < arenas.hi);

    /* "Mark" the even objects and big[0], then sweep as the collector will. */
    goc_memstats before = check_memstats();
    for (int i = 0; i < N; i += 2) {
        CHECK(mem_object_base(objs[i], &s, &index) == objs[i]);
        CHECK(mem_mark(s, index));
        CHECK(!mem_mark(s, index));
        CHECK(mem_is_marked(s, index));
    }
    CHECK(mem_object_base(big[0], &s, &index) == big[0]);
    mem_mark(s, index);
    mem_caches_flush();
    walk counted = {0};
    mem_for_each_span(span_bounds, &counted);
    CHECK(counted.spans > 4);
    walk w = {0};
    mem_for_each_span(sweep_one, &w);
    CHECK(w.spans == counted.spans);
    goc_memstats after = check_memstats();
    CHECK(w.swept == after.frees - before.frees);
    CHECK(after.heap_objects == preexisting + (N + 1) / 2 + 1);
    CHECK(w.swept == N / 2 + 3);
    for (int i = 0; i < N; i++) {
        if (i % 2 == 0) {
            CHECK(goc_alloc_size(objs[i]) > 0);
            CHECK(mem_object_base(objs[i], &s, &index) == objs[i] && !mem_is_marked(s, index));
        } else {
            CHECK(goc_alloc_size(objs[i]) == 0);
        }
    }
    CHECK(goc_alloc_size(big[0]) == 100000 + (MEM_PAGE_SIZE - 100000 % MEM_PAGE_SIZE));
    CHECK(goc_alloc_size(big[1]) == 0 && mem_span_of(big[1]) == NULL);

    /* Freed slots are handed out again, zeroed. */
    for (int i = 1; i < N; i += 2) {
        objs[i] = goc_alloc(100);
        CHECK(is_zero(objs[i], 100));
    }
    check_memstats();

    /* Allocate-black: objects born during marking are marked. */
    mem_set_allocate_black(true);
    char *black = goc_alloc(40), *black_large = goc_alloc(50000);
    mem_set_allocate_black(false);
    char *white = goc_alloc(40);
    CHECK(mem_object_base(black, &s, &index) && mem_is_marked(s, index));
    CHECK(mem_object_base(black_large, &s, &index) && mem_is_marked(s, index));
    CHECK(mem_object_base(white, &s, &index) && !mem_is_marked(s, index));
    check_memstats();
    return 0;
}

GOC_MAIN(run)
