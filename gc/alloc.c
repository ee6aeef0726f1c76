/* SPDX-License-Identifier: MIT */
/* goc_alloc and friends: the collected heap as the program sees it (Go's
 * mallocgc).  The P's cache serves the fast path (mem/); the slow path is
 * a safe point, pays the sweeping its allocation calls for, and starts a
 * collection when the heap reaches the pacer's trigger. */
#include <errno.h>
#include <string.h>

#include "base/critical.h"
#include "gc/gc.h"
#include "mem/mem.h"
#include "sched/sched.h"

/* The current P's cache, created on the P's first allocation if sched/ did
 * not create it; NULL on threads that are not goroutines. */
static inline mem_cache *current_cache(void) {
    goc_p *p = sched_p();
    if (__builtin_expect(!p, 0))
        return NULL;
    if (__builtin_expect(!p->mcache, 0))
        p->mcache = mem_cache_create();
    return p->mcache;
}

static __attribute__((noinline)) void *alloc_small_slow(size_t size, bool noscan) {
    sched_safepoint();
    gc_pacer_init();
    gc_sweep_credit(1);
    critical_begin();
    mem_cache *c = current_cache();
    void *p;
    if (c) {
        p = mem_alloc_small_refill(c, size, noscan);
    } else {
        c = mem_cache_shared_get();
        p = mem_alloc_small_refill(c, size, noscan);
        mem_cache_shared_put();
    }
    critical_end();
    gc_check_trigger();
    return p;
}

/* Clearing a big object takes a while: pass safe points between chunks so a
 * stop-the-world need not wait for it (as Go's memclrNoHeapPointersChunked). */
#define ZERO_CHUNK ((size_t)256 << 10)

static void *alloc_large(size_t size, bool noscan) {
    sched_safepoint();
    size_t npages = (size + MEM_PAGE_SIZE - 1) >> MEM_PAGE_SHIFT;
    gc_sweep_credit(npages);
    /* Everything is read off the span before the critical section ends:
     * from then on a stop may come at any instruction, and the object must
     * be held by its own address (p), not only by its span record, which
     * lives outside the heap. */
    critical_begin();
    mem_span *s = mem_alloc_large(size, noscan);
    char *p = (char *)s->base;
    size_t bytes = s->elemsize;
    bool needzero = s->needzero;
    if (!needzero)
        mem_alloc_large_ready(s);
    critical_end();
    if (needzero) {
        for (size_t off = 0; off < bytes; off += ZERO_CHUNK) {
            size_t n = bytes - off;
            memset(p + off, 0, n < ZERO_CHUNK ? n : ZERO_CHUNK);
            /* The object is reachable only from here until we return. */
            goc_keep_alive(p);
            sched_safepoint();
        }
        critical_begin();
        mem_alloc_large_ready(mem_span_of(p));
        critical_end();
    }
    gc_check_trigger();
    return p;
}

static inline void *gc_alloc(size_t size, bool noscan) {
    if (__builtin_expect(size <= MEM_MAX_SMALL, 1)) {
        /* The cache is half updated in there: a thread suspended for a
         * stopped world meanwhile would leave it so while the collector
         * flushes it. */
        critical_begin();
        mem_cache *c = current_cache();
        void *p = c ? mem_alloc_small_fast(c, size, noscan) : NULL;
        critical_end();
        return __builtin_expect(p != NULL, 1) ? p : alloc_small_slow(size, noscan);
    }
    if (size > MEM_MAX_ALLOC) {
        errno = ENOMEM;
        return NULL;
    }
    return alloc_large(size, noscan);
}

void *goc_alloc(size_t size) { return gc_alloc(size, false); }
void *goc_alloc_atomic(size_t size) { return gc_alloc(size, true); }

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
    void *q = gc_alloc(size, span_noscan(s));
    if (q) {
        memcpy(q, p, size < old ? size : old);
        mem_free(p);
    }
    return q;
}
