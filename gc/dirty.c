/* SPDX-License-Identifier: MIT */
/* Which heap pages were written while the collector marked concurrently.
 *
 * C has no compiler write barrier, so the hardware records writes instead:
 * the heap arenas are registered with a userfaultfd in asynchronous
 * write-protect mode (UFFD_FEATURE_WP_ASYNC): the first write to a
 * protected page is resolved by the kernel itself, with no signal and no
 * handler thread, and leaves the page marked written.  The PAGEMAP_SCAN
 * ioctl then lists the written pages and protects them again in one
 * call.  Writes by the kernel (read(2), recv, io_uring completions into
 * heap buffers) are recorded the same way.  UFFD_FEATURE_WP_UNPOPULATED
 * makes pages that are not yet backed (fresh, or returned to the OS by the
 * scavenger) count as protected, so a page the scavenger drops during a
 * mark comes back tracked.  UFFD_USER_MODE_ONLY lets an unprivileged
 * process open the descriptor (vm.unprivileged_userfaultfd=0): async
 * faults never reach a handler, so kernel-mode faults need no privilege.
 *
 * Linux 6.7 or later; elsewhere, and with GODEBUG=gcdirty=stw, the mark
 * stops the world instead (gc/cycle.c).
 *
 * GODEBUG=gcdirty=mprotect tracks with page protection instead (any
 * kernel; mem/writeprot.c): the same runs of spans are made read-only as a
 * mark starts (the rest counts as written until the first harvest), the
 * runtime's SIGSEGV handler records each first write to a chunk and makes
 * it writable, and a harvest protects the recorded chunks again.  A
 * fault costs a signal and a system call, and a system call writing into
 * a protected page fails with EFAULT instead of faulting: the runtime's
 * own I/O (goc_read, goc_recv, ...) has the kernel write elsewhere and
 * copies in (io/api.c), but a program's raw read(2) into the heap may
 * fail while a mark runs.  That is why it is asked for, never chosen
 * where uffd is missing.  A fork()ed child keeps it: the protection, the
 * handler and the bitmaps are all copied.
 *
 * A fork()ed child of the uffd mode inherits
 * neither the descriptor nor the protection (no UFFD_FEATURE_EVENT_FORK:
 * the kernel clears the child's write-protect bits), so its heap is plain
 * memory; a child that keeps using goc collects with the world stopped.
 *
 * The arenas are registered, protected and lifted by the collector
 * goroutine alone (one cycle at a time, gc/cycle.c); a harvest's pieces
 * are taken by the mark's threads in parallel (gc/mark.c), each with its
 * own buffer, while the list of arenas holds still. */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fatal.h"
#include "gc/gc.h"
#include "mem/mem.h"
#include "sched/env.h"
#include "sched/sched.h"

/* Debian 12's headers predate these (Linux 6.7's uapi). */
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif
struct dirty_pm_scan_arg {
    uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
    uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
struct dirty_page_region {
    uint64_t start, end, categories;
};
#define DIRTY_PAGEMAP_SCAN        _IOWR('f', 16, struct dirty_pm_scan_arg)
#define DIRTY_PM_SCAN_WP_MATCHING 1
#define DIRTY_PM_SCAN_CHECK_WPASYNC 2
#define DIRTY_PAGE_IS_WRITTEN     2

#define SCAN_REGIONS 4096
#define OS_PAGE      4096

int gc_dirty_mode = GC_DIRTY_STW;
const char *gc_dirty_why = "not initialised";

static int uffd = -1, pagemap = -1;
/* Transparent huge pages are on for all memory (not only madvised): see
 * register_range. */
static bool thp_always;
/* Huge pages for the heap (consider_huge_pages): asked for once the
 * tracked heap has grown to huge_heap_min (GODEBUG=gchugepages=MiB, 0:
 * never), if write tracking holds on them.  Below that a harvest costs
 * little (0.3-0.5 ms per GiB of small pages), and protecting parts of
 * huge pages splits them: binary-trees' 40 MiB heap took a quarter longer
 * on huge pages.  Read and written by the collector goroutine alone. */
#define HUGE_HEAP_MIN_DEFAULT ((size_t)512 << 20)
static size_t huge_heap_min = HUGE_HEAP_MIN_DEFAULT;
static enum { HUGE_UNTRIED, HUGE_ON, HUGE_REFUSED } huge_state;
static const char *huge_refused_why;
static pid_t owner_pid;     /* the process that registered the arenas */

/* Arenas registered so far: [base, base + bytes) of each, and which of
 * their heap pages a harvest found written during the current mark (a bit
 * per MEM_PAGE_SIZE page; see gc_dirty_stop). */
typedef struct tracked {
    uintptr_t base;
    size_t    bytes;
    uint64_t *written;
    size_t    written_words;
} tracked;
static tracked *arenas;
static size_t narenas, arenas_cap;

static void note_fallback(const char *why) {
    /* Between cycles: nothing is protected (gc_dirty_stop). */
    gc_dirty_mode = GC_DIRTY_STW;
    gc_dirty_why = why;
    if (uffd >= 0)
        close(uffd);
    if (pagemap >= 0)
        close(pagemap);
    uffd = pagemap = -1;
}

static bool open_uffd(void) {
    uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
    if (uffd < 0) {
        note_fallback(errno == ENOSYS ? "no userfaultfd in this kernel"
                                      : "userfaultfd refused (EPERM or EINVAL)");
        return false;
    }
    struct uffdio_api api = {.api = UFFD_API,
                             .features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED};
    if (ioctl(uffd, UFFDIO_API, &api) != 0) {
        note_fallback("userfaultfd lacks asynchronous write protection (Linux < 6.7)");
        return false;
    }
    pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (pagemap < 0) {
        note_fallback("/proc/self/pagemap cannot be opened");
        return false;
    }
    /* A scan of nothing tells whether PAGEMAP_SCAN exists. */
    struct dirty_pm_scan_arg probe = {.size = sizeof probe, .category_mask = DIRTY_PAGE_IS_WRITTEN,
                                      .return_mask = DIRTY_PAGE_IS_WRITTEN};
    if (ioctl(pagemap, DIRTY_PAGEMAP_SCAN, &probe) < 0) {
        note_fallback("no PAGEMAP_SCAN ioctl (Linux < 6.7)");
        return false;
    }
    return true;
}

static bool read_thp_always(void) {
    char buf[128];
    int fd = open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    return strstr(buf, "[always]") != NULL;
}

static void read_huge_heap_min(void) {
    int64_t mib = godebug_value("gchugepages", INT64_MIN);
    if (mib == INT64_MIN)
        return;   /* absent, or not a number (env.c said so) */
    if (mib < 0 || (uint64_t)mib > SIZE_MAX >> 20) {
        char msg[160];
        int n = snprintf(msg, sizeof msg,
                         "goc: ignoring GODEBUG gchugepages=%lld: want the heap size in MiB from "
                         "which the heap uses huge pages, or 0 for never\n",
                         (long long)mib);
        if (n > 0)
            (void)!write(STDERR_FILENO, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
        return;
    }
    huge_heap_min = (size_t)mib << 20;
}

/* At the runtime's start (sched_start_hook), before the first cycle. */
static void dirty_init(void) {
    read_huge_heap_min();
    const char *want = godebug_string("gcdirty");
    if (want && strcmp(want, "stw") == 0) {
        note_fallback("GODEBUG=gcdirty=stw");
        return;
    }
    if (want && strcmp(want, "mprotect") == 0) {
        mem_wp_enable();
        gc_dirty_mode = GC_DIRTY_MPROTECT;
        gc_dirty_why = "mprotect + SIGSEGV (GODEBUG=gcdirty=mprotect)";
        return;
    }
    if (want && strcmp(want, "uffd") != 0) {
        char msg[160];
        int n = snprintf(msg, sizeof msg,
                         "goc: ignoring GODEBUG gcdirty=\"%.40s\": not uffd, mprotect or stw\n",
                         want);
        if (n > 0)
            (void)!write(STDERR_FILENO, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
    }
    if (!open_uffd())
        return;
    thp_always = read_thp_always();
    owner_pid = getpid();
    gc_dirty_mode = GC_DIRTY_UFFD;
    gc_dirty_why = "userfaultfd write-protect (async) + PAGEMAP_SCAN";
}

__attribute__((constructor)) static void dirty_register(void) {
    astore(&sched_start_hook, dirty_init, memory_order_release);
}

const char *gc_dirty_mode_name(void) {
    return gc_dirty_mode == GC_DIRTY_UFFD ? "uffd" : gc_dirty_mode == GC_DIRTY_MPROTECT ? "mprotect"
                                                                                      : "stw";
}

bool gc_dirty_usable(void) {
    if (gc_dirty_mode == GC_DIRTY_MPROTECT) {
        if (sched_fault_handler_installed())
            return true;
        static const char msg[] = "goc: SIGSEGV no longer reaches goc's handler: the collector "
                                  "stops the world to mark from now on\n";
        note_fallback("the program replaced goc's SIGSEGV handler, which mprotect tracking needs");
        (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
        return false;
    }
    if (gc_dirty_mode != GC_DIRTY_UFFD)
        return false;
    if (getpid() != owner_pid) {
        note_fallback("a forked child: the descriptor stayed with the parent");
        return false;
    }
    return true;
}

static void register_range(uintptr_t lo, size_t bytes) {
    /* On kernels before the fix of July 2026, MADV_DONTNEED over part of a
     * write-protected huge page (the scavenger's) could leave a hole that
     * lost its protection: writes there went unrecorded.  Where the system
     * gives huge pages to all memory and the probe did not clear them
     * (consider_huge_pages), tracked arenas opt out. */
    if (thp_always && huge_state != HUGE_ON)
        madvise((void *)lo, bytes, MADV_NOHUGEPAGE);
    struct uffdio_register reg = {.range = {.start = lo, .len = bytes},
                                  .mode = UFFDIO_REGISTER_MODE_WP};
    if (ioctl(uffd, UFFDIO_REGISTER, &reg) != 0)
        fatal("gc: registering heap pages [%p, +%zu) for write tracking failed: %s", (void *)lo,
              bytes, strerror(errno));
}

static void protect(uintptr_t lo, size_t bytes, bool on);

#define HUGE_PAGE ((uintptr_t)2 << 20)
#define DIRTY_PAGE_IS_HUGE (1 << 6)

/* Written pages in [lo, hi), protecting them again; how many (-1: the
 * scan failed). */
static long harvest_count(uintptr_t lo, uintptr_t hi, uintptr_t *first) {
    struct dirty_page_region found[8];
    struct dirty_pm_scan_arg a = {.size = sizeof a,
                                  .flags = DIRTY_PM_SCAN_WP_MATCHING | DIRTY_PM_SCAN_CHECK_WPASYNC,
                                  .start = lo, .end = hi, .vec = (uint64_t)(uintptr_t)found,
                                  .vec_len = 8, .category_mask = DIRTY_PAGE_IS_WRITTEN,
                                  .return_mask = DIRTY_PAGE_IS_WRITTEN};
    long n = ioctl(pagemap, DIRTY_PAGEMAP_SCAN, &a);
    if (n < 0 || a.walk_end < hi)
        return -1;
    long pages = 0;
    for (long k = 0; k < n; k++)
        pages += (long)((found[k].end - found[k].start) / OS_PAGE);
    if (first)
        *first = n > 0 ? found[0].start : 0;
    return pages;
}

/* Whether write tracking holds on a transparent huge page, tried on one
 * of our own: protected whole, written while still huge (the kernel
 * splits it), then a piece dropped as the scavenger drops free pages and
 * written again, each write found by the next harvest.  NULL if it holds,
 * else why the heap stays on small pages.  Huge pages make a large heap
 * cheap to track where it holds still: 2 MiB is protected and harvested
 * in one step instead of 512 (1 GiB live: mark termination 0.3 ms
 * shorter, the program 30% faster while the mark runs). */
static const char *huge_pages_refused(void) {
    void *raw = mmap(NULL, 2 * HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
    if (raw == MAP_FAILED)
        return "no memory to try them";
    char *p = (char *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1));
    uintptr_t lo = (uintptr_t)p, hi = lo + HUGE_PAGE, first;
    const char *why = "the kernel gives no transparent huge pages";
    /* The first touch of an advised, aligned 2 MiB maps a huge page,
     * where the system gives them. */
    bool huge = madvise(p, HUGE_PAGE, MADV_HUGEPAGE) == 0;
    if (huge) {
        *(volatile char *)p = 1;
        struct dirty_page_region r;
        struct dirty_pm_scan_arg a = {.size = sizeof a, .start = lo, .end = hi,
                                      .vec = (uint64_t)(uintptr_t)&r, .vec_len = 1,
                                      .category_mask = DIRTY_PAGE_IS_HUGE,
                                      .return_mask = DIRTY_PAGE_IS_HUGE};
        huge = ioctl(pagemap, DIRTY_PAGEMAP_SCAN, &a) == 1 && r.start == lo && r.end == hi;
    }
    struct uffdio_register reg = {.range = {.start = lo, .len = HUGE_PAGE},
                                  .mode = UFFDIO_REGISTER_MODE_WP};
    if (huge && ioctl(uffd, UFFDIO_REGISTER, &reg) == 0) {
        protect(lo, HUGE_PAGE, true);
        char *hole = p + 5 * OS_PAGE, *next = p + 40 * OS_PAGE, *far = p + HUGE_PAGE / 2;
        bool ok = harvest_count(lo, hi, NULL) == 0;
        *(volatile char *)far = 2;
        ok = ok && harvest_count(lo, hi, &first) == 1 && first == (uintptr_t)far;
        ok = ok && madvise(hole, OS_PAGE, MADV_DONTNEED) == 0 && harvest_count(lo, hi, NULL) >= 0;
        *(volatile char *)hole = 3;
        ok = ok && harvest_count(lo, hi, &first) == 1 && first == (uintptr_t)hole;
        *(volatile char *)next = 4;
        ok = ok && harvest_count(lo, hi, &first) == 1 && first == (uintptr_t)next;
        struct uffdio_range range = {.start = lo, .len = HUGE_PAGE};
        (void)ioctl(uffd, UFFDIO_UNREGISTER, &range);
        why = ok ? NULL : "writes to huge pages went unrecorded on this kernel";
    }
    munmap(raw, 2 * HUGE_PAGE);
    return why;
}

/* Once the tracked heap has grown to huge_heap_min, and only then: the
 * probe's own huge page costs milliseconds of first touch here. */
static void consider_huge_pages(size_t tracked) {
    if (huge_state != HUGE_UNTRIED || !huge_heap_min || tracked < huge_heap_min)
        return;
    huge_refused_why = huge_pages_refused();
    huge_state = huge_refused_why ? HUGE_REFUSED : HUGE_ON;
    if (huge_state == HUGE_ON)
        mem_heap_prefer_huge_pages();
}

const char *gc_dirty_huge_pages(void) {
    return huge_state == HUGE_ON ? "on" : huge_state == HUGE_REFUSED ? huge_refused_why : NULL;
}

/* What a registration pass reports: heap that grew since the arenas were
 * last registered was written untracked, so all of it counts as dirty. */
typedef struct growth {
    void (*fn)(uintptr_t lo, uintptr_t hi, void *arg);
    void  *arg;
    size_t pages;     /* reported */
} growth;

static void note_written(tracked *t, uintptr_t lo, uintptr_t hi) {
    for (size_t pg = (lo - t->base) >> MEM_PAGE_SHIFT; pg <= (hi - 1 - t->base) >> MEM_PAGE_SHIFT;
         pg++)
        t->written[pg / 64] |= (uint64_t)1 << (pg % 64);
}

static bool was_written(const tracked *t, uintptr_t lo, uintptr_t hi) {
    for (size_t pg = (lo - t->base) >> MEM_PAGE_SHIFT; pg <= (hi - 1 - t->base) >> MEM_PAGE_SHIFT;
         pg++)
        if (t->written[pg / 64] >> (pg % 64) & 1)
            return true;
    return false;
}

static size_t tracked_bytes(void) {
    size_t sum = 0;
    for (size_t i = 0; i < narenas; i++)
        sum += arenas[i].bytes;
    return sum;
}

static void track_arena(uintptr_t base, size_t bytes, void *arg) {
    growth *grew = arg;
    size_t known = 0;
    size_t i = 0;
    while (i < narenas && arenas[i].base != base)
        i++;
    if (i == narenas) {
        if (narenas == arenas_cap)
            arenas = mem_meta_grow(arenas, &arenas_cap, narenas, sizeof *arenas, 16);
        arenas[narenas++] = (tracked){.base = base};
    } else {
        known = arenas[i].bytes;
    }
    if (bytes <= known)
        return;
    if (gc_dirty_mode == GC_DIRTY_UFFD)
        register_range(base + known, bytes - known);
    protect(base + known, bytes - known, true);
    arenas[i].bytes = bytes;
    size_t words = ((bytes >> MEM_PAGE_SHIFT) + 63) / 64;
    if (words > arenas[i].written_words) {
        uint64_t *bits = mem_meta_alloc(words * sizeof *bits);
        memset(bits, 0, words * sizeof *bits);
        if (arenas[i].written) {
            memcpy(bits, arenas[i].written, arenas[i].written_words * sizeof *bits);
            mem_meta_free(arenas[i].written, arenas[i].written_words * sizeof *bits);
        }
        arenas[i].written = bits;
        arenas[i].written_words = words;
    }
    if (grew->fn) {
        note_written(&arenas[i], base + known, base + bytes);
        grew->fn(base + known, base + bytes, grew->arg);
        grew->pages += (bytes - known) / OS_PAGE;
    }
}

static void protect(uintptr_t lo, size_t bytes, bool on) {
    if (gc_dirty_mode == GC_DIRTY_MPROTECT) {
        if (on)
            mem_wp_start(lo, bytes);
        else
            mem_wp_lift(lo, bytes);
        return;
    }
    struct uffdio_writeprotect wp = {.range = {.start = lo, .len = bytes},
                                     .mode = on ? UFFDIO_WRITEPROTECT_MODE_WP : 0};
    while (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) != 0) {
        if (errno != EAGAIN && errno != EINTR)
            fatal("gc: write-protecting heap pages [%p, +%zu) failed: %s", (void *)lo, bytes,
                  strerror(errno));
    }
}

/* In-use spans close enough together are protected by one call: each
 * call also costs a TLB shootdown on every CPU the program runs on. */
#define RUN_GAP_MAX ((uintptr_t)64 << 10)
/* In use: RUN_GAP_MAX, or the mprotect mode's chunk if larger.  Kept runs
 * are no shorter either (KEPT_RUN_MIN).  The collector goroutine's. */
static uintptr_t run_gap = RUN_GAP_MAX;

typedef struct span_run {
    uintptr_t      lo, hi;   /* hi == 0: none yet */
    const tracked *arena;    /* the registered arena holding it */
} span_run;

static void protect_run(span_run *r) {
    if (r->hi)
        protect(r->lo, r->hi - r->lo, true);
    r->hi = 0;
}

static tracked *tracked_arena_of(uintptr_t addr) {
    for (size_t i = 0; i < narenas; i++)
        if (addr - arenas[i].base < arenas[i].bytes)
            return &arenas[i];
    return NULL;
}

static void add_span(mem_span *s, void *arg) {
    span_run *r = arg;
    uintptr_t lo = s->base, hi = s->base + (s->npages << MEM_PAGE_SHIFT);
    /* The heap may have grown since its arenas were registered, and
     * allocated from there: the next harvest counts that part written. */
    const tracked *arena = r->hi && lo - r->arena->base < r->arena->bytes ? r->arena
                                                                         : tracked_arena_of(lo);
    if (!arena)
        return;
    if (hi > arena->base + arena->bytes)
        hi = arena->base + arena->bytes;
    if (r->hi && arena == r->arena && lo >= r->hi && lo - r->hi <= run_gap) {
        r->hi = hi;
        return;
    }
    protect_run(r);
    *r = (span_run){lo, hi, arena};
}

void gc_dirty_start(void) {
    /* Before anything is scanned: a write after this is recorded, one
     * before it is seen by the scan.  Only pages of spans in use hold
     * objects that a write could hide a pointer in; a free page left
     * unprotected reads as written once the allocator writes to it, so
     * the harvest finds it, and protects it, as any other written page.
     * Protecting the whole heap cost binary-trees every free page it
     * allocated during the mark as a fault (12 us each under this
     * hypervisor): half its faults went. */
    mem_for_each_arena(track_arena, &(growth){0});
    if (gc_dirty_mode == GC_DIRTY_MPROTECT) {
        /* A page left writable has no fault to record its writes: it
         * counts as written until the first harvest protects it, as an
         * unprotected page reads as written to PAGEMAP_SCAN.  Runs and
         * gaps no shorter than a chunk keep the mappings within budget. */
        run_gap = mem_wp_set_chunk(tracked_bytes());
        if (run_gap < RUN_GAP_MAX)
            run_gap = RUN_GAP_MAX;
        for (size_t i = 0; i < narenas; i++)
            mem_wp_mark_written(arenas[i].base, arenas[i].bytes);
    } else {
        consider_huge_pages(tracked_bytes());
    }
    for (size_t i = 0; i < narenas; i++)
        memset(arenas[i].written, 0, arenas[i].written_words * sizeof *arenas[i].written);
    span_run run = {0};
    mem_for_each_span_in(0, 1, add_span, &run);
    protect_run(&run);
}

/* Runs of spans that stay protected after a mark (gc_dirty_stop), in
 * ascending order within each arena; a run shorter than KEPT_RUN_MIN is
 * not worth the calls that would go around it. */
#define KEPT_RUN_MIN ((uintptr_t)64 << 10)

typedef struct kept_runs {
    span_run *runs;
    size_t    n, cap;
    span_run  cur;   /* being extended */
} kept_runs;

/* Runtime metadata, which the collector does not scan. */
static span_run *kept_storage;
static size_t kept_storage_cap;

static void kept_close(kept_runs *k) {
    if (k->cur.hi && k->cur.hi - k->cur.lo >= (run_gap > KEPT_RUN_MIN ? run_gap : KEPT_RUN_MIN)) {
        if (k->n == k->cap)
            k->runs = mem_meta_grow(k->runs, &k->cap, k->n, sizeof *k->runs, 64);
        k->runs[k->n++] = k->cur;
    }
    k->cur.hi = 0;
}

/* A span of small objects all still in use, none of whose pages was
 * written during the mark, likely stays unwritten: its protection is kept
 * (a later write takes a fault, once).  Any other span is written soon:
 * by allocation into its free slots, or by the program that wrote it
 * during the mark.  Keeping too much costs faults, never correctness: a
 * page the next mark finds written is only scanned again. */
static void keep_span(mem_span *s, void *arg) {
    kept_runs *k = arg;
    uintptr_t lo = s->base, hi = s->base + (s->npages << MEM_PAGE_SHIFT);
    const tracked *arena = tracked_arena_of(lo);
    bool keep = arena && hi <= arena->base + arena->bytes && span_sizeclass(s) != 0 &&
                !was_written(arena, lo, hi);
    /* Sweeping runs by now: a swept span's marks are cleared, and it is
     * not kept. */
    uint32_t marked = 0;
    for (uint32_t w = 0; keep && w < s->nwords; w++)
        marked += (uint32_t)__builtin_popcountll(aload(&s->mark_bits[w], memory_order_relaxed));
    if (!keep || marked != s->nelems) {
        kept_close(k);
        return;
    }
    if (k->cur.hi && k->cur.arena == arena && k->cur.hi == lo) {
        k->cur.hi = hi;
        return;
    }
    kept_close(k);
    k->cur = (span_run){lo, hi, arena};
}

void gc_dirty_stop(void) {
    /* Left protected, every page written before the next cycle would take
     * a fault; lifting the protection takes up to 1 us a page under this
     * hypervisor (10 ms a cycle for binary-trees' 40 MiB heap, 250 ms for
     * a 1 GiB one).  So it is lifted, except over the pages likely to stay
     * unwritten: a large heap of old objects keeps its protection from one
     * cycle to the next. */
    /* On the stack: a global holding span addresses would be a root. */
    kept_runs k = {.runs = kept_storage, .cap = kept_storage_cap};
    mem_for_each_span_in(0, 1, keep_span, &k);
    kept_close(&k);
    kept_storage = k.runs;
    kept_storage_cap = k.cap;
    for (size_t i = 0; i < narenas; i++) {
        uintptr_t from = arenas[i].base, end = arenas[i].base + arenas[i].bytes;
        for (size_t r = 0; r < k.n; r++) {
            if (k.runs[r].arena != &arenas[i])
                continue;
            if (k.runs[r].lo > from)
                protect(from, k.runs[r].lo - from, false);
            from = k.runs[r].hi;
        }
        if (end > from)
            protect(from, end - from, false);
    }
}

/* Pieces are whole words of the written bitmaps (64 heap pages each), so
 * that the threads harvesting two pieces never share one. */
#define PIECE_BYTES ((uintptr_t)32 << 20)
_Static_assert(PIECE_BYTES % ((uintptr_t)64 << MEM_PAGE_SHIFT) == 0,
               "a harvest piece covers whole words of the written bitmap");

size_t gc_dirty_harvest_split(void (*grown)(uintptr_t lo, uintptr_t hi, void *arg),
                              void (*piece)(uintptr_t lo, uintptr_t hi, void *arg), void *arg) {
    /* The heap may have grown into memory nobody tracked, where objects
     * were allocated black and written: all of it is dirty. */
    growth grew = {grown, arg, 0};
    mem_for_each_arena(track_arena, &grew);
    for (size_t i = 0; i < narenas; i++) {
        uintptr_t end = arenas[i].base + arenas[i].bytes;
        for (uintptr_t lo = arenas[i].base; lo < end; lo += PIECE_BYTES)
            piece(lo, end - lo > PIECE_BYTES ? lo + PIECE_BYTES : end, arg);
    }
    return grew.pages;
}

/* mprotect mode: a harvest's runs, noted (keep_span) and passed on. */
typedef struct found_to {
    tracked *arena;
    void   (*fn)(uintptr_t lo, uintptr_t hi, void *arg);
    void    *arg;
} found_to;

static void found_written(uintptr_t lo, uintptr_t hi, void *arg) {
    found_to *to = arg;
    note_written(to->arena, lo, hi);
    to->fn(lo, hi, to->arg);
}

gc_dirty_buffer *gc_dirty_buffer_new(void) {
    return mem_meta_alloc(SCAN_REGIONS * sizeof(struct dirty_page_region));
}

size_t gc_dirty_harvest_piece(uintptr_t lo, uintptr_t hi, gc_dirty_buffer *buf,
                              void (*fn)(uintptr_t lo, uintptr_t hi, void *arg), void *arg) {
    tracked *t = tracked_arena_of(lo);
    if (gc_dirty_mode == GC_DIRTY_MPROTECT)
        return mem_wp_harvest(lo, hi, found_written, &(found_to){t, fn, arg});
    struct dirty_page_region *found = (struct dirty_page_region *)buf;
    size_t pages = 0;
    for (uint64_t start = lo; start < hi;) {
        struct dirty_pm_scan_arg a = {
            .size = sizeof a,
            .flags = DIRTY_PM_SCAN_WP_MATCHING | DIRTY_PM_SCAN_CHECK_WPASYNC,
            .start = start,
            .end = hi,
            .vec = (uint64_t)(uintptr_t)found,
            .vec_len = SCAN_REGIONS,
            .category_mask = DIRTY_PAGE_IS_WRITTEN,
            .return_mask = DIRTY_PAGE_IS_WRITTEN,
        };
        long n = ioctl(pagemap, DIRTY_PAGEMAP_SCAN, &a);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            fatal("gc: PAGEMAP_SCAN of heap pages [%p, %p) failed: %s", (void *)start,
                  (void *)hi, strerror(errno));
        }
        for (long k = 0; k < n; k++) {
            pages += (found[k].end - found[k].start) / OS_PAGE;
            note_written(t, found[k].start, found[k].end);
            fn(found[k].start, found[k].end, arg);
        }
        if (a.walk_end <= start)
            fatal("gc: PAGEMAP_SCAN made no progress at %p", (void *)start);
        start = a.walk_end;
    }
    return pages;
}
