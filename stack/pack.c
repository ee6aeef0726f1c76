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
 * Blocks come in power-of-two classes from PACK_MIN to PACK_MAX bytes,
 * carved from populated chunks and recycled through per-class free lists
 * (linked through the free blocks themselves). */
#include <sys/mman.h>

#include "base/atomics.h"
#include "base/lock.h"
#include "stack/move.h"

#define PACK_MIN_SHIFT 8                     /* 256 bytes */
#define PACK_MAX_SHIFT 11                    /* 2 KiB */
#define PACK_CLASSES   (PACK_MAX_SHIFT - PACK_MIN_SHIFT + 1)
#define PACK_CHUNK     ((size_t)64 << 10)
/* Blocks are aligned to this, and so the move keeps every frame's
 * alignment (over-aligned locals up to 64 bytes, AVX-512 spills). */
#define PACK_ALIGN     64

static goc_lock pack_lock = GOC_LOCK_INIT;
static void *free_blocks[PACK_CLASSES];
static uintptr_t chunk_next, chunk_end;
static _Atomic uint64_t packed_bytes, packed_reserved;

static int pack_class(size_t bytes) {
    int cls = 0;
    while (((size_t)1 << (cls + PACK_MIN_SHIFT)) < bytes)
        cls++;
    return cls;
}

static size_t class_bytes(int cls) { return (size_t)1 << (cls + PACK_MIN_SHIFT); }

static uintptr_t block_alloc(int cls) {
    size_t bytes = class_bytes(cls);
    uintptr_t b = 0;
    lock_acquire(&pack_lock);
    if (free_blocks[cls]) {
        b = (uintptr_t)free_blocks[cls];
        free_blocks[cls] = *(void **)free_blocks[cls];
    } else {
        if (chunk_end - chunk_next < bytes) {
            void *p = mmap(NULL, PACK_CHUNK, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p != MAP_FAILED) {
                chunk_next = (uintptr_t)p;
                chunk_end = chunk_next + PACK_CHUNK;
                stack_populate(chunk_next, chunk_end);
                afetch_add(&packed_reserved, PACK_CHUNK, memory_order_relaxed);
            }
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
    return s->hi - (uintptr_t)ctx->sp <= class_bytes(PACK_CLASSES - 1);
#endif
}

bool stack_pack_user(const stack_user *u, goc_stack *old) {
    uintptr_t used = u->stack->hi - (uintptr_t)u->ctx->sp;
    int cls = pack_class(used);
    uintptr_t b = block_alloc(cls);
    if (!b)
        return false;
    /* Blocks of every class are multiples of the smallest, so its end is
     * PACK_ALIGN-aligned like the slot's (page-aligned). */
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
