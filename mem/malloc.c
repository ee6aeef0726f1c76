/* SPDX-License-Identifier: MIT */
/* Handing out objects from a cache.  The small-object fast path takes the
 * next free slot of the current span from the span's alloc cache (a bit
 * scan), with no lock and no atomic read-modify-write: the cache belongs to
 * its caller.  Memory is zeroed only when its span may hold stale bytes.
 * What sits above (safe points, the collector's trigger, which cache is the
 * caller's) is gc/alloc.c's. */
#include <string.h>

#include "mem/mem.h"
#include "sched/sched.h"   /* fatal */

_Atomic bool mem_allocate_black;
_Atomic uint64_t mem_large_black_bytes;

void mem_set_allocate_black(bool on) {
    astore(&mem_allocate_black, on, memory_order_relaxed);
}

/* A slot that comes back poisoned must still hold only the pattern: any
 * other word was written after the collector freed the object. */
static void check_poison(const mem_span *s, const uint64_t *obj) {
    for (size_t k = 0; k < s->elemsize / sizeof *obj; k++)
        if (obj[k] != MEM_POISON)
            fatal("memory corruption: %p (size %zu) was written at offset %zu after the collector freed it "
                  "(GODEBUG=gcpoison=1)", (const void *)obj, s->elemsize, k * sizeof *obj);
}

void mem_zero_slot(const mem_span *s, void *p) {
    if (mem_poison)
        check_poison(s, p);
    memset(p, 0, s->elemsize);
}

void *mem_alloc_small_refill(mem_cache *c, size_t size, bool noscan) {
    uint32_t sizeclass = mem_size_to_class(size);
    uint32_t spanclass = mem_spanclass(sizeclass, noscan);
    mem_span *s = c->alloc[spanclass];
    uint32_t index = span_next_free_index(s);
    if (index == s->nelems) {
        s = mem_cache_refill(c, spanclass);
        index = span_next_free_index(s);
    }
    return mem_take_slot(c, s, sizeclass, index);
}

mem_span *mem_alloc_large(size_t size, bool noscan) {
    mem_init();
    size_t npages = (size + MEM_PAGE_SIZE - 1) >> MEM_PAGE_SHIFT;
    mem_span *s = heap_alloc_span(npages, mem_spanclass(0, noscan), size, NULL);
    afetch_add(&mem_large_bytes, s->elemsize, memory_order_seq_cst);
    afetch_add(&mem_large_nmalloc, 1, memory_order_seq_cst);
    afetch_add(&mem_heap_live, s->elemsize, memory_order_relaxed);
    return s;
}

void mem_alloc_large_ready(mem_span *s) {
    if (aload(&mem_allocate_black, memory_order_relaxed)) {
        mem_mark(s, 0);
        afetch_add(&mem_large_black_bytes, s->elemsize, memory_order_relaxed);
    }
}

void *mem_object_base(const void *p, mem_span **span, uint32_t *index) {
    mem_span *s = mem_span_of(p);
    if (!s)
        return NULL;
    uint32_t i = span_object_index(s, (uintptr_t)p);
    if (i >= s->nelems || !span_slot_allocated(s, i))
        return NULL;
    *span = s;
    *index = i;
    return (void *)(s->base + i * s->elemsize);
}
