/* SPDX-License-Identifier: MIT */
/* Central lists: for each span class, the swept spans no cache holds that
 * still have free slots, and the spans the last mark left unswept.
 * Explicit frees and sweeps of uncached spans happen here under the class's
 * lock; frees aimed at a cached span wait in its freed bitmap until the
 * cache lets it go. */
#include <string.h>

#include "base/fatal.h"
#include "base/critical.h"
#include "mem/mem.h"

/* Invariants (lock: the central's own; lock order: central, then heap):
 * every span on partial is swept, uncached, in use and has a free slot;
 * every span on unswept was in use at mem_sweep_start, filed by
 * mem_sweep_file, and is popped once
 * (whoever pops it sweeps it if its claim succeeds; a span swept meanwhile
 * through mem_span_ensure_swept fails the claim and is dropped). */
typedef struct central {
    goc_lock  lock;
    mem_span *partial;
    mem_span *unswept;
} __attribute__((aligned(64))) central;

static central centrals[MEM_NUM_SPAN_CLASSES];

/* Even; starts at 2 so that "sg - 2" of new spans never matches. */
_Atomic uint32_t mem_sweepgen = 2;
bool mem_poison;
_Atomic uint64_t mem_heap_live;
static _Atomic uint64_t nunswept;
void (*_Atomic mem_sampled_freed_hook)(uintptr_t addr);

static void sampled_freed(const mem_span *s, uint32_t w, uint64_t gone) {
    void (*hook)(uintptr_t) = aload(&mem_sampled_freed_hook, memory_order_acquire);
    while (gone) {
        uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(gone);
        gone &= gone - 1;
        hook(s->base + i * s->elemsize);
    }
}

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

static void poison_range(uintptr_t p, size_t bytes) {
    uint64_t *w = (uint64_t *)p;
    for (size_t k = 0; k < bytes / sizeof *w; k++)
        w[k] = MEM_POISON;
}

/* Sweep s if nobody else has.  The caller is in a critical section from
 * the moment it popped s off an unswept list to the end of the sweep: a
 * thread suspended for a stopped world in between would keep s unswept
 * through the next mark, whose marks would then mix with the stale ones
 * (and hide the objects s's stale marks claim are scanned already). */
static void sweep_if_claimed(mem_span *s) {
    if (mem_span_claim_sweep(s))
        mem_sweep_span(s);
}

/* The next unswept span of c, or NULL (c's lock held). */
static mem_span *unswept_pop(central *c) {
    mem_span *s = c->unswept;
    if (s) {
        /* mem_sweep_one peeks at it without the lock. */
        astore(&c->unswept, s->sweep_next, memory_order_relaxed);
        afetch_sub(&nunswept, 1, memory_order_relaxed);
    }
    return s;
}

/* Clear every free slot of s from index on, run by run: the cache that
 * takes s hands out all of them, and a few large clears cost much less
 * than one call per object. */
static void zero_free_slots(mem_span *s, uint32_t index) {
    uint32_t n = s->nelems;
    while (index < n) {
        uint64_t free = ~span_alloc_word(s, index / 64) >> (index % 64);
        if (!free) {
            index = (index / 64 + 1) * 64;
            continue;
        }
        index += (uint32_t)__builtin_ctzll(free);
        if (index >= n)
            break;
        uint32_t end = index;
        for (;;) {
            uint64_t used = span_alloc_word(s, end / 64) >> (end % 64);
            if (used) {
                end += (uint32_t)__builtin_ctzll(used);
                break;
            }
            end = (end / 64 + 1) * 64;
            if (end >= n)
                break;
        }
        if (end > n)
            end = n;
        memset((void *)(s->base + index * s->elemsize), 0, (size_t)(end - index) * s->elemsize);
        index = end;
    }
}

/* Unswept spans a cache sweeps for room before it takes a new one. */
#define SWEEP_BUDGET 100

mem_span *central_cache_span(uint32_t spanclass, mem_page_cache *pages) {
    central *c = &centrals[spanclass];
    lock_acquire(&c->lock);
    mem_span *s;
    /* Sweep this class's leftovers first: one of them may have room, and
     * sweeping before growing the heap is what keeps it at its goal.  But
     * at most SWEEP_BUDGET of them (Go's spanBudget): the allocator's
     * caller, gc/alloc.c, holds a critical section, which a stopping world
     * waits for, and a class whose spans are mostly full (half of the 1 GiB
     * pause workload is long lists) could be swept here in one go. */
    int budget = SWEEP_BUDGET;
    while (!(s = c->partial) && budget-- > 0 && (s = unswept_pop(c))) {
        lock_release(&c->lock);
        sweep_if_claimed(s);
        lock_acquire(&c->lock);
    }
    if (s) {
        partial_remove(c, s);
        s->cached = true;
        lock_release(&c->lock);
        uint32_t freeindex = aload(&s->freeindex, memory_order_relaxed);
        span_refill_alloc_cache(s, freeindex);
        /* Poisoning checks each slot as it is handed out, so it clears them
         * one by one (mem_take_slot). */
        if (s->needzero && !mem_poison) {
            zero_free_slots(s, freeindex);
            s->needzero = false;
        }
        afetch_add(&mem_heap_live, mem_span_free_bytes(s), memory_order_relaxed);
        return s;
    }
    lock_release(&c->lock);
    const mem_class_info *ci = &mem_classes[spanclass >> 1];
    s = heap_alloc_span(ci->npages, spanclass, ci->size, pages);
    /* Every slot of a new span will be handed out by this cache: one clear of
     * the whole span is much cheaper than one per object. */
    if (__builtin_expect(mem_poison, 0)) {
        /* Every free slot of a poisoned heap holds the pattern, so that
         * handing one out can check it (mem/malloc.c). */
        poison_range(s->base, s->npages << MEM_PAGE_SHIFT);
        s->needzero = true;
    } else if (s->needzero) {
        memset((void *)s->base, 0, s->npages << MEM_PAGE_SHIFT);
        s->needzero = false;
    }
    s->cached = true;
    afetch_add(&mem_heap_live, mem_span_free_bytes(s), memory_order_relaxed);
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
    /* Slots the cache did not hand out were counted live when it took s. */
    afetch_sub(&mem_heap_live, mem_span_free_bytes(s), memory_order_relaxed);
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
    /* The sweep must not see p's slot as allocated and unmarked after this
     * free made it available again. */
    mem_span_ensure_swept(s);
    size_t elemsize = s->elemsize;
    afetch_sub(&mem_heap_live, elemsize, memory_order_relaxed);
    if (mem_poison && span_sizeclass(s) != 0)
        poison_range((uintptr_t)p, elemsize);
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

/* Fill the slots freed in word w (bits gone) with MEM_POISON. */
static void poison_slots(mem_span *s, uint32_t w, uint64_t gone) {
    while (gone) {
        uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(gone);
        gone &= gone - 1;
        poison_range(s->base + i * s->elemsize, s->elemsize);
    }
}

size_t mem_sweep_span(mem_span *s) {
    size_t elemsize = s->elemsize;
    uint32_t sg = aload(&mem_sweepgen, memory_order_relaxed);
    astore(&s->check_bits[0], 0, memory_order_relaxed);
    if (span_sizeclass(s) == 0) {
        if (axchg(&s->mark_bits[0], 0, memory_order_relaxed)) {
            astore(&s->sweepgen, sg, memory_order_release);
            return 0;
        }
        if (aload(&s->nsampled, memory_order_relaxed))
            sampled_freed(s, 0, 1);
        astore(&s->sweepgen, sg, memory_order_release);
        mem_count_free(elemsize, 1);
        heap_free_span(s);
        return 1;
    }
    central *c = &centrals[s->spanclass];
    lock_acquire(&c->lock);
    uint64_t n = 0;
    for (uint32_t w = 0; w < s->nwords; w++) {
        uint64_t live = axchg(&s->mark_bits[w], 0, memory_order_relaxed);
        astore(&s->check_bits[w], 0, memory_order_relaxed);
        uint64_t allocated = span_alloc_word(s, w);
        uint64_t gone = allocated & ~live;
        n += (uint64_t)__builtin_popcountll(gone);
        span_set_alloc_word(s, w, allocated & live);
        if (gone && aload(&s->nsampled, memory_order_relaxed))
            sampled_freed(s, w, gone);
        if (mem_poison && gone)
            poison_slots(s, w, gone);
    }
    astore(&s->sweepgen, sg, memory_order_release);
    if (n) {
        s->alloc_count -= (uint32_t)n;
        s->needzero = true;
        astore(&s->freeindex, 0, memory_order_relaxed);
    }
    central_place(c, s);
    lock_release(&c->lock);
    mem_count_free(elemsize, n);
    return n;
}

void mem_span_ensure_swept(mem_span *s) {
    uint32_t sg = aload(&mem_sweepgen, memory_order_relaxed);
    if (aload(&s->sweepgen, memory_order_acquire) == sg)
        return;
    critical_begin();
    sweep_if_claimed(s);
    critical_end();
    while (aload(&s->sweepgen, memory_order_acquire) != sg)
        cpu_relax();
}

static void file_unswept(mem_span *s, void *arg) {
    (void)arg;
    /* Since mem_sweep_start the span may have been swept (sg) or be being
     * swept (sg - 1), or be new (sg); anything older holds stale marks the
     * next mark would trust: loud, not silent. */
    uint32_t sg = aload(&mem_sweepgen, memory_order_relaxed);
    uint32_t span_sg = aload(&s->sweepgen, memory_order_acquire);
    if (span_sg == sg || span_sg == sg - 1)
        return;
    if (span_sg != sg - 2)
        fatal("mem_sweep_start: span %p of class %u was not swept after the last cycle",
              (void *)s->base, (unsigned)s->spanclass);
    central *c = &centrals[s->spanclass];
    critical_begin();
    lock_acquire(&c->lock);
    s->sweep_next = c->unswept;
    astore(&c->unswept, s, memory_order_relaxed);
    afetch_add(&nunswept, 1, memory_order_relaxed);
    lock_release(&c->lock);
    critical_end();
}

void mem_sweep_start(void) {
    for (uint32_t i = 0; i < MEM_NUM_SPAN_CLASSES; i++) {
        central *c = &centrals[i];
        while (c->partial)
            partial_remove(c, c->partial);
        if (c->unswept)
            fatal("mem_sweep_start: the last cycle's sweep was not finished");
    }
    /* Every in-use span now reads as holding last cycle's marks. */
    afetch_add(&mem_sweepgen, 2, memory_order_release);
}

void mem_sweep_file(void) { mem_for_each_span(file_unswept, NULL); }

bool mem_sweep_one(void) {
    static _Atomic uint32_t cursor;
    while (aload(&nunswept, memory_order_relaxed)) {
        uint32_t start = afetch_add(&cursor, 1, memory_order_relaxed);
        for (uint32_t k = 0; k < MEM_NUM_SPAN_CLASSES; k++) {
            central *c = &centrals[(start + k) % MEM_NUM_SPAN_CLASSES];
            if (!aload(&c->unswept, memory_order_relaxed))
                continue;
            critical_begin();
            lock_acquire(&c->lock);
            mem_span *s = unswept_pop(c);
            lock_release(&c->lock);
            if (s)
                sweep_if_claimed(s);
            critical_end();
            if (s)
                return true;
        }
    }
    return false;
}

uint64_t mem_unswept_spans(void) {
    return aload(&nunswept, memory_order_relaxed);
}
