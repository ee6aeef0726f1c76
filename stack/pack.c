/* SPDX-License-Identifier: MIT */
/* Parked compaction.  A parked goroutine keeps at least one touched page
 * of its slot, though most use a few hundred bytes of it: at a collection
 * those frames move into a small block, several to a page, and the slot is
 * given back.  The goroutine gets a slot again when it is next scheduled.
 * A packed stack never runs, so it needs no guard.
 *
 * Unlike a stack that grew, the slot left behind is not quarantined: the
 * scan that allowed the move found nothing pointing into it (the
 * collector's own standard for freeing memory), and guarding a million
 * slots one by one costs a TLB shootdown each, seconds in all; they are
 * released in bulk instead (stack_free_many).
 *
 * Blocks come in classes PACK_GRAIN bytes apart from PACK_MIN to PACK_MAX,
 * carved from populated chunks and recycled through per-class free lists
 * (linked through the free blocks themselves).  Classes that fine keep a
 * goroutine parked in a channel receive (304 bytes of frames) in 320
 * bytes rather than the 512 a power of two would take.
 *
 * Packing a million parked goroutines writes hundreds of megabytes of
 * fresh blocks inside the collector's pause: once the blocks outgrow a few
 * chunks, chunks are huge pages (base/hugemap.h). */
#include <sys/mman.h>

#include "base/atomics.h"
#include "base/hugemap.h"
#include "base/lock.h"
#include "stack/move.h"

/* Every class is a multiple of the grain, so every block starts and ends
 * aligned to it, and the move keeps every frame's alignment (over-aligned
 * locals up to 64 bytes, AVX-512 spills). */
#define PACK_GRAIN     ((size_t)64)
#define PACK_MIN       ((size_t)256)
#define PACK_MAX       ((size_t)2 << 10)
#define PACK_CLASSES   ((PACK_MAX - PACK_MIN) / PACK_GRAIN + 1)
#define PACK_CHUNK     ((size_t)64 << 10)
/* Chunks are PACK_CHUNK until this much is reserved, huge pages after. */
#define HUGE_AFTER     ((size_t)4 << 20)

static goc_lock pack_lock = GOC_LOCK_INIT;
static void *free_blocks[PACK_CLASSES];
static uintptr_t chunk_next, chunk_end;
static _Atomic uint64_t packed_bytes, packed_reserved;

static int pack_class(size_t bytes) {
    return bytes <= PACK_MIN ? 0 : (int)((bytes - PACK_MIN + PACK_GRAIN - 1) / PACK_GRAIN);
}

static size_t class_bytes(int cls) { return PACK_MIN + (size_t)cls * PACK_GRAIN; }

/* A fresh chunk of blocks, populated; NULL when out of memory.  Called
 * with pack_lock held. */
static void *chunk_alloc(size_t *len) {
    if (aload(&packed_reserved, memory_order_relaxed) >= HUGE_AFTER) {
        *len = HUGE_PAGE_BYTES;
        return huge_map(HUGE_PAGE_BYTES);
    }
    void *p = mmap(NULL, PACK_CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    stack_populate((uintptr_t)p, (uintptr_t)p + PACK_CHUNK);
    *len = PACK_CHUNK;
    return p;
}

static uintptr_t block_alloc(int cls) {
    size_t bytes = class_bytes(cls);
    uintptr_t b = 0;
    lock_acquire(&pack_lock);
    if (free_blocks[cls]) {
        b = (uintptr_t)free_blocks[cls];
        free_blocks[cls] = *(void **)free_blocks[cls];
    } else {
        size_t len;
        void *p;
        if (chunk_end - chunk_next < bytes && (p = chunk_alloc(&len))) {
            chunk_next = (uintptr_t)p;
            chunk_end = chunk_next + len;
            afetch_add(&packed_reserved, len, memory_order_relaxed);
        }
        if (chunk_end - chunk_next >= bytes) {
            b = chunk_next;
            chunk_next += bytes;
        }
    }
    lock_release(&pack_lock);
    if (b)
        afetch_add(&packed_bytes, bytes, memory_order_relaxed);
    return b;
}

static void block_free(uintptr_t b, int cls) {
    lock_acquire(&pack_lock);
    *(void **)b = free_blocks[cls];
    free_blocks[cls] = (void *)b;
    lock_release(&pack_lock);
    afetch_sub(&packed_bytes, class_bytes(cls), memory_order_relaxed);
}

void stack_packed_stats(uint64_t *inuse, uint64_t *reserved) {
    *inuse = aload(&packed_bytes, memory_order_relaxed);
    *reserved = aload(&packed_reserved, memory_order_relaxed);
}

bool stack_fits_pack(const goc_stack *s, const goc_ctx *ctx) {
#ifdef GOC_ASAN
    /* The frames' redzones would have to be poisoned in the blocks, and
     * unpoisoned before reuse: ASan builds keep slots. */
    (void)s, (void)ctx;
    return false;
#else
    return s->hi - (uintptr_t)ctx->sp <= PACK_MAX;
#endif
}

bool stack_pack_user(const stack_user *u, goc_stack *old) {
    uintptr_t used = u->stack->hi - (uintptr_t)u->ctx->sp;
    int cls = pack_class(used);
    uintptr_t b = block_alloc(cls);
    if (!b)
        return false;
    /* Its end is PACK_GRAIN-aligned like the slot's (page-aligned). */
    goc_stack block = {.lo = b, .hi = b + class_bytes(cls), .guard_lo = b, .slot = 0};
    *old = *u->stack;
    stack_move_parked(u, &block);
    return true;
}

void stack_unpack_into(const stack_user *u, goc_stack *slot) {
    goc_stack block = *u->stack;
    stack_move_parked(u, slot);
    block_free(block.lo, pack_class(block.hi - block.lo));
}
