/* SPDX-License-Identifier: MIT */
/* goc_alloc and friends: the collected heap as the program sees it (Go's
 * mallocgc).  The P's cache serves the fast path (mem/); the slow path is
 * a safe point, pays the sweeping its allocation calls for, and starts a
 * collection when the heap reaches the pacer's trigger.  Every path counts
 * the bytes down to the heap profile's next sample (gc/heapprof.c), and a
 * sampled allocation records the stack of the code that ret, goc_alloc's
 * return address, goes back to. */
#include <errno.h>
#include <string.h>

#include "base/critical.h"
#include "gc/gc.h"
#include "gc/heapprof.h"
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

static __attribute__((noinline)) void *alloc_small_slow(size_t size, bool noscan, uintptr_t ret) {
    sched_safepoint();
    gc_pacer_init();
    gc_sweep_credit(1);
    critical_begin();
    mem_cache *c = current_cache();
    void *p;
    bool sample;
    uint64_t charged = 0;
    if (c) {
        p = mem_alloc_small_refill(c, size, noscan);
        sample = heapprof_due(c, size);
        charged = c->live_charged;
        c->live_charged = 0;
    } else {
        /* Threads that are not goroutines owe the mark nothing. */
        c = mem_cache_shared_get();
        p = mem_alloc_small_refill(c, size, noscan);
        sample = heapprof_due(c, size);
        c->live_charged = 0;
        mem_cache_shared_put();
    }
    critical_end();
    if (sample)
        heapprof_record(p, ret);
    gc_check_trigger();
    gc_assist_check(charged);
    return p;
}

/* Clearing a big object takes a while: pass safe points between chunks so a
 * stop-the-world need not wait for it (as Go's memclrNoHeapPointersChunked). */
#define ZERO_CHUNK ((size_t)256 << 10)

/* Large allocations count down on the P's cache too (or the shared one). */
static bool large_sample_due(size_t size) {
    mem_cache *c = current_cache();
    if (c)
        return heapprof_due(c, size);
    c = mem_cache_shared_get();
    bool due = heapprof_due(c, size);
    mem_cache_shared_put();
    return due;
}

static void *alloc_large(size_t size, bool noscan, uintptr_t ret) {
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
    bool sample = large_sample_due(size);
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
    if (sample)
        heapprof_record(p, ret);
    gc_check_trigger();
    gc_assist_check(bytes);
    return p;
}

/* Inlined into each public entry, so that ret is only read on the paths
 * that sample. */
static inline __attribute__((always_inline)) void *gc_alloc(size_t size, bool noscan, uintptr_t ret) {
    if (__builtin_expect(size <= MEM_MAX_SMALL, 1)) {
        /* The cache is half updated in there: a thread suspended for a
         * stopped world meanwhile would leave it so while the collector
         * flushes it. */
        critical_begin();
        mem_cache *c = current_cache();
        void *p = c ? mem_alloc_small_fast(c, size, noscan) : NULL;
        bool sample = p && heapprof_due(c, size);
        critical_end();
        if (__builtin_expect(p != NULL && !sample, 1))
            return p;
        return p ? heapprof_record(p, ret) : alloc_small_slow(size, noscan, ret);
    }
    if (size > MEM_MAX_ALLOC) {
        errno = ENOMEM;
        return NULL;
    }
    return alloc_large(size, noscan, ret);
}

#define RETURN_ADDRESS ((uintptr_t)__builtin_return_address(0))
void *goc_alloc(size_t size) { return gc_alloc(size, false, RETURN_ADDRESS); }
void *goc_alloc_atomic(size_t size) { return gc_alloc(size, true, RETURN_ADDRESS); }

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
    void *q = gc_alloc(size, span_noscan(s), RETURN_ADDRESS);
    if (q) {
        memcpy(q, p, size < old ? size : old);
        heapprof_forget(p);
        mem_free(p);
    }
    return q;
}
