/* SPDX-License-Identifier: MIT */
/* The scavenger returns free pages to the OS (MADV_DONTNEED) in the
 * background, paced as Go's: it keeps the memory the heap retains at 10%
 * over the heap goal and uses about 1% of the CPU time of GOMAXPROCS
 * processors, measured as the CPU time its own thread spends.  It is a plain
 * thread, started on the first span freed, and it sleeps on a condition
 * variable whenever there is nothing to release, so an idle program stays
 * idle. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "base/fatal.h"
#include "base/threads.h"
#include "mem/mem.h"

#define RETAIN_EXTRA_PERCENT 10
#define SCAVENGE_PERCENT     1
#define MIN_HEAP_GOAL        ((uint64_t)4 << 20)
/* Work the scavenger may do in one burst before pacing makes it sleep. */
#define BURST_NS             1000000
#define CHUNK_PAGES          ((2u << 20) >> MEM_PAGE_SHIFT)
/* Frees wake the scavenger once the excess reaches this, not for every page. */
#define WAKE_SLACK_PAGES     ((uint64_t)64)

static _Atomic uint64_t heap_goal;           /* 0: derived from the heap in use */
static _Atomic bool wake_requested;
static pthread_mutex_t wake_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_cond = PTHREAD_COND_INITIALIZER;
static pthread_once_t start_once = PTHREAD_ONCE_INIT;

void mem_set_heap_goal(uint64_t bytes) {
    astore(&heap_goal, bytes, memory_order_seq_cst);
    mem_scavenger_wake();
}

/* Bytes the heap may keep backed by memory (heap lock held).  Until the
 * collector sets a goal, the goal is twice the pages in use, as GOGC=100
 * would make it if everything in use were live. */
static uint64_t retain_goal(void) {
    uint64_t goal = aload(&heap_goal, memory_order_relaxed);
    if (!goal) {
        goal = 2 * (mheap.inuse_pages << MEM_PAGE_SHIFT);
        if (goal < MIN_HEAP_GOAL)
            goal = MIN_HEAP_GOAL;
    }
    return goal + goal * RETAIN_EXTRA_PERCENT / 100;
}

static uint64_t retained_bytes(void) {
    return mheap.sys - (mheap.released_pages << MEM_PAGE_SHIFT);
}

bool mem_scavenge_needed(void) {
    return retained_bytes() > retain_goal() + (WAKE_SLACK_PAGES << MEM_PAGE_SHIFT);
}

static int64_t clock_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Release one chunk of at most max_pages; returns pages released. */
static size_t scavenge_chunk(size_t max_pages) {
    size_t start, npages;
    lock_acquire(&mheap.lock);
    mem_arena *a = heap_scavenge_take(max_pages, &start, &npages);
    lock_release(&mheap.lock);
    if (!a)
        return 0;
    void *addr = (void *)(a->base + (start << MEM_PAGE_SHIFT));
    if (madvise(addr, npages << MEM_PAGE_SHIFT, MADV_DONTNEED) != 0)
        fatal("mem: madvise(%p, %zu, MADV_DONTNEED): %s", addr, npages << MEM_PAGE_SHIFT,
              strerror(errno));
    lock_acquire(&mheap.lock);
    heap_scavenge_done(a, start, npages);
    lock_release(&mheap.lock);
    return npages;
}

size_t mem_scavenge(size_t max_pages) {
    size_t done = 0;
    while (done < max_pages) {
        size_t want = max_pages - done < CHUNK_PAGES ? max_pages - done : CHUNK_PAGES;
        size_t n = scavenge_chunk(want);
        if (!n)
            break;
        done += n;
    }
    return done;
}

static size_t pages_over_goal(void) {
    lock_acquire(&mheap.lock);
    uint64_t goal = retain_goal(), retained = retained_bytes();
    lock_release(&mheap.lock);
    return retained > goal ? (retained - goal + MEM_PAGE_SIZE - 1) >> MEM_PAGE_SHIFT : 0;
}

static void wait_for_work(void) {
    pthread_mutex_lock(&wake_mu);
    while (!axchg(&wake_requested, false, memory_order_seq_cst))
        pthread_cond_wait(&wake_cond, &wake_mu);
    pthread_mutex_unlock(&wake_mu);
}

/* CPU budget: it accrues at SCAVENGE_PERCENT of GOMAXPROCS processors while
 * time passes (parked time included, up to one burst) and the work done is
 * charged against it; in debt, the scavenger sleeps until it is repaid. */
static int64_t budget_ns = BURST_NS;
static int64_t budget_stamp;

static int32_t (*_Atomic procs_source)(void);

void mem_set_procs_source(int32_t (*nprocs)(void)) { astore(&procs_source, nprocs, memory_order_relaxed); }

static int64_t budget_rate_permille(void) {
    int32_t (*source)(void) = aload(&procs_source, memory_order_relaxed);
    int32_t nprocs = source ? source() : 1;
    return (int64_t)SCAVENGE_PERCENT * 10 * (nprocs > 0 ? nprocs : 1);
}

static void budget_accrue(void) {
    int64_t now = clock_ns(CLOCK_MONOTONIC);
    budget_ns += (now - budget_stamp) * budget_rate_permille() / 1000;
    if (budget_ns > BURST_NS)
        budget_ns = BURST_NS;
    budget_stamp = now;
}

static void budget_charge(int64_t worked_ns) {
    budget_ns -= worked_ns;
    if (budget_ns >= 0)
        return;
    int64_t sleep_ns = -budget_ns * 1000 / budget_rate_permille();
    struct timespec ts = {sleep_ns / 1000000000, sleep_ns % 1000000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    budget_accrue();
}

static void *scavenger_main(void *arg) {
    (void)arg;
    budget_stamp = clock_ns(CLOCK_MONOTONIC);
    for (;;) {
        wait_for_work();
        budget_accrue();
        size_t over;
        while ((over = pages_over_goal()) > 0) {
            int64_t t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
            size_t n = scavenge_chunk(over < CHUNK_PAGES ? over : CHUNK_PAGES);
            budget_charge(clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0);
            if (!n)
                break;
        }
    }
    return NULL;
}

static void scavenger_start(void) { runtime_thread_start(scavenger_main, NULL, "goc-scavenge"); }

void mem_scavenger_wake(void) {
    pthread_once(&start_once, scavenger_start);
    if (axchg(&wake_requested, true, memory_order_seq_cst))
        return;
    pthread_mutex_lock(&wake_mu);
    pthread_cond_signal(&wake_cond);
    pthread_mutex_unlock(&wake_mu);
}
