/* SPDX-License-Identifier: MIT */
/* Per-P allocation caches.  A P's cache is touched only by the goroutine
 * running on that P, so allocation from it needs no lock; threads that are
 * not goroutines share one cache behind a lock.  A registry of all caches
 * lets statistics and the collector reach them. */
#include "mem/mem.h"

/* Stands in for "no span yet": no free slot, so the first allocation of every
 * class takes the slow path. */
mem_span mem_empty_span;

static goc_lock registry_lock = GOC_LOCK_INIT;
static mem_cache *registry;
/* Counts of caches already destroyed. */
static _Atomic uint64_t retired_nmalloc[MEM_NUM_CLASSES];

static goc_lock shared_lock = GOC_LOCK_INIT;
static mem_cache *shared_cache;

void *mem_cache_create(void) {
    mem_init();
    mem_cache *c = mem_meta_alloc(sizeof *c);
    for (uint32_t i = 0; i < MEM_NUM_SPAN_CLASSES; i++)
        c->alloc[i] = &mem_empty_span;
    lock_acquire(&registry_lock);
    c->all_prev = NULL;
    c->all_next = registry;
    if (registry)
        registry->all_prev = c;
    registry = c;
    lock_release(&registry_lock);
    return c;
}

static void cache_flush(mem_cache *c) {
    for (uint32_t i = 0; i < MEM_NUM_SPAN_CLASSES; i++) {
        mem_span *s = c->alloc[i];
        if (s == &mem_empty_span)
            continue;
        c->alloc[i] = &mem_empty_span;
        central_uncache_span(s);
    }
    page_cache_flush(&c->pages);
}

/* Counted when a cache goes away (procresize), until the next take. */
static _Atomic uint64_t retired_black_bytes;

void mem_cache_destroy(void *cache) {
    mem_cache *c = cache;
    cache_flush(c);
    lock_acquire(&registry_lock);
    for (uint32_t i = 0; i < MEM_NUM_CLASSES; i++)
        afetch_add(&retired_nmalloc[i], aload(&c->nmalloc[i], memory_order_seq_cst), memory_order_seq_cst);
    afetch_add(&retired_black_bytes, c->black_bytes, memory_order_seq_cst);
    if (c->all_prev)
        c->all_prev->all_next = c->all_next;
    else
        registry = c->all_next;
    if (c->all_next)
        c->all_next->all_prev = c->all_prev;
    lock_release(&registry_lock);
    mem_meta_free(c, sizeof *c);
}

void mem_caches_flush(void) {
    lock_acquire(&shared_lock);
    if (shared_cache)
        cache_flush(shared_cache);
    lock_release(&shared_lock);
    lock_acquire(&registry_lock);
    for (mem_cache *c = registry; c; c = c->all_next)
        if (c != shared_cache)
            cache_flush(c);
    lock_release(&registry_lock);
}

uint64_t mem_black_bytes_take(void) {
    uint64_t sum = axchg(&retired_black_bytes, 0, memory_order_seq_cst) +
                   axchg(&mem_large_black_bytes, 0, memory_order_seq_cst);
    lock_acquire(&registry_lock);
    for (mem_cache *c = registry; c; c = c->all_next) {
        sum += c->black_bytes;
        c->black_bytes = 0;
    }
    lock_release(&registry_lock);
    return sum;
}

void mem_caches_count(uint64_t nmalloc[MEM_NUM_CLASSES]) {
    lock_acquire(&registry_lock);
    for (uint32_t i = 0; i < MEM_NUM_CLASSES; i++)
        nmalloc[i] = aload(&retired_nmalloc[i], memory_order_seq_cst);
    for (mem_cache *c = registry; c; c = c->all_next)
        for (uint32_t i = 0; i < MEM_NUM_CLASSES; i++)
            nmalloc[i] += aload(&c->nmalloc[i], memory_order_relaxed);
    lock_release(&registry_lock);
}

mem_cache *mem_cache_shared_get(void) {
    lock_acquire(&shared_lock);
    if (!shared_cache)
        shared_cache = mem_cache_create();
    return shared_cache;
}

void mem_cache_shared_put(void) {
    lock_release(&shared_lock);
}

void mem_cache_shared_hold(void) { lock_acquire(&shared_lock); }
void mem_cache_shared_release(void) { lock_release(&shared_lock); }

mem_span *mem_cache_refill(mem_cache *c, uint32_t spanclass) {
    mem_span *s = c->alloc[spanclass];
    if (s != &mem_empty_span)
        central_uncache_span(s);
    s = central_cache_span(spanclass, &c->pages);
    c->alloc[spanclass] = s;
    /* What central_cache_span counted live: s's slots are this cache's now. */
    c->live_charged += mem_span_free_bytes(s);
    return s;
}
