/* SPDX-License-Identifier: MIT */
/* Span descriptors and their bitmaps.  Descriptors are recycled, never
 * returned to jemalloc, so a racing lookup (the collector's) that loads a
 * stale span pointer still reads a span, whose state and bounds it checks. */
#include <string.h>

#include "mem/mem.h"

static goc_lock descriptor_lock = GOC_LOCK_INIT;
static mem_span *descriptor_free;

mem_span *span_descriptor_new(void) {
    lock_acquire(&descriptor_lock);
    mem_span *s = descriptor_free;
    if (s)
        descriptor_free = s->free_next;
    lock_release(&descriptor_lock);
    return s ? s : mem_meta_alloc(sizeof *s);
}

void span_descriptor_free(mem_span *s) {
    lock_acquire(&descriptor_lock);
    s->free_next = descriptor_free;
    descriptor_free = s;
    lock_release(&descriptor_lock);
}

void span_init(mem_span *s, uintptr_t base, size_t npages, uint32_t spanclass, bool needzero) {
    uint32_t sizeclass = spanclass >> 1;
    s->base = base;
    s->npages = npages;
    s->spanclass = (uint8_t)spanclass;
    s->needzero = needzero;
    s->cached = false;
    if (sizeclass == 0) {
        s->elemsize = npages << MEM_PAGE_SHIFT;
        s->nelems = 1;
        s->divmul = 0;
    } else {
        s->elemsize = mem_classes[sizeclass].size;
        s->nelems = mem_classes[sizeclass].nelems;
        s->divmul = mem_classes[sizeclass].divmul;
    }
    /* A large span is its object, allocated from the start. */
    bool large = sizeclass == 0;
    astore(&s->freeindex, large, memory_order_relaxed);
    s->alloc_count = large;
    s->alloc_cache = ~(uint64_t)0;
    s->nfreed = 0;
    s->nwords = (s->nelems + 63) / 64;
    uint64_t *bits = s->inline_bits;
    if (s->nwords > 1)
        bits = mem_meta_alloc(SPAN_NBITMAPS * s->nwords * sizeof(uint64_t));
    else
        memset(bits, 0, sizeof s->inline_bits);
    s->bits_storage = s->nwords > 1 ? bits : NULL;
    s->alloc_bits = (_Atomic uint64_t *)bits;
    s->mark_bits = (_Atomic uint64_t *)(bits + s->nwords);
    s->freed_bits = (_Atomic uint64_t *)(bits + 2 * s->nwords);
    s->check_bits = (_Atomic uint64_t *)(bits + 3 * s->nwords);
    s->next = s->prev = NULL;
    astore(&s->nsampled, 0, memory_order_relaxed);
    /* A new span has nothing to sweep.  Published before the span becomes
     * reachable through the arena's page map (release there). */
    astore(&s->sweepgen, aload(&mem_sweepgen, memory_order_seq_cst), memory_order_relaxed);
}

void span_release_bits(mem_span *s) {
    if (s->bits_storage)
        mem_meta_free(s->bits_storage, SPAN_NBITMAPS * s->nwords * sizeof(uint64_t));
    s->bits_storage = NULL;
}

void span_refill_alloc_cache(mem_span *s, uint32_t index) {
    s->alloc_cache = ~span_alloc_word(s, index / 64) >> (index % 64);
}

uint32_t span_next_free_index(mem_span *s) {
    uint32_t index = aload(&s->freeindex, memory_order_relaxed);
    if (index >= s->nelems)
        return s->nelems;
    uint64_t cache = s->alloc_cache;
    while (cache == 0) {
        /* Nothing free in this word: move to the next one. */
        index = (index + 64) & ~63u;
        if (index >= s->nelems) {
            astore(&s->freeindex, s->nelems, memory_order_relaxed);
            return s->nelems;
        }
        span_refill_alloc_cache(s, index);
        cache = s->alloc_cache;
    }
    uint32_t bit = (uint32_t)__builtin_ctzll(cache);
    uint32_t result = index + bit;
    if (result >= s->nelems) {
        astore(&s->freeindex, s->nelems, memory_order_relaxed);
        return s->nelems;
    }
    s->alloc_cache = cache >> bit >> 1;
    uint32_t next = result + 1;
    if (next % 64 == 0 && next < s->nelems)
        span_refill_alloc_cache(s, next);
    astore(&s->freeindex, next, memory_order_relaxed);
    return result;
}

void span_materialize_alloc_bits(mem_span *s) {
    uint32_t index = aload(&s->freeindex, memory_order_relaxed);
    for (uint32_t w = 0; w < index / 64; w++)
        span_set_alloc_word(s, w, ~(uint64_t)0);
    if (index % 64)
        span_set_alloc_word(s, index / 64,
                            span_alloc_word(s, index / 64) | (((uint64_t)1 << (index % 64)) - 1));
}
