/* SPDX-License-Identifier: MIT */
/* Marking: one worker per P drains grey objects until none is left.
 *
 * Grey objects wait in work buffers (Go's gcWork): each worker holds two,
 * pushes and pops without locks, and trades full buffers for empty ones
 * through a global list, so an idle worker takes work a busy one
 * published (stealing at buffer granularity).  Everything is conservative:
 * each aligned word of a root range or of a goc_alloc object that points
 * into an allocated object (interior pointers included) marks that object.
 * A pointer one past the end of an object marks the next object, if any:
 * that keeps too much, never too little, of what C code can reach.
 *
 * Termination: nbusy counts workers holding or looking for work; a worker
 * publishes what it has before it stops being busy, so nbusy == 0 with an
 * empty full list means no grey object is left anywhere. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/threads.h"
#include "gc/gc.h"
#include "mem/mem.h"
#include "sched/sched.h"
#include "stack/move.h"

#define WBUF_ENTRIES 510
typedef struct wbuf {
    struct wbuf *next;
    uint64_t     n;
    uintptr_t    obj[WBUF_ENTRIES];
} wbuf;

/* Large objects are scanned in pieces of this size, so that several workers
 * can share one (Go's oblets). */
#define OBLET_BYTES ((uintptr_t)128 << 10)
/* An idle worker polls for work this many times, then sleeps between
 * polls (IDLE_SLEEP_NS at most). */
#define IDLE_SPINS    256
#define IDLE_SLEEP_NS 200000
/* Root ranges are split into jobs of at most this size. */
#define ROOT_JOB_BYTES ((uintptr_t)256 << 10)

struct gc_worker {
    wbuf       *cur, *spare;
    uint64_t    marked;
    uint64_t    scanned;      /* bytes of memory read (the assists' unit of work) */
    uint64_t    flushed;      /* of scanned, what the cycle's progress counts */
    uint64_t    scanned_since_balance;
    bool        check;        /* marks in the second bitmap (check_bits) */
    bool        verify;       /* ... and stops at an object the first mark left white */
    bool        alone;        /* the only worker of this run */
    bool        assist;       /* a goroutine's, paying for its allocation */
    gc_source   src;          /* what is being scanned, for check reports */
    uintptr_t   src_addr;
    uint64_t    stack_bytes;  /* goroutine stacks read by JOB_STACK jobs */
    uint64_t    dirty_pages;  /* pages its JOB_HARVEST jobs found written */
    int64_t     cpu_ns;
    uint32_t    start_run;    /* work.run when its thread started: not a run for it */
    gc_dirty_buffer *harvest; /* for JOB_HARVEST, made at its first */
} CACHE_ALIGNED;

/* What a root job scans: a range as it is (with the world stopped, or
 * memory that stays put), a goroutine's stack once it holds still
 * (concurrent marking), heap pages written since they were scanned (the
 * marked objects on them, again), a piece of the heap to harvest for such
 * pages (gc/dirty.c) and scan them, or roots that a function finds and
 * has scanned as it goes (gc_root_call). */
enum job_kind { JOB_RANGE, JOB_STACK, JOB_DIRTY, JOB_HARVEST, JOB_CALL };
typedef struct root_job {
    uintptr_t   lo, hi;
    gc_source   src;
    uint8_t     kind;
    const void *owner;      /* JOB_STACK: the goroutine; JOB_CALL: call's argument */
    void      (*call)(void *arg);
} root_job;

typedef struct root_word {
    uintptr_t   v;
    gc_source   src;
    const void *owner;
} root_word;

static struct {
    goc_lock          lock;           /* guards full and empty */
    wbuf             *full, *empty;
    _Atomic int       nfull;
    _Atomic int       nbusy;
    /* Idle workers past their spin sleep on idle_seq, which changes (with a
     * wake) when work is published or the last busy worker goes idle. */
    _Atomic uint32_t  idle_seq;
    _Atomic int       nsleeping;
    _Atomic int       nworkers;       /* threads the run has slots for, itself included */
    bool              check, verify;  /* see gc_worker */
    bool              concurrent;     /* mutators run meanwhile */
    uint32_t          cycle;          /* see gc_mark_begin */
    /* Every arena lies in [~heap_lo_inv, + heap_span).  The low bound is
     * kept complemented: this struct is in the bss, which is a root, and
     * the lowest arena's base is its first object's address. */
    uintptr_t         heap_lo_inv, heap_span;
    /* Root jobs, queued with the world stopped, claimed through next_job. */
    root_job         *jobs;
    size_t            njobs, jobs_cap;
    _Atomic size_t    next_job;
    root_word        *words;
    size_t            nwords, words_cap;
    /* Worker threads wait for run to change, then join the run under way
     * (join_run): one of its open_slots, and only while a worker of it is
     * still busy, so a thread that wakes late never holds the run up.
     * nactive counts the joined ones until they have added their figures
     * to the run_* totals. */
    _Atomic uint32_t  run;
    _Atomic int       open_slots;
    _Atomic uint32_t  nactive;
    _Atomic uint64_t  run_marked, run_stack_bytes, run_dirty_pages;
    _Atomic int64_t   run_cpu_ns;
    int               nthreads;
    gc_worker        *workers;        /* MAX_PROCS of them, runtime metadata (128 KiB
                                       * the mark would otherwise read as a global) */
    int64_t           total_cpu_ns;   /* every run's workers, since the start */
    /* Goroutines assisting a concurrent run (gc_mark_assist): what they
     * marked, added to the run's total; their CPU, since the start. */
    _Atomic uint64_t  assist_marked;
    _Atomic int64_t   assist_cpu_ns;
    _Atomic bool      assistable;     /* a concurrent run is under way */
    /* A concurrent cycle's progress, for the assists' pacing (gc/assist.c):
     * bytes scanned by everyone so far (objects, stacks, globals, written
     * pages again: Go's scan work), and of those the worker threads', less
     * what assists took as credit for their own debts (Go's bgScanCredit).
     * Workers add as they go, every BALANCE_EVERY objects. */
    _Atomic uint64_t  cycle_scanned;
    _Atomic int64_t   bg_credit;
    gc_worker        *assist_workers; /* MAX_PROCS, one per P */
    /* Once a goroutine waits for the mark at the heap goal (gc_mark_boost),
     * the cycle's concurrent runs get a thread per core, not a quarter of
     * the Ps: the waiting goroutines' cores are idle, and Go's idle Ps run
     * mark workers too.  boost_lock orders a boost against the start and
     * end of the run it adds to: slots opened after a run ended could land
     * in a later run that marks alone, without atomics. */
    goc_lock          boost_lock;
    uint32_t          boosted_cycle;  /* boost_lock; the cycle boosted, 0: none */
    int               boost_extra;    /* boost_lock: threads a boost adds to this run */
    size_t            grown_pages;    /* heap growth the queued harvest passed on */
    size_t            dirty_pages;    /* pages the last run's harvest found written */
} work;

/* The worker running a JOB_CALL job on this thread: the roots its
 * function reports are scanned at once.  Set only within the job, during
 * which the thread runs nothing else. */
static __thread gc_worker *direct_worker __attribute__((tls_model("initial-exec")));

static void scan_words(gc_worker *w, uintptr_t lo, uintptr_t hi, const void *owner);
static void scan_word(gc_worker *w, uintptr_t v, uintptr_t at, const void *owner);
static void scan_stack(gc_worker *w, goc_g *g);

static void add_job(root_job j) {
    if (work.njobs == work.jobs_cap)
        work.jobs = mem_meta_grow(work.jobs, &work.jobs_cap, work.njobs, sizeof *work.jobs, 256);
    work.jobs[work.njobs++] = j;
}

static void add_jobs(uintptr_t lo, uintptr_t hi, gc_source src, uint8_t kind, const void *owner) {
    for (; lo < hi; lo += ROOT_JOB_BYTES) {
        uintptr_t end = hi - lo > ROOT_JOB_BYTES ? lo + ROOT_JOB_BYTES : hi;
        add_job((root_job){.lo = lo, .hi = end, .src = src, .kind = kind, .owner = owner});
    }
}

void gc_root_range(uintptr_t lo, uintptr_t hi, gc_source src, const void *owner) {
    gc_worker *w = direct_worker;
    if (w) {
        w->src = src;
        scan_words(w, lo, hi, owner);
        return;
    }
    add_jobs(lo, hi, src, JOB_RANGE, owner);
}

void gc_root_stack(goc_g *g) {
    gc_worker *w = direct_worker;
    if (w) {
        w->src = SRC_STACK;
        scan_stack(w, g);
        return;
    }
    add_job((root_job){.src = SRC_STACK, .kind = JOB_STACK, .owner = g});
}

void gc_root_call(void (*call)(void *arg), void *arg) {
    add_job((root_job){.kind = JOB_CALL, .call = call, .owner = arg});
}

/* Heap pages [lo, hi) were written since their objects were scanned: the
 * marked ones are scanned again. */
static void rescan_dirty(uintptr_t lo, uintptr_t hi, void *arg) {
    (void)arg;
    add_jobs(lo, hi, SRC_HEAP, JOB_DIRTY, NULL);
}

static void queue_harvest_piece(uintptr_t lo, uintptr_t hi, void *arg) {
    (void)arg;
    add_job((root_job){.lo = lo, .hi = hi, .src = SRC_HEAP, .kind = JOB_HARVEST});
}

void gc_queue_harvest(void) {
    work.grown_pages += gc_dirty_harvest_split(rescan_dirty, queue_harvest_piece, NULL);
}

size_t gc_mark_dirty_pages(void) { return work.dirty_pages; }

void gc_root_word(uintptr_t v, gc_source src, const void *owner) {
    if (!v)
        return;
    gc_worker *w = direct_worker;
    if (w) {
        w->src = src;
        scan_word(w, v, 0, owner);
        return;
    }
    if (work.nwords == work.words_cap)
        work.words = mem_meta_grow(work.words, &work.words_cap, work.nwords, sizeof *work.words, 256);
    work.words[work.nwords++] = (root_word){v, src, owner};
}

/* ---- work buffers --------------------------------------------------------- */

static wbuf *wbuf_get_empty(void) {
    lock_acquire(&work.lock);
    wbuf *b = work.empty;
    if (b)
        work.empty = b->next;
    lock_release(&work.lock);
    if (!b)
        b = mem_meta_alloc(sizeof *b);
    b->n = 0;
    return b;
}

static void wbuf_put_empty(wbuf *b) {
    lock_acquire(&work.lock);
    b->next = work.empty;
    work.empty = b;
    lock_release(&work.lock);
}

static void wake_idle(int count) {
    afetch_add(&work.idle_seq, 1, memory_order_seq_cst);
    futex_wake(&work.idle_seq, count);
}

/* Busy: holding or looking for grey objects (the termination rule above).
 * Joining is only possible while someone is busy: once none is, the run
 * is over. */
static bool become_busy(void) {
    int busy = aload(&work.nbusy, memory_order_seq_cst);
    do {
        if (busy == 0)
            return false;
    } while (!acas_weak(&work.nbusy, &busy, busy + 1, memory_order_seq_cst, memory_order_relaxed));
    return true;
}

/* After publishing anything held.  The last one wakes the sleepers: the
 * run is over. */
static void stop_being_busy(void) {
    if (afetch_sub(&work.nbusy, 1, memory_order_seq_cst) == 1 &&
        aload(&work.nsleeping, memory_order_seq_cst))
        wake_idle(INT_MAX);
}

static void wbuf_publish(wbuf *b) {
    lock_acquire(&work.lock);
    b->next = work.full;
    work.full = b;
    afetch_add(&work.nfull, 1, memory_order_seq_cst);
    lock_release(&work.lock);
    if (aload(&work.nsleeping, memory_order_seq_cst))
        wake_idle(1);
}

static wbuf *wbuf_take_full(void) {
    if (!aload(&work.nfull, memory_order_acquire))
        return NULL;
    lock_acquire(&work.lock);
    wbuf *b = work.full;
    if (b) {
        work.full = b->next;
        afetch_sub(&work.nfull, 1, memory_order_relaxed);
    }
    lock_release(&work.lock);
    return b;
}

static void push(gc_worker *w, uintptr_t p) {
    wbuf *b = w->cur;
    if (__builtin_expect(b->n == WBUF_ENTRIES, 0)) {
        if (w->spare->n == 0) {
            w->cur = w->spare;
            w->spare = b;
        } else {
            wbuf_publish(w->spare);
            w->spare = b;
            w->cur = wbuf_get_empty();
        }
        b = w->cur;
    }
    b->obj[b->n++] = p;
}

static bool pop(gc_worker *w, uintptr_t *p) {
    wbuf *b = w->cur;
    if (__builtin_expect(b->n == 0, 0)) {
        if (w->spare->n) {
            w->cur = w->spare;
            w->spare = b;
        } else {
            wbuf *full = wbuf_take_full();
            if (!full)
                return false;
            wbuf_put_empty(b);
            w->cur = full;
        }
        b = w->cur;
    }
    *p = b->obj[--b->n];
    return true;
}

/* Idle workers and no published work: give them half of ours. */
static void balance(gc_worker *w) {
    wbuf *b = w->cur;
    if (b->n < 8 || aload(&work.nfull, memory_order_relaxed) ||
        aload(&work.nbusy, memory_order_relaxed) == aload(&work.nworkers, memory_order_relaxed))
        return;
    wbuf *half = wbuf_get_empty();
    uint64_t k = b->n / 2;
    memcpy(half->obj, b->obj + b->n - k, k * sizeof *b->obj);
    half->n = k;
    b->n -= k;
    wbuf_publish(half);
}

/* ---- scanning ---------------------------------------------------------------- */

static __attribute__((noreturn, cold, noinline)) void check_failed(gc_worker *w, uintptr_t v, uintptr_t at,
                                                         mem_span *s, uint32_t index) {
    char holder[128] = "";
    mem_span *hs;
    uint32_t hi;
    if (w->src == SRC_HEAP && mem_object_base((const void *)w->src_addr, &hs, &hi))
        snprintf(holder, sizeof holder, " (holder: size %zu, %s by the mark; the word at %p)",
                 hs->elemsize, mem_is_marked(hs, hi) ? "marked" : "unmarked", (void *)at);
    fatal("gccheckmark: object %p (size %zu) is reachable (found at %p in %s%s, value %p) but the "
          "collector's mark left it unmarked: it would have been freed while in use",
          (void *)(s->base + index * s->elemsize), s->elemsize, (void *)w->src_addr,
          gc_source_name(w->src), holder, (void *)v);
}

static inline void mark_word(gc_worker *w, uintptr_t v, uintptr_t at) {
    mem_span *s = mem_span_of((const void *)v);
    if (!s)
        return;
    uint32_t index = span_object_index(s, v);
    if (index >= s->nelems || !span_slot_allocated(s, index))
        return;
    _Atomic uint64_t *bits = w->check ? s->check_bits : s->mark_bits;
    if (!(w->alone ? mem_mark_in_alone(bits, index) : mem_mark_in(bits, index)))
        return;
    if (__builtin_expect(w->verify, 0) && !mem_is_marked(s, index)) {
        if (w->src != SRC_HEAP)
            w->src_addr = at;
        check_failed(w, v, at, s, index);
    }
    w->marked += s->elemsize;
    if (!span_noscan(s))
        push(w, s->base + index * s->elemsize);
}

/* Reads memory other threads own (suspended stacks, sanitizer redzones,
 * runtime records): not instrumented. */
NO_SANITIZE static void scan_words(gc_worker *w, uintptr_t lo, uintptr_t hi, const void *owner) {
    const uintptr_t *p = (const uintptr_t *)((lo + sizeof(uintptr_t) - 1) & ~(sizeof(uintptr_t) - 1));
    const uintptr_t *end = (const uintptr_t *)(hi & ~(sizeof(uintptr_t) - 1));
    uintptr_t heap_lo = ~work.heap_lo_inv, heap_span = work.heap_span;
    uintptr_t stack_min = ~gc_stack_min_inv, stack_span = gc_stack_span;
    MEMCHECK_SCANNED((uintptr_t)p, (uintptr_t)end);
    w->scanned += (uintptr_t)end - (uintptr_t)p;
    for (; p < end; p++) {
        uintptr_t v = *(const volatile uintptr_t *)p;
        if (v - heap_lo < heap_span)
            mark_word(w, v, (uintptr_t)p);
        if (__builtin_expect(v - stack_min < stack_span, 0))
            gc_stack_word(v, owner);
    }
}

static void scan_object(gc_worker *w, uintptr_t p) {
    mem_span *s = mem_span_of((const void *)p);
    if (!s)
        fatal("gc: grey object %p is not in the heap", (void *)p);
    w->src = SRC_HEAP;
    w->src_addr = p;
    uintptr_t end = p + s->elemsize;
    if (span_sizeclass(s) == 0) {
        end = s->base + s->elemsize;
        if (p == s->base)
            for (uintptr_t q = p + OBLET_BYTES; q < end; q += OBLET_BYTES)
                push(w, q);
        if (end - p > OBLET_BYTES)
            end = p + OBLET_BYTES;
    }
    scan_words(w, p, end, NULL);
}

/* A goroutine's stack, read while the goroutine is held still; one that
 * runs now is read again at mark termination (sched_g_scan_claim). */
/* A word of a runtime record (found at at), or of the root words. */
static void scan_word(gc_worker *w, uintptr_t v, uintptr_t at, const void *owner) {
    if (v - ~work.heap_lo_inv < work.heap_span)
        mark_word(w, v, at);
    if (v - ~gc_stack_min_inv < gc_stack_span)
        gc_stack_word(v, owner);
}

/* The stack, and the goroutine's records with it: while it does not run,
 * only it could change them (its argument, the sudogs of its wait), so
 * mark termination need not read either again (gc/rootscan.c). */
static void scan_stack(gc_worker *w, goc_g *g) {
    if (!sched_g_scan_claim(g))
        return;
    uintptr_t lo = (uintptr_t)g->ctx.sp, hi = g->stack.hi;
    scan_words(w, lo, hi, g);
    w->stack_bytes += hi - lo;
    w->src = SRC_RUNTIME;
    scan_word(w, (uintptr_t)g->arg, (uintptr_t)&g->arg, NULL);
    for (goc_sudog *s = g->waiting; s; s = s->waitlink) {
        scan_word(w, (uintptr_t)s->elem, (uintptr_t)&s->elem, g);
        scan_word(w, (uintptr_t)s->chan, (uintptr_t)&s->chan, NULL);
    }
    w->src = SRC_STACK;
    /* With I/O into it in flight the stack may change unseen: read again
     * at termination (gc/rootscan.c). */
    sched_g_scan_release(g, g->stack_pins ? 0 : work.cycle);
}

/* Heap pages written since they were last scanned: the marked objects
 * on them are scanned again, as far as they lie on those pages (the rest
 * of each did not change since it was scanned).  Unmarked objects wait to
 * be reached; free and noscan memory holds nothing to find. */
static void scan_dirty(gc_worker *w, uintptr_t lo, uintptr_t hi) {
    for (uintptr_t at = lo; at < hi;) {
        mem_span *s = mem_span_of((const void *)at);
        uintptr_t next_page = (at & ~(uintptr_t)(MEM_PAGE_SIZE - 1)) + MEM_PAGE_SIZE;
        if (!s || aload(&s->state, memory_order_acquire) != SPAN_INUSE || at < s->base) {
            at = next_page;
            continue;
        }
        uintptr_t span_end = s->base + s->npages * MEM_PAGE_SIZE;
        uintptr_t end = hi < span_end ? hi : span_end;
        if (!span_noscan(s)) {
            for (uint32_t i = span_object_index(s, at); i < s->nelems; i++) {
                uintptr_t obj = s->base + i * s->elemsize;
                if (obj >= end)
                    break;
                if (!span_slot_allocated(s, i) || !mem_is_marked(s, i))
                    continue;
                uintptr_t from = obj > at ? obj : at, to = obj + s->elemsize;
                w->src_addr = obj;
                scan_words(w, from, to < end ? to : end, NULL);
            }
        }
        at = end;
    }
}

static void scan_dirty_found(uintptr_t lo, uintptr_t hi, void *arg) {
    scan_dirty(arg, lo, hi);
}

static void harvest_piece(gc_worker *w, uintptr_t lo, uintptr_t hi) {
    if (!w->harvest)
        w->harvest = gc_dirty_buffer_new();
    w->dirty_pages += gc_dirty_harvest_piece(lo, hi, w->harvest, scan_dirty_found, w);
}

static void call_job(gc_worker *w, const root_job *j) {
    direct_worker = w;
    j->call((void *)j->owner);
    direct_worker = NULL;
}

/* What w marked since it last said so goes to the cycle's progress, and
 * a worker thread's to the credit assists may take. */
static void flush_progress(gc_worker *w) {
    uint64_t d = w->scanned - w->flushed;
    if (!d || !work.concurrent)
        return;
    w->flushed = w->scanned;
    afetch_add(&work.cycle_scanned, d, memory_order_relaxed);
    if (!w->assist)
        afetch_add(&work.bg_credit, (int64_t)d, memory_order_relaxed);
}

/* The next root job, if any is left; false once all are taken. */
static bool scan_root_job(gc_worker *w) {
    size_t i = afetch_add(&work.next_job, 1, memory_order_relaxed);
    if (i >= work.njobs)
        return false;
    const root_job *j = &work.jobs[i];
    w->src = j->src;
    switch (j->kind) {
    case JOB_RANGE: scan_words(w, j->lo, j->hi, j->owner); break;
    case JOB_STACK: scan_stack(w, (goc_g *)j->owner); break;
    case JOB_DIRTY: scan_dirty(w, j->lo, j->hi); break;
    case JOB_HARVEST: harvest_piece(w, j->lo, j->hi); break;
    case JOB_CALL: call_job(w, j); break;
    }
    flush_progress(w);
    return true;
}

static void scan_root_jobs(gc_worker *w) {
    while (scan_root_job(w))
        ;
}

static void scan_root_words(gc_worker *w) {
    for (size_t i = 0; i < work.nwords; i++) {
        w->src = work.words[i].src;
        scan_word(w, work.words[i].v, (uintptr_t)&work.words[i].v, work.words[i].owner);
    }
}

/* Grey objects are scanned a few pops after they are taken, their first
 * line asked for when taken: most are cold, and a scan waits on the miss. */
enum { PREFETCH_DEPTH = 16 };
/* Objects a worker scans between offers of work to idle ones. */
enum { BALANCE_EVERY = 64 };

static void drain(gc_worker *w) {
    for (;;) {
        uintptr_t ahead[PREFETCH_DEPTH], p;
        unsigned first = 0, n = 0;
        for (;;) {
            while (n < PREFETCH_DEPTH && pop(w, &p)) {
                __builtin_prefetch((const void *)p);
                ahead[(first + n++) % PREFETCH_DEPTH] = p;
            }
            if (!n)
                break;
            p = ahead[first];
            first = (first + 1) % PREFETCH_DEPTH;
            n--;
            scan_object(w, p);
            if (++w->scanned_since_balance == BALANCE_EVERY) {
                w->scanned_since_balance = 0;
                balance(w);
                flush_progress(w);
            }
        }
        /* Nothing local: become idle until work appears or everyone is. */
        stop_being_busy();
        for (unsigned idle = 0;; idle++) {
            if (aload(&work.nfull, memory_order_acquire)) {
                afetch_add(&work.nbusy, 1, memory_order_acq_rel);
                wbuf *b = wbuf_take_full();
                if (b) {
                    wbuf_put_empty(w->cur);
                    w->cur = b;
                    break;
                }
                stop_being_busy();
                continue;
            }
            if (aload(&work.nbusy, memory_order_acquire) == 0 &&
                !aload(&work.nfull, memory_order_acquire))
                return;
            if (idle < IDLE_SPINS) {
                cpu_relax();
                continue;
            }
            /* Past a short spin the worker holding the work has most likely
             * lost its CPU (more threads than cores): sleep until it
             * publishes or finishes.  Spinning on took a fifth of the
             * collector's CPU in binary-trees at GOMAXPROCS=2 on a loaded
             * 2-core machine.  nsleeping is raised before the re-check, so a
             * publisher either sees it or is seen; the timeout bounds
             * anything else. */
            uint32_t seq = aload(&work.idle_seq, memory_order_seq_cst);
            afetch_add(&work.nsleeping, 1, memory_order_seq_cst);
            if (!aload(&work.nfull, memory_order_seq_cst) &&
                aload(&work.nbusy, memory_order_seq_cst) != 0)
                futex_wait(&work.idle_seq, seq, IDLE_SLEEP_NS);
            afetch_sub(&work.nsleeping, 1, memory_order_seq_cst);
        }
    }
}

static int64_t thread_cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void worker_run(gc_worker *w, bool first) {
    int64_t cpu0 = thread_cpu_ns();
    w->check = work.check;
    w->verify = work.verify;
    w->alone = aload(&work.nworkers, memory_order_relaxed) == 1 && !work.concurrent;
    w->marked = 0;
    w->scanned = 0;
    w->flushed = 0;
    w->stack_bytes = 0;
    w->dirty_pages = 0;
    w->scanned_since_balance = 0;
    if (!w->cur) {
        w->cur = wbuf_get_empty();
        w->spare = wbuf_get_empty();
    }
    if (first)
        scan_root_words(w);
    scan_root_jobs(w);
    drain(w);
    flush_progress(w);
    w->src_addr = 0;   /* a global: it would keep that object one more cycle */
    w->cpu_ns = thread_cpu_ns() - cpu0;
}

/* A slot, then a place among the busy (a run with none busy is over, and
 * joining it could only delay the next).  The run's settings were stored
 * before its nbusy, and stay until nbusy is 0 again. */
static bool join_run(void) {
    int slots = aload(&work.open_slots, memory_order_acquire);
    do {
        if (slots <= 0)
            return false;
    } while (!acas_weak(&work.open_slots, &slots, slots - 1, memory_order_acq_rel,
                        memory_order_acquire));
    if (!become_busy())
        return false;
    /* A slot taken late may land in a later run, and one that marks alone
     * does so without atomics: stay out of it. */
    if (aload(&work.nworkers, memory_order_relaxed) == 1) {
        stop_being_busy();
        return false;
    }
    /* Before this worker can leave nbusy: the collector reads nactive
     * only once nbusy is 0. */
    afetch_add(&work.nactive, 1, memory_order_seq_cst);
    return true;
}

static void leave_run(const gc_worker *w) {
    afetch_add(&work.run_marked, w->marked, memory_order_relaxed);
    afetch_add(&work.run_stack_bytes, w->stack_bytes, memory_order_relaxed);
    afetch_add(&work.run_dirty_pages, w->dirty_pages, memory_order_relaxed);
    afetch_add(&work.run_cpu_ns, w->cpu_ns, memory_order_relaxed);
    if (afetch_sub(&work.nactive, 1, memory_order_seq_cst) == 1)
        futex_wake(&work.nactive, 1);
}

static void *worker_main(void *arg) {
    gc_worker *w = arg;
    uint32_t seen = w->start_run;
    for (;;) {
        uint32_t run;
        while ((run = aload(&work.run, memory_order_acquire)) == seen)
            futex_wait(&work.run, seen, -1);
        seen = run;
        if (join_run()) {
            worker_run(w, false);
            leave_run(w);
        }
    }
    return NULL;
}

static void start_workers(int n) {
    while (work.nthreads < n - 1) {
        gc_worker *w = &work.workers[++work.nthreads];
        /* The runs before this thread existed are none of its business. */
        w->start_run = aload(&work.run, memory_order_relaxed);
        runtime_thread_start(worker_main, w, "goc-mark");
    }
}

static void arena_bounds(uintptr_t base, size_t bytes, void *arg) {
    uintptr_t *b = arg;
    if (base < b[0])
        b[0] = base;
    if (base + bytes > b[1])
        b[1] = base + bytes;
}

void gc_mark_begin(uint32_t cycle) {
    if (!work.workers) {
        work.workers = mem_meta_alloc(MAX_PROCS * sizeof *work.workers);
        memset(work.workers, 0, MAX_PROCS * sizeof *work.workers);
    }
    work.cycle = cycle;
    work.njobs = 0;
    work.nwords = 0;
    uintptr_t b[2] = {UINTPTR_MAX, 0};
    mem_for_each_arena(arena_bounds, b);
    work.heap_lo_inv = ~b[0];
    work.heap_span = b[1] > b[0] ? b[1] - b[0] : 0;
}

uint64_t gc_mark_run(enum gc_mark_mode mode) {
    int n = (int)aload(&sched.nprocs, memory_order_acquire);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    /* More mark threads than cores only take turns. */
    if (ncpu > 0 && n > ncpu)
        n = (int)ncpu;
    if (n > MAX_PROCS)
        n = MAX_PROCS;
    if (n < 1)
        n = 1;
    /* Threads for a boost exist before it comes (gc_mark_boost). */
    start_workers(n);
    int full = n;
    lock_acquire(&work.boost_lock);
    /* Beside running mutators, a quarter of the Ps' worth (Go's 25%
     * background utilisation), at least one thread, until a goroutine
     * waits for the mark. */
    if (mode == GC_MARK_CONCURRENT && work.boosted_cycle != work.cycle)
        n = (n + 2) / 4 > 1 ? (n + 2) / 4 : 1;
    work.boost_extra = mode == GC_MARK_CONCURRENT ? full - n : 0;
    astore(&work.nworkers, n, memory_order_relaxed);
    work.check = mode == GC_MARK_CHECK || mode == GC_MARK_LEAK;
    work.verify = mode == GC_MARK_CHECK;
    work.concurrent = mode == GC_MARK_CONCURRENT;
    astore(&work.next_job, 0, memory_order_relaxed);
    astore(&work.nbusy, 1, memory_order_seq_cst);
    astore(&work.open_slots, n - 1, memory_order_seq_cst);
    astore(&work.assistable, work.concurrent, memory_order_release);
    lock_release(&work.boost_lock);
    if (n > 1) {
        afetch_add(&work.run, 1, memory_order_release);
        futex_wake(&work.run, n - 1);
    }
    /* A lone worker marks without atomics: hold off the only allocation
     * that can run meanwhile (threads that are not goroutines). */
    bool alone = n == 1 && !work.concurrent;
    if (alone)
        mem_cache_shared_hold();
    worker_run(&work.workers[0], true);
    if (alone)
        mem_cache_shared_release();
    lock_acquire(&work.boost_lock);
    astore(&work.assistable, false, memory_order_relaxed);
    work.boost_extra = 0;
    /* No slot is left to take for a thread that wakes only now. */
    astore(&work.open_slots, 0, memory_order_seq_cst);
    lock_release(&work.boost_lock);
    uint32_t active;
    while ((active = aload(&work.nactive, memory_order_acquire)) != 0)
        futex_wait(&work.nactive, active, -1);
    const gc_worker *self = &work.workers[0];
    /* No assist is inside either: it joined a busy run, which ends only
     * when it has left (nbusy). */
    uint64_t marked = self->marked + axchg(&work.run_marked, 0, memory_order_relaxed) +
                      axchg(&work.assist_marked, 0, memory_order_relaxed);
    work.total_cpu_ns += self->cpu_ns + axchg(&work.run_cpu_ns, 0, memory_order_relaxed);
    gc_stack_scan_bytes += self->stack_bytes + axchg(&work.run_stack_bytes, 0, memory_order_relaxed);
    work.dirty_pages = work.grown_pages + self->dirty_pages +
                       axchg(&work.run_dirty_pages, 0, memory_order_relaxed);
    work.grown_pages = 0;
    /* The jobs are done; the next run of this cycle queues its own. */
    work.njobs = 0;
    work.nwords = 0;
    return marked;
}

int64_t gc_mark_cpu_total_ns(void) { return work.total_cpu_ns; }

int64_t gc_mark_assist_cpu_total_ns(void) {
    return aload(&work.assist_cpu_ns, memory_order_relaxed);
}

void gc_mark_boost(void) {
    if (!aload(&work.assistable, memory_order_acquire))
        return;
    lock_acquire(&work.boost_lock);
    int extra = 0;
    if (aload(&work.assistable, memory_order_relaxed) && work.boosted_cycle != work.cycle) {
        work.boosted_cycle = work.cycle;
        extra = work.boost_extra;
        work.boost_extra = 0;
        afetch_add(&work.nworkers, extra, memory_order_relaxed);
        afetch_add(&work.open_slots, extra, memory_order_seq_cst);
    }
    lock_release(&work.boost_lock);
    if (extra > 0) {
        afetch_add(&work.run, 1, memory_order_release);
        futex_wake(&work.run, extra);
    }
}

/* Joining counts the assist as a busy worker, and only while the run has
 * one (nbusy > 0): so a run's end, nbusy reaching 0 with nothing
 * published, still means no grey object is left, and an assist never
 * starts after it.  Leaving publishes what it holds before it stops
 * being busy, as a worker going idle does.  The P's worker keeps its
 * empty buffers and its harvest buffer from one assist to the next. */
int64_t gc_mark_assist(int64_t want, int32_t pid) {
    if (!aload(&work.assistable, memory_order_acquire) || !become_busy())
        return 0;
    int64_t cpu0 = thread_cpu_ns();
    gc_worker *w = &work.assist_workers[pid];
    if (!w->cur) {
        w->cur = wbuf_get_empty();
        w->spare = wbuf_get_empty();
    }
    w->assist = true;
    w->marked = w->scanned = w->flushed = 0;
    w->stack_bytes = w->dirty_pages = 0;
    uintptr_t p;
    /* Grey objects first, then root jobs (the first run's roots and the
     * harvests are most of a mark: an assist that took only grey objects
     * found none while one worker read them).  The workers publish half
     * of what they hold once they see one more busy than they are
     * (balance): give them that long before giving up. */
    for (unsigned idle = 0; (int64_t)w->scanned < want;) {
        if (pop(w, &p)) {
            scan_object(w, p);
            idle = 0;
        } else if (scan_root_job(w)) {
            idle = 0;
        } else if (idle++ < IDLE_SPINS && aload(&work.nbusy, memory_order_relaxed) > 1) {
            cpu_relax();
        } else {
            break;
        }
    }
    flush_progress(w);
    w->src_addr = 0;
    wbuf **bufs[2] = {&w->cur, &w->spare};
    for (int i = 0; i < 2; i++) {
        if ((*bufs[i])->n) {
            wbuf_publish(*bufs[i]);
            *bufs[i] = wbuf_get_empty();
        }
    }
    afetch_add(&work.assist_marked, w->marked, memory_order_relaxed);
    afetch_add(&work.run_stack_bytes, w->stack_bytes, memory_order_relaxed);
    afetch_add(&work.run_dirty_pages, w->dirty_pages, memory_order_relaxed);
    afetch_add(&work.assist_cpu_ns, thread_cpu_ns() - cpu0, memory_order_relaxed);
    stop_being_busy();
    return (int64_t)w->scanned;
}

int64_t gc_mark_take_credit(int64_t want) {
    int64_t have = aload(&work.bg_credit, memory_order_relaxed), take;
    do {
        if (have <= 0)
            return 0;
        take = have < want ? have : want;
    } while (!acas_weak(&work.bg_credit, &have, have - take, memory_order_relaxed,
                        memory_order_relaxed));
    return take;
}

uint64_t gc_mark_cycle_scanned(void) { return aload(&work.cycle_scanned, memory_order_relaxed); }

uint64_t gc_mark_cycle_begin(void) {
    if (!work.assist_workers) {
        work.assist_workers = mem_meta_alloc(MAX_PROCS * sizeof *work.assist_workers);
        memset(work.assist_workers, 0, MAX_PROCS * sizeof *work.assist_workers);
    }
    astore(&work.bg_credit, 0, memory_order_relaxed);
    return axchg(&work.cycle_scanned, 0, memory_order_relaxed);
}

uint64_t gc_mark_object_only(void *obj) {
    mem_span *s;
    uint32_t index;
    if (mem_object_base(obj, &s, &index) == obj && mem_mark(s, index))
        return s->elemsize;
    return 0;
}

const char *gc_source_name(gc_source src) {
    static const char *const names[] = {
        [SRC_STACK] = "a goroutine stack",   [SRC_THREAD] = "a thread stack",
        [SRC_GLOBAL] = "global data",        [SRC_ROOTS] = "a goc_add_roots range",
        [SRC_RUNTIME] = "a runtime record",  [SRC_HEAP] = "a heap object",
    };
    return names[src];
}
