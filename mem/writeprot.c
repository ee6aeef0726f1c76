/* SPDX-License-Identifier: MIT */
/* Heap pages made read-only so that the first write to each is caught: the
 * mechanism of the collector's mprotect tracking mode (gc/dirty.c holds the
 * policy), for kernels without asynchronous userfaultfd write protection.
 *
 * A write to a protected page raises SIGSEGV; the runtime's fault handler
 * (sched/signals.c) hands the address to mem_wp_fault, which makes the
 * page's chunk writable and marks its pages written in the arena's
 * wp_written bitmap, and the write is retried.  A harvest takes the marked
 * pages, protects them again and reports them for rescanning.
 *
 * Invariant, for every heap page P while tracking is on: P is read-only,
 * or P's wp_written bit is set, or the thread that made P writable is
 * about to set it and has not yet returned to a write.  Hence the orders:
 * the fault lifts the protection before it sets the bit (a harvest between
 * the two protects P again, and the write faults once more); a harvest
 * clears the bits before it protects, and rescans only after protecting (a
 * write before the protection is in the rescan, one after it faults); a
 * start clears the bits before it protects.
 *
 * Each protection boundary may split a mapping in two, and the kernel
 * allows vm.max_map_count mappings in all: the fault lifts a chunk of
 * wp_chunk_pages (chosen so the heap has at most WP_MAP_SHARE of that
 * many), and when the kernel still refuses (ENOMEM), the whole arena,
 * which merges its mappings back into one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/fatal.h"
#include "mem/mem.h"

static _Atomic bool wp_on;
static _Atomic size_t wp_chunk_pages = 1;

/* The share of vm.max_map_count the heap's protection may split into. */
#define WP_MAP_SHARE 4
static size_t max_map_count = 65530;   /* Linux's default */

bool mem_wp_enabled(void) { return aload(&wp_on, memory_order_relaxed); }

static void read_max_map_count(void) {
    char buf[32];
    int fd = open("/proc/sys/vm/max_map_count", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = 0;
    long v = strtol(buf, NULL, 10);
    if (v >= 1024)
        max_map_count = (size_t)v;
}

void mem_wp_enable(void) {
    read_max_map_count();
    astore(&wp_on, true, memory_order_release);
}

size_t mem_wp_set_chunk(size_t heap_bytes) {
    size_t budget = max_map_count / WP_MAP_SHARE;
    size_t pages = 1;
    while ((heap_bytes >> MEM_PAGE_SHIFT) / pages > budget)
        pages *= 2;
    astore(&wp_chunk_pages, pages, memory_order_relaxed);
    return pages << MEM_PAGE_SHIFT;
}

static size_t grown_pages(const mem_arena *a) {
    return aload(&a->grown, memory_order_acquire);
}

/* Sets (or clears) the written bits of pages [first, end) of a. */
static void mark_written(mem_arena *a, size_t first, size_t end, bool written) {
    for (size_t pg = first; pg < end;) {
        size_t bit = pg % 64, n = end - pg < 64 - bit ? end - pg : 64 - bit;
        uint64_t mask = (n == 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1) << bit;
        if (written)
            afetch_or(&a->wp_written[pg / 64], mask, memory_order_release);
        else
            afetch_and(&a->wp_written[pg / 64], ~mask, memory_order_acq_rel);
        pg += n;
    }
}

bool mem_wp_fault(uintptr_t addr) {
    if (!aload(&wp_on, memory_order_relaxed))
        return false;
    mem_arena *a = mem_arena_of(addr);
    if (!a)
        return false;
    size_t grown = grown_pages(a), pg = (addr - a->base) >> MEM_PAGE_SHIFT;
    /* Beyond the grown part lies the arena's PROT_NONE reservation: a
     * fault there is the program's own. */
    if (pg >= grown)
        return false;
    size_t per = aload(&wp_chunk_pages, memory_order_relaxed);
    size_t first = pg & ~(per - 1), end = first + per < grown ? first + per : grown;
    if (mprotect((void *)(a->base + (first << MEM_PAGE_SHIFT)), (end - first) << MEM_PAGE_SHIFT,
                 PROT_READ | PROT_WRITE) != 0) {
        first = 0;
        end = grown;
        if (mprotect((void *)a->base, grown << MEM_PAGE_SHIFT, PROT_READ | PROT_WRITE) != 0)
            return false;   /* reported as the fault it is */
    }
    mark_written(a, first, end, true);
    return true;
}

/* The kernel holds the process's mapping lock through one call (2 GiB
 * here: 50 ms to protect, 0.5 s to lift), and a thread that faults
 * meanwhile waits for it in the kernel, where no signal stops it: the
 * world could not stop until the call ends.  So large ranges go a piece
 * at a time. */
#define PROTECT_PIECE ((size_t)32 << 20)

/* Fatal unless the kernel is out of mappings (ENOMEM), which *refused
 * tells the caller. */
static void protect(uintptr_t lo, size_t bytes, int prot, bool *refused) {
    for (size_t done = 0; done < bytes;) {
        size_t n = bytes - done < PROTECT_PIECE ? bytes - done : PROTECT_PIECE;
        if (mprotect((void *)(lo + done), n, prot) != 0)
            break;
        done += n;
        if (done == bytes)
            return;
    }
    if (errno == ENOMEM && refused) {
        *refused = true;
        return;
    }
    fatal("gc: %s heap pages [%p, +%zu) failed: %s",
          prot & PROT_WRITE ? "unprotecting" : "write-protecting", (void *)lo, bytes,
          strerror(errno));
}

void mem_wp_start(uintptr_t lo, size_t bytes) {
    mem_arena *a = mem_arena_of(lo);
    size_t first = (lo - a->base) >> MEM_PAGE_SHIFT, end = first + (bytes >> MEM_PAGE_SHIFT);
    mark_written(a, first, end, false);
    bool refused = false;
    protect(lo, bytes, PROT_READ, &refused);
    if (refused)
        mark_written(a, first, end, true);
}

void mem_wp_mark_written(uintptr_t lo, size_t bytes) {
    mem_arena *a = mem_arena_of(lo);
    size_t first = (lo - a->base) >> MEM_PAGE_SHIFT;
    mark_written(a, first, first + (bytes >> MEM_PAGE_SHIFT), true);
}

void mem_wp_lift(uintptr_t lo, size_t bytes) {
    protect(lo, bytes, PROT_READ | PROT_WRITE, NULL);
}

/* A run of written pages a harvest took: protected again, then reported. */
typedef struct taken_run {
    mem_arena *arena;
    size_t     lo, hi;      /* pages; lo == hi: none */
    size_t     os_pages;
    void     (*fn)(uintptr_t lo, uintptr_t hi, void *arg);
    void      *arg;
} taken_run;

static void report_run(taken_run *r) {
    if (r->lo == r->hi)
        return;
    uintptr_t lo = r->arena->base + (r->lo << MEM_PAGE_SHIFT);
    uintptr_t hi = r->arena->base + (r->hi << MEM_PAGE_SHIFT);
    bool refused = false;
    protect(lo, hi - lo, PROT_READ, &refused);
    if (refused)   /* left writable: it counts as written until protected */
        mark_written(r->arena, r->lo, r->hi, true);
    r->os_pages += (hi - lo) / 4096;
    r->fn(lo, hi, r->arg);
    r->lo = r->hi;
}

size_t mem_wp_harvest(uintptr_t lo, uintptr_t hi, void (*fn)(uintptr_t lo, uintptr_t hi, void *arg),
                      void *arg) {
    mem_arena *a = mem_arena_of(lo);
    size_t first = (lo - a->base) >> MEM_PAGE_SHIFT, end = (hi - a->base) >> MEM_PAGE_SHIFT;
    taken_run r = {.arena = a, .fn = fn, .arg = arg};
    for (size_t w = first / 64; w * 64 < end; w++) {
        uint64_t bits = aload(&a->wp_written[w], memory_order_relaxed);
        if (bits)
            bits = axchg(&a->wp_written[w], 0, memory_order_acq_rel);
        for (; bits; bits &= bits - 1) {
            size_t pg = w * 64 + (size_t)__builtin_ctzll(bits);
            if (pg != r.hi) {
                report_run(&r);
                r.lo = pg;
            }
            r.hi = pg + 1;
        }
    }
    report_run(&r);
    return r.os_pages;
}

bool mem_wp_touches_heap(const void *p, size_t n) {
    if (!n)
        return false;
    uintptr_t lo = (uintptr_t)p, last = lo + n - 1;
    if (last < lo)
        last = UINTPTR_MAX;
    for (uintptr_t at = lo;; at = (at | (MEM_ARENA_SIZE - 1)) + 1) {
        if (mem_arena_of(at))
            return true;
        if ((at | (MEM_ARENA_SIZE - 1)) >= last)
            return false;
    }
}
