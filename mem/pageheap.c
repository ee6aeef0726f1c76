/* SPDX-License-Identifier: MIT */
/* The page heap: free pages of every arena in bitmaps (first fit, lowest
 * address first), spans carved from them, and the bookkeeping that tells
 * which free pages still hold memory (dirty) and which were released to the
 * OS or never touched (and so read as zero). */
#include "mem/bitmap.h"
#include "mem/mem.h"

mem_heap mheap = {.lock = GOC_LOCK_INIT};

/* Length of the free run ending at a->grown. */
static size_t trailing_free(const mem_arena *a) {
    size_t pg = a->grown;
    while (pg > 0 && (a->free_bits[(pg - 1) / 64] >> ((pg - 1) % 64) & 1))
        pg--;
    return a->grown - pg;
}

static size_t arena_find_run(const mem_arena *a, size_t npages) {
    size_t pg = a->first_free;
    while (pg < a->grown) {
        size_t start = bits_find_set(a->free_bits, NULL, pg, a->grown);
        if (start == a->grown)
            break;
        size_t end = bits_find_clear(a->free_bits, NULL, start, a->grown);
        if (end - start >= npages)
            return start;
        pg = end;
    }
    return SIZE_MAX;
}

/* Take [start, start + npages) out of the free set; returns whether any of
 * it may hold stale bytes. */
static bool arena_take(mem_arena *a, size_t start, size_t npages) {
    size_t zeroed = bits_count_range(a->scav_bits, start, npages);
    bits_clear_range(a->free_bits, start, npages);
    bits_clear_range(a->scav_bits, start, npages);
    a->nfree -= npages;
    if (start == a->first_free)
        a->first_free = bits_find_set(a->free_bits, NULL, start + npages, a->grown);
    afetch_sub(&mheap.released_pages, zeroed, memory_order_seq_cst);
    afetch_add(&mheap.inuse_pages, npages, memory_order_seq_cst);
    return zeroed != npages;
}

static void arena_give_back(mem_arena *a, size_t start, size_t npages) {
    bits_set_range(a->free_bits, start, npages);
    a->nfree += npages;
    if (start < a->first_free)
        a->first_free = start;
}

mem_arena *heap_find_pages(size_t npages, size_t request, size_t *start) {
    for (mem_arena *a = mheap.arenas; a; a = a->next) {
        if (a->nfree < npages)
            continue;
        size_t pg = arena_find_run(a, npages);
        if (pg != SIZE_MAX) {
            *start = pg;
            return a;
        }
    }
    for (mem_arena *a = mheap.arenas; a; a = a->next) {
        size_t tail = trailing_free(a);
        if (a->npages - a->grown + tail >= npages) {
            *start = a->grown - tail;
            arena_grow(a, npages - tail, request);
            return a;
        }
    }
    mem_arena *a = arena_reserve(npages, request);
    arena_grow(a, npages, request);
    *start = 0;
    return a;
}

mem_span *heap_alloc_span(size_t npages, uint32_t spanclass, size_t request, mem_page_cache *pc) {
    mem_span *s = span_descriptor_new();
    mem_arena *a;
    size_t start;
    bool needzero;
    if (!pc || !page_cache_take(pc, npages, &a, &start, &needzero)) {
        lock_acquire(&mheap.lock);
        a = heap_find_pages(npages, request, &start);
        needzero = arena_take(a, start, npages);
        lock_release(&mheap.lock);
    }
    span_init(s, a->base + (start << MEM_PAGE_SHIFT), npages, spanclass, needzero);
    for (size_t pg = start; pg < start + npages; pg++)
        astore(&a->spans[pg], s, memory_order_release);
    astore(&s->state, SPAN_INUSE, memory_order_release);
    return s;
}

void heap_free_span(mem_span *s) {
    mem_arena *a = mem_arena_of(s->base);
    size_t start = (s->base - a->base) >> MEM_PAGE_SHIFT;
    astore(&s->state, SPAN_FREE, memory_order_release);
    for (size_t pg = start; pg < start + s->npages; pg++)
        astore(&a->spans[pg], NULL, memory_order_relaxed);
    lock_acquire(&mheap.lock);
    arena_give_back(a, start, s->npages);
    afetch_sub(&mheap.inuse_pages, s->npages, memory_order_seq_cst);
    bool wake = mem_scavenge_needed();
    lock_release(&mheap.lock);
    span_release_bits(s);
    span_descriptor_free(s);
    if (wake)
        mem_scavenger_wake();
}

/* Scavenging works on free pages that still hold memory, in chunks that do
 * not cross a 2 MiB boundary (a transparent huge page is released whole),
 * from the highest address down, as Go's scavenger: allocation takes the
 * lowest free pages first, so the highest are the last it will touch again
 * (releasing the lowest had allocation fault them straight back in). */
#define SCAVENGE_ALIGN_PAGES ((2u << 20) >> MEM_PAGE_SHIFT)

mem_arena *heap_scavenge_take(size_t max_pages, size_t *start, size_t *npages) {
    mem_arena *found = NULL;
    size_t last = 0;
    for (mem_arena *a = mheap.arenas; a; a = a->next) {
        size_t pg = bits_find_last_set(a->free_bits, a->scav_bits, a->first_free, a->grown);
        if (pg != a->grown) {
            found = a;
            last = pg;
        }
    }
    if (!found)
        return NULL;
    size_t limit = last / SCAVENGE_ALIGN_PAGES * SCAVENGE_ALIGN_PAGES;
    if (limit < found->first_free)
        limit = found->first_free;
    if (last + 1 - limit > max_pages)
        limit = last + 1 - max_pages;
    size_t below = bits_find_last_clear(found->free_bits, found->scav_bits, limit, last);
    size_t first = below == SIZE_MAX ? limit : below + 1;
    arena_take(found, first, last + 1 - first);
    /* Taken pages are not in use: they stay idle and retained meanwhile. */
    afetch_sub(&mheap.inuse_pages, last + 1 - first, memory_order_seq_cst);
    *start = first;
    *npages = last + 1 - first;
    return found;
}

void heap_scavenge_done(mem_arena *a, size_t start, size_t npages) {
    arena_give_back(a, start, npages);
    bits_set_range(a->scav_bits, start, npages);
    afetch_add(&mheap.released_pages, npages, memory_order_seq_cst);
}
