/* SPDX-License-Identifier: MIT */
/* Central lists: for each span class, the spans no cache holds that still
 * have free slots.  Explicit frees and sweeps of uncached spans happen here
 * under the class's lock; frees aimed at a cached span wait in its freed
 * bitmap until the cache lets it go. */
#include <string.h>

#include "base/fatal.h"
#include "mem/mem.h"

typedef struct central {
    goc_lock  lock;
    mem_span *partial;
} __attribute__((aligned(64))) central;

static central centrals[MEM_NUM_SPAN_CLASSES];

static void partial_push(central *c, mem_span *s) {
    s->prev = NULL;
    s->next = c->partial;
    if (c->partial)
        c->partial->prev = s;
    c->partial = s;
    s->in_partial = true;
}

static void partial_remove(central *c, mem_span *s) {
    if (s->prev)
        s->prev->next = s->next;
    else
        c->partial = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->next = s->prev = NULL;
    s->in_partial = false;
}

/* s is uncached and its alloc bits are exact: file it by occupancy.  Returns
 * true when s emptied and was handed back to the page heap. */
static bool central_place(central *c, mem_span *s) {
    if (s->alloc_count == 0) {
        if (s->in_partial)
            partial_remove(c, s);
        heap_free_span(s);
        return true;
    }
    if (s->alloc_count < s->nelems && !s->in_partial)
        partial_push(c, s);
    return false;
}

mem_span *central_cache_span(uint32_t spanclass, mem_page_cache *pages) {
    central *c = &centrals[spanclass];
    lock_acquire(&c->lock);
    mem_span *s = c->partial;
    if (s) {
        partial_remove(c, s);
        s->cached = true;
        lock_release(&c->lock);
        span_refill_alloc_cache(s, aload(&s->freeindex, memory_order_relaxed));
        return s;
    }
    lock_release(&c->lock);
    const mem_class_info *ci = &mem_classes[spanclass >> 1];
    s = heap_alloc_span(ci->npages, spanclass, ci->size, pages);
    /* Every slot of a new span will be handed out by this cache: one clear of
     * the whole span is much cheaper than one per object. */
    if (s->needzero) {
        memset((void *)s->base, 0, s->npages << MEM_PAGE_SHIFT);
        s->needzero = false;
    }
    s->cached = true;
    return s;
}

/* Apply the frees that arrived while s was cached (central lock held). */
static uint64_t apply_pending_frees(mem_span *s) {
    uint64_t n = 0;
    for (uint32_t w = 0; w < s->nwords; w++) {
        uint64_t freed = aload(&s->freed_bits[w], memory_order_relaxed);
        astore(&s->freed_bits[w], 0, memory_order_relaxed);
        n += (uint64_t)__builtin_popcountll(freed);
        span_set_alloc_word(s, w, span_alloc_word(s, w) & ~freed);
    }
    s->alloc_count -= (uint32_t)n;
    s->nfreed = 0;
    return n;
}

void central_uncache_span(mem_span *s) {
    central *c = &centrals[s->spanclass];
    lock_acquire(&c->lock);
    span_materialize_alloc_bits(s);
    s->cached = false;
    if (s->nfreed) {
        apply_pending_frees(s);
        astore(&s->freeindex, 0, memory_order_relaxed);
        s->needzero = true;
    }
    central_place(c, s);
    lock_release(&c->lock);
}

void mem_free(void *p) {
    mem_span *s = mem_span_of(p);
    if (!s)
        fatal("mem_free: %p is not in the heap", p);
    uint32_t index = span_object_index(s, (uintptr_t)p);
    if (index >= s->nelems || (uintptr_t)p != s->base + index * s->elemsize)
        fatal("mem_free: %p is not the start of an object", p);
    size_t elemsize = s->elemsize;
    if (span_sizeclass(s) == 0) {
        mem_count_free(elemsize, 1);
        heap_free_span(s);
        return;
    }
    central *c = &centrals[s->spanclass];
    uint64_t bit = (uint64_t)1 << (index % 64);
    lock_acquire(&c->lock);
    if (s->cached) {
        if (afetch_or(&s->freed_bits[index / 64], bit, memory_order_relaxed) & bit)
            fatal("mem_free: double free of %p", p);
        s->nfreed++;
    } else {
        uint64_t word = span_alloc_word(s, index / 64);
        if (!(word & bit))
            fatal("mem_free: double free of %p", p);
        span_set_alloc_word(s, index / 64, word & ~bit);
        s->alloc_count--;
        s->needzero = true;
        /* Slots below freeindex count as allocated: move it down. */
        if (index < aload(&s->freeindex, memory_order_relaxed))
            astore(&s->freeindex, index, memory_order_relaxed);
        central_place(c, s);
    }
    lock_release(&c->lock);
    mem_count_free(elemsize, 1);
}

size_t mem_sweep_span(mem_span *s) {
    size_t elemsize = s->elemsize;
    if (span_sizeclass(s) == 0) {
        if (axchg(&s->mark_bits[0], 0, memory_order_relaxed))
            return 0;
        mem_count_free(elemsize, 1);
        heap_free_span(s);
        return 1;
    }
    central *c = &centrals[s->spanclass];
    lock_acquire(&c->lock);
    uint64_t n = 0;
    for (uint32_t w = 0; w < s->nwords; w++) {
        uint64_t live = axchg(&s->mark_bits[w], 0, memory_order_relaxed);
        uint64_t allocated = span_alloc_word(s, w);
        n += (uint64_t)__builtin_popcountll(allocated & ~live);
        span_set_alloc_word(s, w, allocated & live);
    }
    if (n) {
        s->alloc_count -= (uint32_t)n;
        s->needzero = true;
        astore(&s->freeindex, 0, memory_order_relaxed);
        central_place(c, s);
    }
    lock_release(&c->lock);
    mem_count_free(elemsize, n);
    return n;
}
