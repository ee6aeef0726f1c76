/* SPDX-License-Identifier: MIT */
/* Guarded goroutine stacks carved from large MAP_NORESERVE reservations.
 * Usable sizes are powers of two (size classes); each slot is
 * [guard | usable], the guard at the low end because stacks grow down.
 * Guards are installed with MADV_GUARD_INSTALL, which costs no VMA, falling
 * back to mprotect where the kernel lacks it (or GOC_STACK_GUARD=mprotect
 * asks for it).  An mprotect guard splits the mapping, so those are limited
 * to a budget taken from vm.max_map_count; past it stacks go unguarded,
 * after a warning. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/atomics.h"
#include "base/lock.h"
#include "base/sanitizers.h"
#include "base/sort.h"
#include "stack/stack.h"

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#ifndef MADV_GUARD_REMOVE
#define MADV_GUARD_REMOVE 103
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define STACK_GUARD      ((size_t)64 << 10)
#define MIN_SHIFT        STACK_INITIAL_SHIFT
#define MAX_SHIFT        40
#define NCLASSES         (MAX_SHIFT - MIN_SHIFT + 1)
#define FIXED_SIZE       ((size_t)256 << 10)   /* stacks that never grow */
#define CHUNK_BYTES      ((size_t)128 << 20)   /* reservation for small classes */
#define STACK_RETAIN     4096   /* free initial-class slots kept resident */
/* Moved-from stacks stay guarded until this many newer ones, or this many
 * usable bytes, are in quarantine. */
#define QUARANTINE_SLOTS 4096
#define QUARANTINE_BYTES ((size_t)1 << 30)
/* Share of vm.max_map_count the mprotect guards may use (2 VMAs each). */
#define VMA_SHARE_NUM    1
#define VMA_SHARE_DEN    2

/* Bits of a free-list entry (slots are page-aligned). */
#define SLOT_UNGUARDED ((uintptr_t)1)
#define SLOT_RELEASED  ((uintptr_t)2)   /* no memory behind its usable part */
#define SLOT_FLAGS     (SLOT_UNGUARDED | SLOT_RELEASED)

/* Fresh slots are prepared in batches (see prepare_batch), up to this many. */
#define READY_MAX        256

struct size_class {
    uintptr_t  chunk_next, chunk_end;  /* unused slots of the newest chunk */
    /* Fresh slots prepared ahead (guard installed, top page backed),
     * entries as in free[]; taken after free[].  batch: the next batch's
     * size, doubling from 4 to READY_MAX, so a program with a handful of
     * goroutines prepares a handful of slots. */
    uintptr_t  ready[READY_MAX];
    size_t     nready, batch;
    /* Released slots, guards intact.  Kept in a side array: a link stored
     * in the slot itself would fault in a page the stack never used. */
    uintptr_t *free;
    size_t     nfree, cap;
};

struct quarantined {
    uintptr_t lo, hi;
    int64_t   goid;
    int       cls;
    bool      guarded;
    bool      own_mapping;     /* unmapped on release */
    bool      slot_guarded;    /* own_mapping: its guard region is one */
};

enum guard_mode { GUARD_UNKNOWN, GUARD_MADVISE, GUARD_MPROTECT };

static goc_lock arena_lock = GOC_LOCK_INIT;
/* Set while this thread holds arena_lock: a stack fault taken meanwhile
 * cannot allocate (stack_arena_busy_here). */
static __thread bool arena_held __attribute__((tls_model("initial-exec")));
static struct size_class classes[NCLASSES];
/* Outside the data segment, which the collector scans as roots: the
 * ranges recorded here would otherwise pin themselves. */
static struct quarantined *quarantine;
static size_t q_head, q_count, q_bytes;   /* FIFO: oldest at q_head */
static _Atomic uint64_t bytes_inuse, bytes_reserved;
static _Atomic bool populate_unsupported;   /* kernels before 5.14 */
static enum guard_mode guard_mode;        /* under arena_lock */
static size_t mprotect_guards, mprotect_budget;
static size_t congruent_mappings, congruent_budget;
static bool budget_warned;

static void arena_acquire(void) {
    lock_acquire(&arena_lock);
    arena_held = true;
}

static void arena_release(void) {
    arena_held = false;
    lock_release(&arena_lock);
}

bool stack_arena_busy_here(void) { return arena_held; }

size_t stack_default_size(void) { return FIXED_SIZE; }

static int class_of(size_t size) {
    int shift = MIN_SHIFT;
    while (shift <= MAX_SHIFT && ((size_t)1 << shift) < size)
        shift++;
    return shift > MAX_SHIFT ? -1 : shift - MIN_SHIFT;
}

static size_t class_usable(int cls) { return (size_t)1 << (cls + MIN_SHIFT); }
static size_t class_slot(int cls) { return class_usable(cls) + STACK_GUARD; }

/* A page fault costs microseconds (12 us each on the 2-core VM these
 * figures come from, where populating costs 0.8 us a page in bulk and
 * 2.8 us for a single one): memory a stack is about to use is populated in
 * one call rather than faulted in page by page.  Async-signal-safe. */
void stack_populate(uintptr_t lo, uintptr_t hi) {
    if (aload(&populate_unsupported, memory_order_relaxed))
        return;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    lo &= ~(page - 1);
    hi = (hi + page - 1) & ~(page - 1);
    int saved = errno;
    if (madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE) != 0 && errno == EINVAL)
        astore(&populate_unsupported, true, memory_order_relaxed);
    errno = saved;
}

static void *grow_array(void *old, size_t old_len, size_t new_len) {
    void *p = old ? mremap(old, old_len, new_len, MREMAP_MAYMOVE)
                  : mmap(NULL, new_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static size_t read_max_map_count(void) {
    size_t n = 65530;   /* the kernel's default */
    int fd = open("/proc/sys/vm/max_map_count", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char buf[32];
        ssize_t len = read(fd, buf, sizeof buf - 1);
        if (len > 0) {
            buf[len] = 0;
            long v = strtol(buf, NULL, 10);
            if (v > 0)
                n = (size_t)v;
        }
        close(fd);
    }
    return n;
}

static void choose_guard_mode(void) {
    const char *knob = getenv("GOC_STACK_GUARD");
    guard_mode = knob && strcmp(knob, "mprotect") == 0 ? GUARD_MPROTECT : GUARD_UNKNOWN;
    size_t max_maps = read_max_map_count();
    mprotect_budget = max_maps * VMA_SHARE_NUM / VMA_SHARE_DEN / 2;
    congruent_budget = max_maps / 4;
}

/* Guard [lo, lo + len).  Returns false when the range is left unguarded. */
static bool install_guard(uintptr_t lo, size_t len) {
    if (guard_mode == GUARD_UNKNOWN)
        choose_guard_mode();
    if (guard_mode != GUARD_MPROTECT) {
        if (madvise((void *)lo, len, MADV_GUARD_INSTALL) == 0) {
            guard_mode = GUARD_MADVISE;
            return true;
        }
        guard_mode = GUARD_MPROTECT;
    }
    if (mprotect_guards >= mprotect_budget) {
        if (!budget_warned) {
            /* Formatted on the stack and written directly: a stack fault
             * handler may be the caller. */
            char msg[256];
            int n = snprintf(msg, sizeof msg, "goc: warning: stack guards use mprotect and "
                             "vm.max_map_count allows %zu of them; further goroutine stacks "
                             "have no guard and cannot grow on overflow\n", mprotect_budget);
            budget_warned = true;
            if (n > 0 && write(STDERR_FILENO, msg, (size_t)n) < 0)
                return false;
        }
        return false;
    }
    if (mprotect((void *)lo, len, PROT_NONE) != 0)
        return false;
    mprotect_guards++;
    return true;
}

static int new_chunk(struct size_class *c, int cls) {
    size_t slot = class_slot(cls);
    size_t len = slot >= CHUNK_BYTES ? slot : CHUNK_BYTES / slot * slot;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    /* A huge page would turn each stack's first touch into a 2 MiB clear. */
    madvise(p, len, MADV_NOHUGEPAGE);
    c->chunk_next = (uintptr_t)p;
    c->chunk_end = c->chunk_next + len;
    afetch_add(&bytes_reserved, len, memory_order_seq_cst);
    return 0;
}

/* ---- preparing fresh slots in batches ---------------------------------------
 * A fresh slot needs its guard installed and, before its first frame is
 * written, its top page backed: two madvise calls, 13 us a slot on the VM
 * of bench/README.md, most of the cost of creating a goroutine that parks
 * (bench/stack_parked).  process_madvise does either for a whole batch of
 * ranges in one call (0.7 us a slot for the guards, 1 us a page), on the
 * calling process (PIDFD_SELF, so a forked child never aims at its parent)
 * with any advice since Linux 6.13; where it is refused, slots are
 * prepared one by one as before. */
#ifndef PIDFD_SELF
#define PIDFD_SELF (-10000)
#endif
#ifdef SYS_process_madvise
static _Atomic bool batch_unsupported;

/* Apply advice to every range of iov; false unless all of it was done. */
static bool madvise_ranges(struct iovec *iov, size_t n, int advice) {
    size_t want = 0;
    for (size_t i = 0; i < n; i++)
        want += iov[i].iov_len;
    int saved = errno;
    long done = syscall(SYS_process_madvise, PIDFD_SELF, iov, n, advice, 0);
    errno = saved;
    return done == (long)want;
}
#endif

static bool install_guard(uintptr_t lo, size_t len);
static int new_chunk(struct size_class *c, int cls);

/* Carve up to c->batch fresh slots of class cls into c->ready, guarded and
 * with their top page backed, in two system calls.  Called with arena_lock
 * held and c->ready empty; false when nothing could be carved. */
static bool prepare_batch(struct size_class *c, int cls) {
#ifdef SYS_process_madvise
    enum { MAX = READY_MAX };
    if (guard_mode != GUARD_MADVISE || aload(&batch_unsupported, memory_order_relaxed))
        return false;   /* the first slot goes through install_guard, which picks the mode */
    if (c->batch < 4)
        c->batch = 4;
    struct iovec guards[MAX], tops[MAX];
    size_t page = (size_t)sysconf(_SC_PAGESIZE), n = 0;
    while (n < c->batch && (c->chunk_next < c->chunk_end || new_chunk(c, cls) == 0)) {
        uintptr_t slot = c->chunk_next;
        c->chunk_next += class_slot(cls);
        guards[n] = (struct iovec){(void *)slot, STACK_GUARD};
        tops[n] = (struct iovec){(void *)(slot + class_slot(cls) - page), page};
        n++;
    }
    if (n == 0)
        return false;
    if (!madvise_ranges(guards, n, MADV_GUARD_INSTALL)) {
        /* Installing a guard twice is harmless: do them one by one. */
        astore(&batch_unsupported, true, memory_order_relaxed);
        for (size_t i = 0; i < n; i++)
            c->ready[i] = (uintptr_t)guards[i].iov_base | SLOT_RELEASED |
                          (install_guard((uintptr_t)guards[i].iov_base, STACK_GUARD) ? 0 : SLOT_UNGUARDED);
        c->nready = n;
        return true;
    }
    uintptr_t backed = madvise_ranges(tops, n, MADV_POPULATE_WRITE) ? 0 : SLOT_RELEASED;
    /* Taken from the end: the lowest address first, as carving did. */
    for (size_t i = 0; i < n; i++)
        c->ready[n - 1 - i] = (uintptr_t)guards[i].iov_base | backed;
    c->nready = n;
    if (c->batch < MAX)
        c->batch *= 2;
    return true;
#else
    (void)c, (void)cls;
    return false;
#endif
}

static void fill(goc_stack *out, uintptr_t slot, int cls, bool guarded) {
    out->guard_lo = guarded ? slot : slot + STACK_GUARD;
    out->lo = slot + STACK_GUARD;
    out->hi = out->lo + class_usable(cls);
    out->slot = class_slot(cls);
    out->vg_id = 0;
    out->own_mapping = false;
}

int stack_alloc(size_t size, goc_stack *out) {
    int cls = class_of(size ? size : FIXED_SIZE);
    if (cls < 0)
        return -1;
    struct size_class *c = &classes[cls];
    uintptr_t slot = 0;
    bool guarded = true, released = true;
    arena_acquire();
    if (c->nfree || c->nready || prepare_batch(c, cls)) {
        slot = c->nfree ? c->free[--c->nfree] : c->ready[--c->nready];
        guarded = !(slot & SLOT_UNGUARDED);
        released = slot & SLOT_RELEASED;
        slot &= ~SLOT_FLAGS;
    } else if (c->chunk_next < c->chunk_end || new_chunk(c, cls) == 0) {
        slot = c->chunk_next;
        c->chunk_next += class_slot(cls);
        guarded = install_guard(slot, STACK_GUARD);
    }
    arena_release();
    if (!slot)
        return -1;
    afetch_add(&bytes_inuse, class_usable(cls), memory_order_relaxed);
    fill(out, slot, cls, guarded);
    if (released)   /* its first frame is written at once (ctx_make) */
        stack_populate(out->hi - 1, out->hi);
    ctx_stack_register(out);
    return 0;
}

/* ---- congruent slots ---------------------------------------------------------- */

#define CONGRUENCE      ((uintptr_t)1 << 32)
#define CONGRUENT_TRIES 64   /* places tried on each side of the old stack */

/* Where a mapping may go.  TSan keeps shadow memory only for the
 * application ranges it knows; the top one holds every mapping the kernel
 * places by itself. */
static bool placeable(uintptr_t lo, uintptr_t hi) {
#if defined(GOC_TSAN) && defined(__x86_64__)
    return lo >= 0x7e8000000000ull && hi <= 0x800000000000ull;
#elif defined(GOC_TSAN)
    (void)lo, (void)hi;
    return false;   /* other layouts: untried */
#else
    return lo < hi;
#endif
}

/* Called with arena_lock held. */
static void unmap_congruent(uintptr_t slot, uintptr_t hi, bool guarded) {
    munmap((void *)slot, hi - slot);
    if (guarded && guard_mode == GUARD_MPROTECT)
        mprotect_guards--;
    congruent_mappings--;
    afetch_sub(&bytes_reserved, hi - slot, memory_order_relaxed);
}

int stack_alloc_congruent(size_t size, uintptr_t like_hi, goc_stack *out) {
    int cls = class_of(size);
    if (cls < 0)
        return -1;
    size_t len = class_slot(cls);
    arena_acquire();
    if (guard_mode == GUARD_UNKNOWN)
        choose_guard_mode();
    bool allowed = congruent_mappings < congruent_budget;
    if (allowed)
        congruent_mappings++;
    arena_release();
    if (!allowed)
        return -1;
    /* Below the old stack first: the kernel fills the address space from
     * the top down, so that side is more often free. */
    for (int i = 0; i < 2 * CONGRUENT_TRIES; i++) {
        uintptr_t step = (uintptr_t)(i / 2 + 1) * CONGRUENCE;
        bool below = i % 2 == 0;
        if (below ? like_hi < step + len : like_hi + step < like_hi)
            continue;
        uintptr_t hi = below ? like_hi - step : like_hi + step;
        if (!placeable(hi - len, hi))
            continue;
        void *want = (void *)(hi - len);
        void *p = mmap(want, len, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
        if (p == MAP_FAILED)
            continue;
        if (p != want) {   /* a kernel older than 4.17 took it as a hint */
            munmap(p, len);
            break;
        }
        madvise(p, len, MADV_NOHUGEPAGE);
        arena_acquire();
        bool guarded = install_guard((uintptr_t)p, STACK_GUARD);
        arena_release();
        afetch_add(&bytes_reserved, len, memory_order_relaxed);
        afetch_add(&bytes_inuse, class_usable(cls), memory_order_relaxed);
        fill(out, (uintptr_t)p, cls, guarded);
        out->own_mapping = true;
        ctx_stack_register(out);
        return 0;
    }
    arena_acquire();
    congruent_mappings--;
    arena_release();
    return -1;
}

/* Put a slot (usable part accessible, guard as recorded) on its free list.
 * Called with arena_lock held.  Slots beyond the resident allowance give
 * their pages back. */
static void free_slot(uintptr_t slot, int cls, bool guarded, bool released) {
    struct size_class *c = &classes[cls];
    size_t usable = class_usable(cls);
    if (c->nfree == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 1024;
        uintptr_t *grown = grow_array(c->free, c->cap * sizeof *grown, cap * sizeof *grown);
        if (!grown)
            return;   /* cannot track it: leave the slot unused */
        c->free = grown;
        c->cap = cap;
    }
    if (cls == 0) {
        /* Slots are reused last-in first-out, so the newest STACK_RETAIN
         * keep their pages (a fresh page fault costs microseconds); older
         * ones give them back.  Invariant: free[0, nfree - STACK_RETAIN)
         * are released. */
        if (c->nfree >= STACK_RETAIN) {
            uintptr_t *entry = &c->free[c->nfree - STACK_RETAIN];
            if (!(*entry & SLOT_RELEASED)) {
                madvise((void *)((*entry & ~SLOT_FLAGS) + STACK_GUARD), usable, MADV_DONTNEED);
                *entry |= SLOT_RELEASED;
            }
        }
    } else if (!released) {
        madvise((void *)(slot + STACK_GUARD), usable, MADV_DONTNEED);
        released = true;
    }
    c->free[c->nfree++] = slot | (guarded ? 0 : SLOT_UNGUARDED) | (released ? SLOT_RELEASED : 0);
}

void stack_free(goc_stack *s) {
    if (s->own_mapping) {
        ctx_stack_deregister(s);
        arena_acquire();
        unmap_congruent(s->lo - STACK_GUARD, s->hi, s->guard_lo < s->lo);
        arena_release();
        afetch_sub(&bytes_inuse, s->hi - s->lo, memory_order_relaxed);
        memset(s, 0, sizeof *s);
        return;
    }
    int cls = class_of(s->hi - s->lo);
    ctx_stack_deregister(s);
    arena_acquire();
    free_slot(s->lo - STACK_GUARD, cls, s->guard_lo < s->lo, false);
    arena_release();
    afetch_sub(&bytes_inuse, s->hi - s->lo, memory_order_relaxed);
    memset(s, 0, sizeof *s);
}

static int by_lo(const void *a, const void *b) {
    uintptr_t x = ((const goc_stack *)a)->lo, y = ((const goc_stack *)b)->lo;
    return (x > y) - (x < y);
}

void stack_free_many(goc_stack *s, size_t n) {
    /* Slots of their own are unmapped one by one; the rest in runs. */
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i].own_mapping)
            stack_free(&s[i]);
        else
            s[kept++] = s[i];
    }
    n = kept;
    sort_mostly_sorted(s, n, sizeof *s, by_lo);
    for (size_t i = 0; i < n;) {
        /* A run of adjacent slots: each one's guard starts where the
         * previous one's usable part ends. */
        size_t j = i + 1;
        while (j < n && s[j].lo - STACK_GUARD == s[j - 1].hi)
            j++;
        madvise((void *)s[i].lo, s[j - 1].hi - s[i].lo, MADV_DONTNEED);
        arena_acquire();
        for (size_t k = i; k < j; k++) {
            ctx_stack_deregister(&s[k]);
            free_slot(s[k].lo - STACK_GUARD, class_of(s[k].hi - s[k].lo), s[k].guard_lo < s[k].lo,
                      true);
            afetch_sub(&bytes_inuse, s[k].hi - s[k].lo, memory_order_relaxed);
        }
        arena_release();
        i = j;
    }
}

/* A quarantined range becomes a free slot again (arena lock held); its
 * entry stays in the ring as a hole until it is the oldest. */
static void quarantine_release(struct quarantined *q) {
    size_t len = q->hi - q->lo;
    bool ok = true;
    if (q->own_mapping)
        unmap_congruent(q->lo - STACK_GUARD, q->hi, q->slot_guarded);
    else if (q->guarded)
        ok = guard_mode == GUARD_MADVISE
                 ? madvise((void *)q->lo, len, MADV_GUARD_REMOVE) == 0
                 : mprotect((void *)q->lo, len, PROT_READ | PROT_WRITE) == 0;
    if (ok && !q->own_mapping)   /* else the range stays guarded and unused for good */
        free_slot(q->lo - STACK_GUARD, q->cls, true, true);
    astore(&q->hi, 0, memory_order_release);
    q_bytes -= len;
}

static void quarantine_release_oldest(void) {
    struct quarantined *q = &quarantine[q_head];
    if (q->hi)
        quarantine_release(q);
    q_head = (q_head + 1) % QUARANTINE_SLOTS;
    q_count--;
}

void stack_quarantine_for_each(void (*fn)(uintptr_t lo, uintptr_t hi, void *arg), void *arg) {
    arena_acquire();
    for (size_t i = 0; i < q_count; i++) {
        const struct quarantined *q = &quarantine[(q_head + i) % QUARANTINE_SLOTS];
        if (q->hi)
            fn(q->lo, q->hi, arg);
    }
    arena_release();
}

void stack_quarantine_release_range(uintptr_t lo) {
    arena_acquire();
    for (size_t i = 0; i < q_count; i++) {
        struct quarantined *q = &quarantine[(q_head + i) % QUARANTINE_SLOTS];
        if (q->hi && q->lo == lo) {
            quarantine_release(q);
            break;
        }
    }
    while (q_count && !quarantine[q_head].hi)
        quarantine_release_oldest();
    arena_release();
}

void stack_quarantine(goc_stack *old, int64_t goid) {
    int cls = class_of(old->hi - old->lo);
    size_t len = old->hi - old->lo;
    afetch_sub(&bytes_inuse, len, memory_order_relaxed);
    arena_acquire();
    if (!quarantine)
        astore(&quarantine, grow_array(NULL, 0, QUARANTINE_SLOTS * sizeof *quarantine),
                         memory_order_release);
    /* An unguarded slot (mprotect budget spent) cannot be quarantined
     * without spending more VMAs, nor any slot without a table: it is
     * freed like any other. */
    if (old->guard_lo == old->lo || !quarantine) {
        if (old->own_mapping)
            unmap_congruent(old->lo - STACK_GUARD, old->hi, false);
        else
            free_slot(old->lo - STACK_GUARD, cls, false, false);
        arena_release();
        return;
    }
    while (q_count && (q_count == QUARANTINE_SLOTS || q_bytes + len > QUARANTINE_BYTES))
        quarantine_release_oldest();
    bool guarded;
    if (guard_mode == GUARD_MADVISE) {
        /* Installing a guard drops the pages under it. */
        guarded = madvise((void *)old->lo, len, MADV_GUARD_INSTALL) == 0;
    } else {
        /* Next to the slot's own guard, the range joins its VMA. */
        madvise((void *)old->lo, len, MADV_DONTNEED);
        guarded = mprotect((void *)old->lo, len, PROT_NONE) == 0;
    }
    if (!guarded) {
        /* The mprotect path dropped the pages before it failed. */
        if (old->own_mapping)
            unmap_congruent(old->lo - STACK_GUARD, old->hi, true);
        else
            free_slot(old->lo - STACK_GUARD, cls, true, guard_mode != GUARD_MADVISE);
        arena_release();
        return;
    }
    struct quarantined *q = &quarantine[(q_head + q_count) % QUARANTINE_SLOTS];
    astore(&q->lo, old->lo, memory_order_relaxed);
    astore(&q->goid, goid, memory_order_relaxed);
    q->cls = cls;
    q->guarded = true;
    q->own_mapping = old->own_mapping;
    q->slot_guarded = true;
    astore(&q->hi, old->hi, memory_order_release);
    q_count++;
    q_bytes += len;
    arena_release();
}

bool stack_quarantined(uintptr_t addr, int64_t *goid) {
    /* Read without the lock (a fault handler may interrupt its holder):
     * an entry is published by its hi, and a range being released is
     * still guarded until its hi is cleared. */
    const struct quarantined *table = aload(&quarantine, memory_order_acquire);
    for (size_t i = 0; table && i < QUARANTINE_SLOTS; i++) {
        uintptr_t hi = aload(&table[i].hi, memory_order_acquire);
        if (hi && addr < hi && addr >= aload(&table[i].lo, memory_order_relaxed)) {
            *goid = aload(&table[i].goid, memory_order_relaxed);
            return true;
        }
    }
    return false;
}

void stack_stats(uint64_t *inuse, uint64_t *sys) {
    uint64_t packed, packed_reserved;
    stack_packed_stats(&packed, &packed_reserved);
    *inuse = aload(&bytes_inuse, memory_order_relaxed) + packed;
    *sys = aload(&bytes_reserved, memory_order_relaxed) + packed_reserved;
}
