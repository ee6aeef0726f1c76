/* SPDX-License-Identifier: MIT */
/* The collected heap's allocator: internal interface for sched/, gc/ and tests.
 *
 * Shape (Go's runtime/malloc.go): objects up to 32 KiB are rounded up to one
 * of MEM_NUM_CLASSES size classes and carved out of spans (runs of 8 KiB pages)
 * holding objects of a single class; larger objects get a span of their own.
 * Every span class exists twice, "scan" (goc_alloc) and "noscan"
 * (goc_alloc_atomic), so the collector can skip pointer-free spans wholesale.
 * Each P owns a cache holding one span per span class and allocates from it
 * without locks; a cache refills from the central list of its span class,
 * which refills from the page heap, which maps memory in 64 MiB arenas.
 * Runtime metadata (span descriptors, arena records, caches) lives in a
 * dedicated jemalloc arena (mem_meta_alloc), never in the collected heap. */
#ifndef GOC_MEM_H
#define GOC_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/atomics.h"
#include "base/lock.h"

#define MEM_PAGE_SHIFT   13
#define MEM_PAGE_SIZE    ((size_t)1 << MEM_PAGE_SHIFT)
#define MEM_ARENA_SHIFT  26
#define MEM_ARENA_SIZE   ((size_t)1 << MEM_ARENA_SHIFT)
#define MEM_ARENA_PAGES  (MEM_ARENA_SIZE >> MEM_PAGE_SHIFT)
#define MEM_ADDR_BITS    48
#define MEM_MAX_SMALL    32768
/* Requests above this cannot fit the user address space: NULL + ENOMEM. */
#define MEM_MAX_ALLOC    (((size_t)1 << 47) - MEM_ARENA_SIZE)

/* Class 0 stands for large objects; classes 1.. are small. */
#define MEM_NUM_CLASSES       73
#define MEM_NUM_SPAN_CLASSES  (MEM_NUM_CLASSES * 2)
/* No small span holds more objects than this (16-byte objects in one page). */
#define MEM_MAX_SPAN_OBJECTS  (MEM_PAGE_SIZE / 16)

/* ---- size classes (sizeclass.c) -------------------------------------------
 * Internal waste bound, checked by tests/mem_sizeclass.c: for a request of n
 * bytes (1 <= n <= MEM_MAX_SMALL) the object is smaller than n + max(16, n/8),
 * i.e. at most 15 bytes or 12.5% of the request is wasted, and every span
 * wastes at most 1/8 of its pages in its tail. */
typedef struct mem_class_info {
    uint32_t size;      /* object size */
    uint32_t npages;    /* pages per span */
    uint32_t nelems;    /* objects per span */
    uint32_t divmul;    /* offset * divmul >> 32 == offset / size within a span */
} mem_class_info;
extern mem_class_info mem_classes[MEM_NUM_CLASSES];
void     mem_sizeclass_init(void);
#define MEM_SMALL_LOOKUP_MAX 1024
extern uint8_t mem_class_by_16[MEM_SMALL_LOOKUP_MAX / 16 + 1];
extern uint8_t mem_class_by_128[MEM_MAX_SMALL / 128 + 1];
/* 0 <= size <= MEM_MAX_SMALL, after mem_init. */
static inline uint32_t mem_size_to_class(size_t size) {
    if (size <= MEM_SMALL_LOOKUP_MAX)
        return mem_class_by_16[(size + 15) >> 4];
    return mem_class_by_128[(size + 127) >> 7];
}
/* One-time set-up of the tables and the arena index (idempotent). */
void     mem_init(void);

static inline uint32_t mem_spanclass(uint32_t sizeclass, bool noscan) {
    return sizeclass << 1 | (uint32_t)noscan;
}

/* ---- spans (span.c) ------------------------------------------------------ */
enum { SPAN_FREE, SPAN_INUSE };

typedef struct mem_span mem_span;
struct mem_span {
    uintptr_t        base;
    size_t           npages;
    size_t           elemsize;      /* large: npages * MEM_PAGE_SIZE */
    uint32_t         nelems;
    uint32_t         divmul;
    uint8_t          spanclass;
    _Atomic uint8_t  state;         /* SPAN_FREE / SPAN_INUSE */
    bool             needzero;      /* free slots may hold stale bytes */
    bool             cached;        /* owned by a cache (central lock) */
    bool             in_partial;    /* on its central partial list */
    /* Allocation state.  Slots below freeindex are allocated; at or above it
     * a slot is allocated iff its alloc bit is set.  While the span is cached
     * only the owning cache writes these (freeindex is atomic for the
     * collector's readers); otherwise the central lock protects them and
     * alloc_bits are exact. */
    _Atomic uint32_t freeindex;
    uint32_t         alloc_count;
    uint64_t         alloc_cache;   /* ~alloc_bits from freeindex on */
    uint32_t         nfreed;        /* explicit frees waiting for a sweep */
    uint32_t         nwords;        /* words in each bitmap */
    _Atomic uint64_t *alloc_bits;   /* read lock-free by lookups */
    _Atomic uint64_t *mark_bits;
    _Atomic uint64_t *freed_bits;   /* mem_free'd while cached */
    _Atomic uint64_t *check_bits;   /* the collector's second mark (gccheckmark) */
    uint64_t        *bits_storage;  /* owns the bitmaps when not inline */
    uint64_t         inline_bits[4];
    /* Sweep state against mem_sweepgen (sg), as Go's mspan.sweepgen:
     * sg - 2: holds the marks of the last cycle, needs sweeping;
     * sg - 1: being swept by whoever claimed it (mem_span_claim_sweep);
     * sg:     swept (or new), marks clear, usable by allocation. */
    _Atomic uint32_t sweepgen;
    mem_span        *sweep_next;    /* its class's unswept list (central.c) */
    /* Its objects the heap profile sampled and still counts in use: the
     * sweep that frees one tells it (mem_sampled_freed_hook), as Go's
     * sweeper finds a profile "special" on the span. */
    _Atomic uint32_t nsampled;
    mem_span        *next, *prev;   /* central partial list */
    mem_span        *free_next;     /* descriptor free list */
};

/* alloc, mark, freed, check */
#define SPAN_NBITMAPS 4

mem_span *span_descriptor_new(void);       /* type-stable: never unmapped */
void      span_init(mem_span *s, uintptr_t base, size_t npages, uint32_t spanclass, bool needzero);
void      span_release_bits(mem_span *s);
void      span_descriptor_free(mem_span *s);
/* Next free slot index at or after freeindex, or nelems; advances freeindex. */
uint32_t  span_next_free_index(mem_span *s);
/* Load alloc_cache with the free slots from index to the end of its word. */
void      span_refill_alloc_cache(mem_span *s, uint32_t index);
/* Turn "slots below freeindex" into alloc bits (span leaving a cache). */
void      span_materialize_alloc_bits(mem_span *s);

static inline uint32_t span_object_index(const mem_span *s, uintptr_t addr) {
    return (uint32_t)(((uint64_t)(addr - s->base) * s->divmul) >> 32);
}
static inline bool span_noscan(const mem_span *s) { return s->spanclass & 1; }
static inline uint64_t span_alloc_word(const mem_span *s, uint32_t w) {
    return aload(&s->alloc_bits[w], memory_order_relaxed);
}
static inline void span_set_alloc_word(mem_span *s, uint32_t w, uint64_t bits) {
    astore(&s->alloc_bits[w], bits, memory_order_relaxed);
}
/* Whether slot index holds an object (exact unless another P's cache is
 * allocating from s right now, when a just-taken slot may read as free). */
static inline bool span_slot_allocated(const mem_span *s, uint32_t index) {
    if (index < aload(&s->freeindex, memory_order_relaxed))
        return true;
    return span_alloc_word(s, index / 64) >> (index % 64) & 1;
}
static inline uint32_t span_sizeclass(const mem_span *s) { return s->spanclass >> 1; }
/* Free slots of s a cache may hand out: what the trigger counts as live
 * as soon as the span is cached. */
static inline uint64_t mem_span_free_bytes(const mem_span *s) {
    return (uint64_t)(s->nelems - s->alloc_count) * s->elemsize;
}

/* ---- arenas and the page heap (arena.c, pageheap.c) ----------------------
 * An arena is a 64 MiB-aligned reservation (a multiple of 64 MiB for objects
 * larger than an arena).  The arena index maps every 64 MiB of the address
 * space to its arena, giving O(1) pointer lookup. */
typedef struct mem_arena {
    uintptr_t        base;
    size_t           npages;      /* reserved */
    size_t           grown;       /* pages mapped read-write, from base (stored with
                                   * release: the write-fault handler reads it) */
    size_t           nfree;       /* free pages among the grown ones */
    size_t           first_free;  /* no free page below this */
    uint64_t        *free_bits;   /* 1: page free */
    uint64_t        *scav_bits;   /* 1: free page with no memory behind it (zero) */
    mem_span *_Atomic *spans;     /* page -> span owning it, NULL if free */
    uint64_t        *wp_written;  /* 1: page written since protected (writeprot.c) */
    struct mem_arena *next;       /* address-ordered list */
} mem_arena;

/* The page counts change under the lock, except when a cache carves a span
 * from its page cache: that decrements released_pages before it increments
 * inuse_pages, so readers holding the lock never see more pages released
 * than idle. */
typedef struct mem_heap {
    goc_lock         lock;
    mem_arena       *arenas;
    uint64_t         sys;             /* bytes mapped read-write */
    _Atomic uint64_t inuse_pages;     /* in spans */
    _Atomic uint64_t released_pages;  /* free, with no memory behind them */
} mem_heap;
extern mem_heap mheap;

/* A cache's private stash of pages: the free pages of one 64-page aligned
 * chunk, taken from the heap in one locked step, from which the cache carves
 * small spans without the heap lock (Go's pageCache).  Its pages count as
 * idle, and those with no memory behind them as released. */
#define MEM_PAGE_CACHE_MAX_RUN 16
typedef struct mem_page_cache {
    mem_arena *arena;
    size_t     chunk;     /* first page of the chunk in arena */
    uint64_t   free;      /* bit i: page chunk + i is the cache's */
    uint64_t   zeroed;    /* bit i: ... and has no memory behind it */
} mem_page_cache;
/* Pages for a span of npages (<= MEM_PAGE_CACHE_MAX_RUN) from pc, refilling
 * it when empty; false if pc has no such run. */
bool page_cache_take(mem_page_cache *pc, size_t npages, mem_arena **arena, size_t *start,
                     bool *needzero);
void page_cache_flush(mem_page_cache *pc);

extern mem_arena *_Atomic *mem_arena_index;
static inline mem_arena *mem_arena_of(uintptr_t addr) {
    if (addr >> MEM_ADDR_BITS)
        return NULL;
    mem_arena *_Atomic *index = mem_arena_index;
    if (!index)
        return NULL;
    return aload(&index[addr >> MEM_ARENA_SHIFT], memory_order_acquire);
}

/* The collector reads stacks conservatively, and a 32-bit store into a
 * slot that held a heap pointer leaves a word made of the pointer's high
 * half and the stored value.  Small integers and -1 are the values stored
 * most, so such words fall just above or just below a 4 GiB boundary of the
 * heap's own region: an object there would be kept alive by an int.  So an
 * arena that fits between two boundaries keeps a margin clear of each:
 * mem_arena_clear_of_boundaries gives the lowest MEM_ARENA_SIZE-aligned base
 * at or above from (aligned) for bytes that does, at most bytes + 2 margins
 * above from. */
#define MEM_BOUNDARY_SIZE   ((uintptr_t)1 << 32)
#define MEM_BOUNDARY_MARGIN ((uintptr_t)MEM_ARENA_SIZE)
uintptr_t mem_arena_clear_of_boundaries(uintptr_t from, size_t bytes);

/* Reserve a new arena of at least npages (heap lock held).  Fatal when out
 * of memory; request names the allocation for the message. */
mem_arena *arena_reserve(size_t npages, size_t request);
/* Map read-write npages more of a (heap lock held). */
void       arena_grow(mem_arena *a, size_t npages, size_t request);

/* A new in-use span of npages (its needzero says whether the memory may be
 * dirty), from pc when it can serve it (pc may be NULL), and giving one back.
 * heap_find_pages (heap lock held) finds or maps a free run. */
mem_span  *heap_alloc_span(size_t npages, uint32_t spanclass, size_t request, mem_page_cache *pc);
void       heap_free_span(mem_span *s);
mem_arena *heap_find_pages(size_t npages, size_t request, size_t *start);

/* The in-use span containing addr, or NULL.  O(1), lock-free. */
static inline mem_span *mem_span_of(const void *p) {
    uintptr_t addr = (uintptr_t)p;
    mem_arena *a = mem_arena_of(addr);
    if (!a)
        return NULL;
    size_t pg = (addr - a->base) >> MEM_PAGE_SHIFT;
    if (pg >= a->npages)
        return NULL;
    mem_span *s = aload(&a->spans[pg], memory_order_acquire);
    if (!s || aload(&s->state, memory_order_acquire) != SPAN_INUSE ||
        addr - s->base >= s->npages << MEM_PAGE_SHIFT)
        return NULL;
    return s;
}

/* Scavenger's side (heap lock held): take a run of dirty free pages out of
 * the free set, and put it back as released. */
mem_arena *heap_scavenge_take(size_t max_pages, size_t *start, size_t *npages);
void       heap_scavenge_done(mem_arena *a, size_t start, size_t npages);

/* ---- central lists (central.c) ------------------------------------------- */
/* A span with a free slot; new spans come from pages (the cache's). */
mem_span *central_cache_span(uint32_t spanclass, mem_page_cache *pages);
void      central_uncache_span(mem_span *s);       /* its cache gives s back */

/* ---- per-P caches (cache.c) ------------------------------------------------
 * Only the owner touches a cache (the P's running goroutine, or whoever holds
 * the shared cache's lock); the counters are single-writer atomics so that
 * goc_read_memstats can sum them without stopping anybody. */
typedef struct mem_cache mem_cache;
struct mem_cache {
    mem_span         *alloc[MEM_NUM_SPAN_CLASSES];  /* never NULL: &mem_empty_span */
    _Atomic uint64_t  nmalloc[MEM_NUM_CLASSES];     /* small objects handed out */
    mem_cache        *all_next, *all_prev;          /* registry for statistics */
    mem_page_cache    pages;
    /* Bytes handed out black (mem_allocate_black) since the collector last
     * took the count: marked live, though no mark found them. */
    uint64_t          black_bytes;
    /* Bytes its refills counted live since gc/ last took them (the mark
     * assists' charge, gc/assist.c): the slots of each span it took. */
    uint64_t          live_charged;
    /* gc/heapprof.c's: bytes to allocate before the next sampled one, and
     * whether that distance was ever drawn (a new cache's is 0). */
    int64_t           next_sample;
    bool              sample_armed;
};
extern mem_span mem_empty_span;
/* The cache of threads that are not goroutines, locked until _put. */
mem_cache *mem_cache_shared_get(void);
void       mem_cache_shared_put(void);
/* Hold off (and let go) allocation from the shared cache: with the world
 * stopped, the only allocation that could set mark bits (black) while a
 * lone mark worker sets them without atomics. */
void       mem_cache_shared_hold(void);
void       mem_cache_shared_release(void);
/* Slow path: c's span for spanclass is full; install one with a free slot. */
mem_span  *mem_cache_refill(mem_cache *c, uint32_t spanclass);
void *mem_cache_create(void);          /* called by sched/ for every new P */
void  mem_cache_destroy(void *c);      /* returns its spans to the central lists */
/* Give every cached span back to its central list.  The world must be stopped
 * (or the caches otherwise idle): the collector calls it before sweeping. */
void  mem_caches_flush(void);
/* Bytes allocated black since the last call, small and large (world
 * stopped: the caches' counters are their owners'). */
uint64_t mem_black_bytes_take(void);

/* ---- handing out objects (malloc.c) -----------------------------------------
 * The caller owns c (its P's cache, or the shared one under its lock).
 * mem_alloc_small_fast returns NULL when the current span's alloc cache is
 * used up; mem_alloc_small_refill then finds the next slot or a new span. */
static inline void *mem_take_slot(mem_cache *c, mem_span *s, uint32_t sizeclass, uint32_t index);
static inline void *mem_alloc_small_fast(mem_cache *c, size_t size, bool noscan) {
    uint32_t sizeclass = mem_size_to_class(size);
    mem_span *s = c->alloc[mem_spanclass(sizeclass, noscan)];
    uint64_t cache = s->alloc_cache;
    if (__builtin_expect(!cache, 0))
        return NULL;
    uint32_t bit = (uint32_t)__builtin_ctzll(cache);
    uint32_t index = aload(&s->freeindex, memory_order_relaxed) + bit;
    uint32_t next = index + 1;
    /* Crossing into the next bitmap word needs a refill: slow path. */
    if (__builtin_expect(index >= s->nelems || (next % 64 == 0 && next != s->nelems), 0))
        return NULL;
    s->alloc_cache = cache >> bit >> 1;
    astore(&s->freeindex, next, memory_order_relaxed);
    return mem_take_slot(c, s, sizeclass, index);
}
void *mem_alloc_small_refill(mem_cache *c, size_t size, bool noscan);
/* A large object's span (size > MEM_MAX_SMALL, <= MEM_MAX_ALLOC); its
 * memory is not zeroed when s->needzero (the caller clears it in chunks). */
mem_span *mem_alloc_large(size_t size, bool noscan);
/* The large object is cleared: during marking it becomes black now, not
 * before (a black object is never scanned, and the stale bytes of one
 * still being cleared are no pointers to keep anything by). */
void mem_alloc_large_ready(mem_span *s);

/* ---- collector interface ---------------------------------------------------
 * Lookup: the base of the allocated object containing p (interior pointers
 * included), or NULL; *span and *index describe it.  O(1). */
void *mem_object_base(const void *p, mem_span **span, uint32_t *index);
/* Mark bits (bits: s->mark_bits, or s->check_bits for the verifying
 * mark).  mem_mark returns true if the object was not marked before. */
static inline bool mem_mark_in(_Atomic uint64_t *bits, uint32_t index) {
    uint64_t bit = (uint64_t)1 << (index & 63);
    _Atomic uint64_t *word = &bits[index >> 6];
    /* Most words scanned point at objects marked already: read first. */
    if (aload(word, memory_order_relaxed) & bit)
        return false;
    return !(afetch_or(word, bit, memory_order_relaxed) & bit);
}
/* The same for a marker that is alone: nobody else sets bits meanwhile
 * (one mark worker, allocation held off with mem_cache_shared_hold), so the
 * locked read-modify-write, which also drains the CPU's pending loads, is
 * not needed. */
static inline bool mem_mark_in_alone(_Atomic uint64_t *bits, uint32_t index) {
    uint64_t bit = (uint64_t)1 << (index & 63);
    _Atomic uint64_t *word = &bits[index >> 6];
    uint64_t old = aload(word, memory_order_relaxed);
    if (old & bit)
        return false;
    astore(word, old | bit, memory_order_relaxed);
    return true;
}
static inline bool mem_mark(mem_span *s, uint32_t index) { return mem_mark_in(s->mark_bits, index); }
static inline bool mem_is_marked(mem_span *s, uint32_t index) {
    return aload(&s->mark_bits[index >> 6], memory_order_relaxed) >> (index & 63) & 1;
}
/* While set (during marking), new objects are allocated marked (black). */
void   mem_set_allocate_black(bool on);
extern _Atomic bool mem_allocate_black;
extern _Atomic uint64_t mem_large_black_bytes;   /* see mem_black_bytes_take */

/* Hand out slot index of s, c's span: inline, since every allocation takes
 * this path.  A span is zeroed when a cache takes it (central.c), so only
 * poisoning (which checks each slot as it is handed out) clears here. */
void mem_zero_slot(const mem_span *s, void *p);
static inline void *mem_take_slot(mem_cache *c, mem_span *s, uint32_t sizeclass, uint32_t index) {
    s->alloc_count++;
    astore(&c->nmalloc[sizeclass],
                          aload(&c->nmalloc[sizeclass], memory_order_relaxed) + 1,
                          memory_order_relaxed);
    if (__builtin_expect(aload(&mem_allocate_black, memory_order_relaxed), 0)) {
        mem_mark(s, index);
        c->black_bytes += s->elemsize;
    }
    void *p = (void *)(s->base + index * s->elemsize);
    if (__builtin_expect(s->needzero, 0))
        mem_zero_slot(s, p);
    return p;
}

/* ---- sweeping (sweep.c) ----------------------------------------------------
 * The collector sweeps lazily, as Go does: mem_sweep_start (world stopped,
 * caches flushed, after a mark) makes every in-use span unswept in one
 * step; mem_sweep_file, after the world runs again, files them on their
 * classes' unswept lists (walking the spans is proportional to the heap:
 * a pause must not be).  Until a span is filed, only mem_span_ensure_swept
 * sweeps it, and a cache that finds its class's lists empty takes a new
 * span.  From then on a cache that needs a span of
 * a class sweeps that class's unswept spans first (central_cache_span), the
 * collector's background sweeper sweeps the rest (mem_sweep_one), and the
 * next cycle finishes whatever is left before it marks.  Only swept spans
 * are ever cached or on a partial list. */
extern _Atomic uint32_t mem_sweepgen;
/* Called by a sweep for each object it frees from a span whose nsampled is
 * not zero (gc/heapprof.c sets it before it counts its first sample). */
extern void (*_Atomic mem_sampled_freed_hook)(uintptr_t addr);
void   mem_sweep_start(void);
void   mem_sweep_file(void);
/* Sweep one unswept span of any class; false when none is left. */
bool   mem_sweep_one(void);
/* Spans not swept yet (a hint: claims race). */
uint64_t mem_unswept_spans(void);
/* Take s for sweeping: true when the caller now owns its sweep. */
static inline bool mem_span_claim_sweep(mem_span *s) {
    uint32_t sg = aload(&mem_sweepgen, memory_order_relaxed);
    uint32_t expected = sg - 2;
    return acas(&s->sweepgen, &expected, sg - 1,
                                                   memory_order_acquire, memory_order_relaxed);
}
/* Sweep a span the caller claimed: unmarked objects are freed, mark bits
 * cleared, the span filed by occupancy (partial list, or back to the page
 * heap when empty).  Returns the number of objects freed. */
size_t mem_sweep_span(mem_span *s);
/* Return when s is swept, sweeping it here if nobody else is. */
void   mem_span_ensure_swept(mem_span *s);
/* GODEBUG's poisoning: freed small objects are filled with MEM_POISON and
 * checked when handed out again, so a write through a dangling pointer (a
 * premature free) stops the program instead of corrupting silently. */
#define MEM_POISON 0xdeadbeefdeadbeefull
extern bool mem_poison;
/* Bytes of heap the collector counts as live for its trigger: marked at the
 * last mark, plus every slot handed to a cache since (Go's heapLive). */
extern _Atomic uint64_t mem_heap_live;

/* Visit every in-use span / every arena.  Spans may be swept (and so freed)
 * by fn.  Allocation may run meanwhile: a span it makes or frees during the
 * walk may be visited or not. */
void   mem_for_each_span(void (*fn)(mem_span *s, void *arg), void *arg);
/* The spans starting in part `part` of nparts slices of every arena: disjoint
 * parts can be visited (and swept) in parallel. */
void   mem_for_each_span_in(unsigned part, unsigned nparts, void (*fn)(mem_span *s, void *arg),
                            void *arg);
/* The grown part of every arena; fn runs under the heap lock and must not
 * allocate from the heap. */
void   mem_for_each_arena(void (*fn)(uintptr_t base, size_t bytes, void *arg), void *arg);
/* From now on the heap's memory asks for transparent huge pages (pages
 * already touched stay as they are).  The heap starts on small pages: the
 * collector's write tracking calls this once the heap is large and it
 * found that tracking works on huge pages (gc/dirty.c). */
void   mem_heap_prefer_huge_pages(void);
/* The collector's heap goal, which the scavenger keeps 10% above.  Until the
 * collector sets one, the goal is twice the heap in use (pages), >= 4 MiB. */
void   mem_set_heap_goal(uint64_t bytes);

/* Explicit free, for tests and for the collector only (not in goc.h): p must
 * be the base of an allocated object nobody uses any more. */
void   mem_free(void *p);

/* ---- statistics (stats.c) --------------------------------------------------- */
/* Counters the caches do not hold; frees are counted at sweep or mem_free. */
extern _Atomic uint64_t mem_large_nmalloc, mem_large_bytes;
extern _Atomic uint64_t mem_nfree, mem_freed_bytes;
void     mem_count_free(size_t elemsize, uint64_t n);
/* Bytes in allocated objects (memstats heap_alloc). */
uint64_t mem_heap_alloc_bytes(void);
/* The heap's figures of goc_read_memstats (sys without the stacks: the
 * collector adds theirs and its own). */
struct goc_memstats;
void     mem_read_stats(struct goc_memstats *out);
/* Small objects allocated per class, by live and destroyed caches alike. */
void     mem_caches_count(uint64_t nmalloc[MEM_NUM_CLASSES]);

/* ---- scavenger (scavenge.c) -------------------------------------------------- */
void mem_scavenger_wake(void);           /* free pages exceed the retain goal */
/* The scavenger's CPU budget scales with GOMAXPROCS, which the scheduler
 * reports through nprocs (installed at start-up; one processor before). */
void mem_set_procs_source(int32_t (*nprocs)(void));
bool mem_scavenge_needed(void);          /* heap lock held */
/* Release up to max_pages free pages to the OS; returns pages released. */
size_t mem_scavenge(size_t max_pages);

/* ---- write protection for the collector (writeprot.c) ---------------------------
 * The collector's mprotect tracking mode: heap pages made read-only while it
 * marks, the first write to each caught by the runtime's SIGSEGV handler.
 * mem_wp_enable: the mode is on for good (the fault handler acts, and the
 * runtime's own I/O keeps the kernel from writing into the heap).
 * mem_wp_set_chunk: the unit a fault makes writable, for a heap of
 * heap_bytes (returned, in bytes).  mem_wp_start: [lo, +bytes) of one arena
 * protected, nothing in it written.  mem_wp_mark_written: [lo, +bytes) of
 * one arena counts as written (left writable).  mem_wp_lift: writable again.
 * mem_wp_fault: for the SIGSEGV handler (async-signal-safe): true if addr
 * was a protected heap page, now writable and recorded.  mem_wp_harvest: fn
 * for each run of [lo, hi) (one arena, whole words of its bitmap) written
 * since its start or last harvest, protected again first; returns the 4 KiB
 * pages reported.  mem_wp_touches_heap: whether [p, +n) overlaps an arena. */
bool   mem_wp_enabled(void);
void   mem_wp_enable(void);
size_t mem_wp_set_chunk(size_t heap_bytes);
void   mem_wp_start(uintptr_t lo, size_t bytes);
void   mem_wp_mark_written(uintptr_t lo, size_t bytes);
void   mem_wp_lift(uintptr_t lo, size_t bytes);
bool   mem_wp_fault(uintptr_t addr);
size_t mem_wp_harvest(uintptr_t lo, uintptr_t hi, void (*fn)(uintptr_t lo, uintptr_t hi, void *arg),
                      void *arg);
bool   mem_wp_touches_heap(const void *p, size_t n);

/* ---- runtime metadata through jemalloc (meta.c) -------------------------------
 * Zeroed memory from goc's private jemalloc arena: span descriptors, arena
 * records, caches, and the scheduler's records (goroutines, waiters).  Fatal
 * when out of memory. */
void    *mem_meta_alloc(size_t size);
void     mem_meta_free(void *p, size_t size);
/* A metadata array of *cap elements of elem bytes, n of them in use, grown
 * to twice its size (first when empty): returns the new array, old freed. */
void    *mem_meta_grow(void *old, size_t *cap, size_t n, size_t elem, size_t first);
uint64_t mem_meta_sys(void);             /* bytes jemalloc mapped for it */

/* Out of memory: prints the request Go-style and stops the program. */
void mem_throw_oom(size_t request) __attribute__((noreturn));

#endif
