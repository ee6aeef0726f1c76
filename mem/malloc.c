/* SPDX-License-Identifier: MIT */
/* goc_alloc and friends.  The small-object fast path takes the next free slot
 * of the current span from the span's alloc cache (a bit scan), with no lock
 * and no atomic read-modify-write: the P's cache belongs to the running
 * goroutine.  Memory is zeroed only when its span may hold stale bytes. */
#include <errno.h>
#include <string.h>

#include "mem/mem.h"
#include "sched/sched.h"

_Atomic bool mem_allocate_black;

void mem_set_allocate_black(bool on) {
    atomic_store(&mem_allocate_black, on);
}

/* The current P's cache, created on the P's first allocation if sched/ did
 * not create it; NULL on threads that are not goroutines. */
static inline mem_cache *current_cache(void) {
    goc_p *p = sched_p();
    if (unlikely(!p))
        return NULL;
    if (unlikely(!p->mcache))
        p->mcache = mem_cache_create();
    return p->mcache;
}

/* Hand out slot index of s from cache c (its owner) and zero it if needed. */
static inline void *take_slot(mem_cache *c, mem_span *s, uint32_t sizeclass, uint32_t index,
                              bool shared) {
    s->alloc_count++;
    atomic_store_explicit(&c->nmalloc[sizeclass],
                          atomic_load_explicit(&c->nmalloc[sizeclass], memory_order_relaxed) + 1,
                          memory_order_relaxed);
    if (unlikely(atomic_load_explicit(&mem_allocate_black, memory_order_relaxed)))
        mem_mark(s, index);
    void *p = (void *)(s->base + index * s->elemsize);
    bool needzero = s->needzero;
    size_t elemsize = s->elemsize;
    if (shared)
        mem_cache_shared_put();
    if (needzero)
        memset(p, 0, elemsize);
    return p;
}

/* The span's alloc cache is used up: a safe point (the goroutine may move to
 * another P there, so the cache is looked up again after it), then the next
 * free slot from the bitmap, or a fresh span from the central list. */
static __attribute__((noinline)) void *alloc_small_slow(size_t size, bool noscan) {
    sched_safepoint();
    mem_cache *c = current_cache();
    bool shared = !c;
    if (shared)
        c = mem_cache_shared_get();
    uint32_t sizeclass = mem_size_to_class(size);
    uint32_t spanclass = mem_spanclass(sizeclass, noscan);
    mem_span *s = c->alloc[spanclass];
    uint32_t index = span_next_free_index(s);
    if (index == s->nelems) {
        s = mem_cache_refill(c, spanclass);
        index = span_next_free_index(s);
    }
    return take_slot(c, s, sizeclass, index, shared);
}

static inline void *alloc_small(size_t size, bool noscan) {
    mem_cache *c = current_cache();
    if (unlikely(!c))
        return alloc_small_slow(size, noscan);
    uint32_t sizeclass = mem_size_to_class(size);
    mem_span *s = c->alloc[mem_spanclass(sizeclass, noscan)];
    uint64_t cache = s->alloc_cache;
    if (likely(cache)) {
        uint32_t bit = (uint32_t)__builtin_ctzll(cache);
        uint32_t index = atomic_load_explicit(&s->freeindex, memory_order_relaxed) + bit;
        uint32_t next = index + 1;
        /* Crossing into the next bitmap word needs a refill: slow path. */
        if (likely(index < s->nelems && (next % 64 != 0 || next == s->nelems))) {
            s->alloc_cache = cache >> bit >> 1;
            atomic_store_explicit(&s->freeindex, next, memory_order_relaxed);
            return take_slot(c, s, sizeclass, index, false);
        }
    }
    return alloc_small_slow(size, noscan);
}

/* Clearing a big object takes a while: pass safe points between chunks so a
 * stop-the-world need not wait for it (as Go's memclrNoHeapPointersChunked). */
#define ZERO_CHUNK ((size_t)256 << 10)

static void zero_large(char *p, size_t n) {
    for (size_t off = 0; off < n; off += ZERO_CHUNK) {
        memset(p + off, 0, n - off < ZERO_CHUNK ? n - off : ZERO_CHUNK);
        sched_safepoint();
    }
}

static void *alloc_large(size_t size, bool noscan) {
    sched_safepoint();
    mem_init();
    size_t npages = (size + MEM_PAGE_SIZE - 1) >> MEM_PAGE_SHIFT;
    mem_span *s = heap_alloc_span(npages, mem_spanclass(0, noscan), size, NULL);
    if (atomic_load_explicit(&mem_allocate_black, memory_order_relaxed))
        mem_mark(s, 0);
    atomic_fetch_add(&mem_large_bytes, s->elemsize);
    atomic_fetch_add(&mem_large_nmalloc, 1);
    if (s->needzero)
        zero_large((char *)s->base, s->elemsize);
    return (void *)s->base;
}

static inline void *mem_alloc(size_t size, bool noscan) {
    if (likely(size <= MEM_MAX_SMALL))
        return alloc_small(size, noscan);
    if (size > MEM_MAX_ALLOC) {
        errno = ENOMEM;
        return NULL;
    }
    return alloc_large(size, noscan);
}

void *goc_alloc(size_t size) { return mem_alloc(size, false); }
void *goc_alloc_atomic(size_t size) { return mem_alloc(size, true); }

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

size_t goc_alloc_size(const void *p) {
    mem_span *s;
    uint32_t index;
    if (mem_object_base(p, &s, &index) != p)
        return 0;
    return s->elemsize;
}

void *goc_realloc(void *p, size_t size) {
    if (!p)
        return goc_alloc(size);
    mem_span *s;
    uint32_t index;
    if (mem_object_base(p, &s, &index) != p)
        goc_panic("goc_realloc: %p was not returned by goc_alloc", p);
    if (size > MEM_MAX_ALLOC) {
        errno = ENOMEM;
        return NULL;
    }
    size_t old = s->elemsize;
    /* Stay in place unless a new object would be less than half the size. */
    size_t fresh = size <= MEM_MAX_SMALL ? mem_classes[mem_size_to_class(size)].size
                                         : (size + MEM_PAGE_SIZE - 1) & ~(MEM_PAGE_SIZE - 1);
    if (size <= old && fresh >= old / 2)
        return p;
    void *q = mem_alloc(size, span_noscan(s));
    memcpy(q, p, size < old ? size : old);
    mem_free(p);
    return q;
}
