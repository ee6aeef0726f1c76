/* Guarded goroutine stacks carved from large MAP_NORESERVE reservations.
 * Each slot is [guard | usable]; the guard sits at the low end because
 * stacks grow down.  Guards are installed with MADV_GUARD_INSTALL, which
 * costs no VMA, falling back to mprotect where the kernel lacks it. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sched/lock.h"
#include "stack/stack.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

#define STACK_USABLE   (256u << 10)
#define STACK_GUARD    (64u << 10)
#define STACK_SLOT     (STACK_USABLE + STACK_GUARD)
#define SLOTS_PER_CHUNK 1024
#define STACK_RETAIN    4096   /* free slots kept with their pages resident */

static goc_lock arena_lock = GOC_LOCK_INIT;
static uintptr_t chunk_next, chunk_end;   /* unused slots of the newest chunk */
/* Released slots, guards intact.  Kept in a side array: a link stored in
 * the slot itself would fault in a page the stack never used. */
static uintptr_t *free_slots;
static size_t nfree, free_cap;
static _Atomic uint64_t slots_in_use, bytes_reserved;
static _Atomic int guard_mode;            /* 0 unknown, 1 madvise, 2 mprotect */

size_t stack_default_size(void) { return STACK_USABLE; }

static void *mremap_or_map(void *old, size_t old_len, size_t new_len) {
    void *p = old ? mremap(old, old_len, new_len, MREMAP_MAYMOVE)
                  : mmap(NULL, new_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static int install_guard(uintptr_t lo) {
    int mode = atomic_load_explicit(&guard_mode, memory_order_relaxed);
    if (mode != 2) {
        if (madvise((void *)lo, STACK_GUARD, MADV_GUARD_INSTALL) == 0) {
            atomic_store_explicit(&guard_mode, 1, memory_order_relaxed);
            return 0;
        }
        if (errno != EINVAL)
            return -1;
        atomic_store_explicit(&guard_mode, 2, memory_order_relaxed);
    }
    return mprotect((void *)lo, STACK_GUARD, PROT_NONE);
}

static int new_chunk(void) {
    size_t len = (size_t)STACK_SLOT * SLOTS_PER_CHUNK;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    /* A huge page would turn each stack's first touch into a 2 MiB clear. */
    madvise(p, len, MADV_NOHUGEPAGE);
    chunk_next = (uintptr_t)p;
    chunk_end = chunk_next + len;
    atomic_fetch_add(&bytes_reserved, len);
    return 0;
}

int stack_alloc(size_t size, goc_stack *out) {
    (void)size;   /* fixed-size slots until stacks can grow by copying */
    uintptr_t slot = 0;
    bool fresh = false;
    lock_acquire(&arena_lock);
    if (nfree) {
        slot = free_slots[--nfree];
    } else if (chunk_next < chunk_end || new_chunk() == 0) {
        slot = chunk_next;
        chunk_next += STACK_SLOT;
        fresh = true;
    }
    lock_release(&arena_lock);
    if (!slot)
        return -1;
    if (fresh && install_guard(slot) != 0)
        return -1;   /* the slot stays unused: its address range is leaked, not reused unguarded */
    atomic_fetch_add_explicit(&slots_in_use, 1, memory_order_relaxed);
    out->guard_lo = slot;
    out->lo = slot + STACK_GUARD;
    out->hi = slot + STACK_SLOT;
    out->slot = STACK_SLOT;
    return 0;
}

void stack_free(goc_stack *s) {
    uintptr_t slot = s->guard_lo;
    lock_acquire(&arena_lock);
    if (nfree == free_cap) {
        size_t cap = free_cap ? 2 * free_cap : 1024;
        uintptr_t *grown = mremap_or_map(free_slots, free_cap * sizeof *grown, cap * sizeof *grown);
        if (!grown) {
            lock_release(&arena_lock);
            return;   /* cannot track it: leave the slot unused */
        }
        free_slots = grown;
        free_cap = cap;
    }
    /* Slots are reused last-in first-out, so the newest STACK_RETAIN keep
     * their pages (a fresh page fault costs microseconds); older ones give
     * them back.  Invariant: free_slots[0, nfree - STACK_RETAIN) are released. */
    uintptr_t release = nfree >= STACK_RETAIN ? free_slots[nfree - STACK_RETAIN] : 0;
    free_slots[nfree++] = slot;
    if (release)   /* under the lock: the slot must not be handed out meanwhile */
        madvise((void *)(release + STACK_GUARD), STACK_USABLE, MADV_DONTNEED);
    lock_release(&arena_lock);
    atomic_fetch_sub_explicit(&slots_in_use, 1, memory_order_relaxed);
    memset(s, 0, sizeof *s);
}

void stack_stats(uint64_t *inuse, uint64_t *sys) {
    *inuse = atomic_load_explicit(&slots_in_use, memory_order_relaxed) * STACK_USABLE;
    *sys = atomic_load_explicit(&bytes_reserved, memory_order_relaxed);
}
