/* SPDX-License-Identifier: MIT */
/* Arenas: 64 MiB-aligned reservations of address space, mapped read-write
 * piecemeal as the heap grows, and the index that maps any address to its
 * arena in O(1). */
#include <errno.h>
#include <pthread.h>
#include <sys/mman.h>

#include "mem/mem.h"

mem_arena *_Atomic *mem_arena_index;

/* One pointer per 64 MiB of the 48-bit address space: 32 MiB of address
 * space whose pages are touched only where arenas exist. */
#define ARENA_INDEX_ENTRIES ((size_t)1 << (MEM_ADDR_BITS - MEM_ARENA_SHIFT))

/* Grow in steps of at least 4 MiB, as Go does: every mprotect costs TLB
 * shootdowns across the threads of the process. */
#define GROW_STEP_PAGES 512

static void arena_index_init(void) {
    void *p = mmap(NULL, ARENA_INDEX_ENTRIES * sizeof(mem_arena *), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        mem_throw_oom(ARENA_INDEX_ENTRIES * sizeof(mem_arena *));
    mem_arena_index = p;
}

static void mem_init_once(void) {
    mem_sizeclass_init();
    arena_index_init();
}

void mem_init(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, mem_init_once);
}

static size_t bitmap_words(size_t nbits) { return (nbits + 63) / 64; }

/* Small enough arenas keep clear of 4 GiB boundaries (mem/mem.h). */
#define AVOID_MAX_BYTES (MEM_BOUNDARY_SIZE - 4 * MEM_BOUNDARY_MARGIN)

uintptr_t mem_arena_clear_of_boundaries(uintptr_t from, size_t bytes) {
    uintptr_t below = from & ~(MEM_BOUNDARY_SIZE - 1), above = below + MEM_BOUNDARY_SIZE;
    if (from - below < MEM_BOUNDARY_MARGIN)
        return below + MEM_BOUNDARY_MARGIN;
    if (from + bytes <= above - MEM_BOUNDARY_MARGIN)
        return from;
    return above + MEM_BOUNDARY_MARGIN;
}

/* Whether heap memory asks for transparent huge pages
 * (mem_heap_prefer_huge_pages).  Written under the heap lock. */
static bool prefer_huge;

/* Advice only: where the kernel gives no huge pages, small ones serve.
 * Set over the whole reservation, so the pieces arena_grow makes
 * read-write keep it. */
static void advise_huge(const mem_arena *a) {
    (void)madvise((void *)a->base, a->npages << MEM_PAGE_SHIFT, MADV_HUGEPAGE);
}

void mem_heap_prefer_huge_pages(void) {
    lock_acquire(&mheap.lock);
    prefer_huge = true;
    for (mem_arena *a = mheap.arenas; a; a = a->next)
        advise_huge(a);
    lock_release(&mheap.lock);
}

/* A PROT_NONE reservation aligned to MEM_ARENA_SIZE, or 0. */
static uintptr_t reserve_aligned(size_t bytes) {
    bool avoid = bytes <= AVOID_MAX_BYTES;
    size_t slack = avoid ? bytes + 3 * MEM_BOUNDARY_MARGIN : MEM_ARENA_SIZE;
    size_t padded = bytes + slack;
    if (padded < bytes)
        return 0;
    void *p = mmap(NULL, padded, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 0;
    uintptr_t start = (uintptr_t)p;
    uintptr_t base = (start + MEM_ARENA_SIZE - 1) & ~(uintptr_t)(MEM_ARENA_SIZE - 1);
    if (avoid)
        base = mem_arena_clear_of_boundaries(base, bytes);
    if (base > start)
        munmap(p, base - start);
    uintptr_t end = start + padded, used_end = base + bytes;
    if (end > used_end)
        munmap((void *)used_end, end - used_end);
    if ((used_end - 1) >> MEM_ADDR_BITS) {
        munmap((void *)base, bytes);
        return 0;
    }
    return base;
}

mem_arena *arena_reserve(size_t npages, size_t request) {
    size_t nchunks = (npages + MEM_ARENA_PAGES - 1) / MEM_ARENA_PAGES;
    size_t bytes = nchunks * MEM_ARENA_SIZE;
    uintptr_t base = reserve_aligned(bytes);
    if (!base)
        mem_throw_oom(request);
    mem_arena *a = mem_meta_alloc(sizeof *a);
    a->base = base;
    a->npages = nchunks * MEM_ARENA_PAGES;
    a->free_bits = mem_meta_alloc(bitmap_words(a->npages) * sizeof(uint64_t));
    a->scav_bits = mem_meta_alloc(bitmap_words(a->npages) * sizeof(uint64_t));
    a->spans = mem_meta_alloc(a->npages * sizeof(mem_span *));
    a->wp_written = mem_meta_alloc(bitmap_words(a->npages) * sizeof(uint64_t));
    /* Keep the list in address order so allocation prefers low addresses. */
    mem_arena **link = &mheap.arenas;
    while (*link && (*link)->base < base)
        link = &(*link)->next;
    a->next = *link;
    *link = a;
    for (size_t i = 0; i < nchunks; i++)
        astore(&mem_arena_index[(base >> MEM_ARENA_SHIFT) + i], a, memory_order_release);
    if (prefer_huge)
        advise_huge(a);
    return a;
}

void arena_grow(mem_arena *a, size_t npages, size_t request) {
    if (npages < GROW_STEP_PAGES)
        npages = GROW_STEP_PAGES;
    if (npages > a->npages - a->grown)
        npages = a->npages - a->grown;
    void *at = (void *)(a->base + (a->grown << MEM_PAGE_SHIFT));
    if (mprotect(at, npages << MEM_PAGE_SHIFT, PROT_READ | PROT_WRITE) != 0)
        mem_throw_oom(request);
    /* Fresh pages are free and hold no memory yet: counted as released. */
    for (size_t pg = a->grown; pg < a->grown + npages; pg++) {
        a->free_bits[pg / 64] |= (uint64_t)1 << (pg % 64);
        a->scav_bits[pg / 64] |= (uint64_t)1 << (pg % 64);
    }
    if (a->nfree == 0)
        a->first_free = a->grown;
    astore(&a->grown, a->grown + npages, memory_order_release);
    a->nfree += npages;
    mheap.sys += npages << MEM_PAGE_SHIFT;
    afetch_add(&mheap.released_pages, npages, memory_order_seq_cst);
}

void mem_for_each_arena(void (*fn)(uintptr_t base, size_t bytes, void *arg), void *arg) {
    lock_acquire(&mheap.lock);
    for (mem_arena *a = mheap.arenas; a; a = a->next)
        fn(a->base, a->grown << MEM_PAGE_SHIFT, arg);
    lock_release(&mheap.lock);
}

void mem_for_each_span_in(unsigned part, unsigned nparts, void (*fn)(mem_span *s, void *arg),
                          void *arg) {
    /* The world may run (mem_sweep_file): the list and each arena's
     * growth are read under the heap lock, the pages walked without it. */
    lock_acquire(&mheap.lock);
    mem_arena *a = mheap.arenas;
    size_t grown = a ? a->grown : 0;
    lock_release(&mheap.lock);
    while (a) {
        size_t end = grown * (part + 1) / nparts;
        for (size_t pg = grown * part / nparts; pg < end;) {
            mem_span *s = aload(&a->spans[pg], memory_order_acquire);
            uintptr_t page = a->base + (pg << MEM_PAGE_SHIFT);
            /* Only spans that start here are this part's; others' spans may
             * be freed meanwhile, so step over them a page at a time. */
            if (!s || aload(&s->state, memory_order_relaxed) != SPAN_INUSE ||
                s->base != page) {
                pg++;
                continue;
            }
            pg += s->npages;
            fn(s, arg);
        }
        lock_acquire(&mheap.lock);
        a = a->next;
        grown = a ? a->grown : 0;
        lock_release(&mheap.lock);
    }
}

void mem_for_each_span(void (*fn)(mem_span *s, void *arg), void *arg) {
    mem_for_each_span_in(0, 1, fn, arg);
}
