/* SPDX-License-Identifier: MIT */
/* Per-cache page caches (see mem_page_cache in mem.h): most small spans are
 * carved without the heap lock, which otherwise every P would take for every
 * span it fills. */
#include "mem/bitmap.h"
#include "mem/mem.h"

/* Bit i set iff bits i .. i + n - 1 of free are all set. */
static uint64_t run_starts(uint64_t free, size_t n) {
    uint64_t starts = free;
    for (size_t k = 1; k < n; k++)
        starts &= free >> k;
    return starts;
}

/* Take the free pages of the chunk holding the heap's lowest free page,
 * mapping more memory if there is none. */
static void page_cache_fill(mem_page_cache *pc) {
    lock_acquire(&mheap.lock);
    mem_arena *a = mheap.arenas;
    size_t pg = 0;
    for (; a; a = a->next) {
        if (a->nfree && (pg = bits_find_set(a->free_bits, NULL, a->first_free, a->grown)) < a->grown)
            break;
    }
    if (!a)
        a = heap_find_pages(1, MEM_PAGE_SIZE, &pg);
    size_t w = pg / 64;
    pc->arena = a;
    pc->chunk = w * 64;
    pc->free = a->free_bits[w];
    pc->zeroed = a->scav_bits[w] & pc->free;
    a->free_bits[w] = 0;
    a->scav_bits[w] &= ~pc->free;
    a->nfree -= (size_t)__builtin_popcountll(pc->free);
    if (a->first_free >= pc->chunk && a->first_free < pc->chunk + 64)
        a->first_free = bits_find_set(a->free_bits, NULL, pc->chunk + 64, a->grown);
    lock_release(&mheap.lock);
}

bool page_cache_take(mem_page_cache *pc, size_t npages, mem_arena **arena, size_t *start,
                     bool *needzero) {
    if (npages > MEM_PAGE_CACHE_MAX_RUN)
        return false;
    if (!pc->free)
        page_cache_fill(pc);
    uint64_t starts = run_starts(pc->free, npages);
    if (!starts)
        return false;
    unsigned first = (unsigned)__builtin_ctzll(starts);
    uint64_t run = (((uint64_t)1 << npages) - 1) << first;
    size_t zeroed = (size_t)__builtin_popcountll(pc->zeroed & run);
    pc->free &= ~run;
    pc->zeroed &= ~run;
    afetch_sub(&mheap.released_pages, zeroed, memory_order_seq_cst);
    afetch_add(&mheap.inuse_pages, npages, memory_order_seq_cst);
    *arena = pc->arena;
    *start = pc->chunk + first;
    *needzero = zeroed != npages;
    return true;
}

void page_cache_flush(mem_page_cache *pc) {
    if (!pc->free)
        return;
    mem_arena *a = pc->arena;
    size_t w = pc->chunk / 64;
    lock_acquire(&mheap.lock);
    a->free_bits[w] |= pc->free;
    a->scav_bits[w] |= pc->zeroed;
    a->nfree += (size_t)__builtin_popcountll(pc->free);
    size_t first = pc->chunk + (size_t)__builtin_ctzll(pc->free);
    if (first < a->first_free)
        a->first_free = first;
    lock_release(&mheap.lock);
    pc->free = pc->zeroed = 0;
}
