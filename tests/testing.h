/* SPDX-License-Identifier: MIT */
/* Minimal test harness for goc's semantic tests.
 *
 * CHECK records a failure and carries on, so one run reports every broken
 * property; REQUIRE stops the program at once, for when going on would only
 * hang or crash.  A test's goroutine 1 returns test_status(): 0 when every
 * CHECK held, 1 otherwise.  Timing uses the C library's monotonic clock, not
 * goc_now, so the timer tests do not trust the clock they test. */
#ifndef GOC_TESTING_H
#define GOC_TESTING_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "goc.h"

static _Atomic int test_failures;

static inline void __attribute__((format(printf, 4, 5)))
test_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
    va_list ap;
    flockfile(stderr);
    fprintf(stderr, "%s:%d: CHECK(%s) failed: ", file, line, cond);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    funlockfile(stderr);
    atomic_fetch_add(&test_failures, 1);
}

#define CHECK(cond, ...)                                                      \
    ((cond) ? (void)0 : test_fail(__FILE__, __LINE__, #cond, __VA_ARGS__))

#define REQUIRE(cond, ...) do {                                               \
        if (!(cond)) {                                                        \
            test_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                \
            _exit(1);                                                         \
        }                                                                     \
    } while (0)

/* Placed after a call in a test function that must show up in a traceback:
 * stops the compiler from turning the call into a tail jump, which would
 * drop the caller's frame. */
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")

static inline int test_status(void)
{
    return atomic_load(&test_failures) == 0 ? 0 : 1;
}

static inline int64_t test_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Collections back to back while a test's goroutines work: until end_ns
 * has passed and at least three cycles ran (the sanitizers are slow). */
typedef struct test_gc_loop {
    int64_t          end_ns;
    _Atomic uint64_t cycles;
    goc_waitgroup   *done;   /* told when the loop ends */
} test_gc_loop;

static inline bool test_gc_loop_finished(test_gc_loop *l)
{
    return test_clock_ns() >= l->end_ns && atomic_load(&l->cycles) >= 3;
}

static inline void test_gc_loop_run(void *arg)
{
    test_gc_loop *l = arg;
    while (!test_gc_loop_finished(l)) {
        goc_gc();
        atomic_fetch_add(&l->cycles, 1);
    }
    goc_waitgroup_done(l->done);
}

/* A table of checksummed nodes that goroutines take out (leaving the slot
 * empty, so that they hold the only reference) and put back while
 * collections run back to back: a node freed while held shows as a bad
 * checksum or a goc_alloc_size of 0 (with GODEBUG=gccheckmark=1, as the
 * verifying mark's report first). */
typedef struct test_node {
    uint64_t id, sum;
} test_node;

static inline uint64_t test_node_sum(uint64_t id) { return (id ^ (id >> 29)) * 0xbf58476d1ce4e5b9ull; }

static inline void test_node_check(const test_node *n)
{
    REQUIRE(goc_alloc_size(n) >= sizeof *n, "node %p was freed while held", (const void *)n);
    REQUIRE(n->sum == test_node_sum(n->id), "node %p: id %llu, checksum %#llx", (const void *)n,
            (unsigned long long)n->id, (unsigned long long)n->sum);
}

/* Fills table[0..n) with fresh nodes; runs nworkers goroutines of worker
 * (argument 1..nworkers, each ending with goc_waitgroup_done(loop->done))
 * beside loop's collections for `seconds` (1 with GOC_TEST_QUICK=1 when 0);
 * then requires every slot full and every node intact. */
static inline void test_node_table_run(_Atomic(test_node *) *table, size_t n, test_gc_loop *loop,
                                       goc_fn worker, size_t nworkers, double seconds)
{
    if (seconds <= 0)
        seconds = getenv("GOC_TEST_QUICK") ? 1 : 2;
    loop->end_ns = test_clock_ns() + (int64_t)(seconds * 1e9);
    for (size_t i = 0; i < n; i++) {
        test_node *node = goc_alloc(sizeof *node);
        REQUIRE(node, "goc_alloc failed");
        node->id = i + 1;
        node->sum = test_node_sum(node->id);
        atomic_store(&table[i], node);
    }
    goc_waitgroup_add(loop->done, (int64_t)nworkers + 1);
    for (uintptr_t w = 0; w < nworkers; w++)
        goc_go(worker, (void *)(w + 1));
    goc_go(test_gc_loop_run, loop);
    goc_waitgroup_wait(loop->done);
    for (size_t i = 0; i < n; i++) {
        test_node *node = atomic_load(&table[i]);
        REQUIRE(node, "slot %zu empty at the end", i);
        test_node_check(node);
    }
}

/* Polls pred until it holds or timeout_ns passes; returns its last value.
 * For waiting on something another goroutine will do "soon" without
 * hard-coding how soon. */
static inline int test_wait_until(int (*pred)(void *), void *arg, int64_t timeout_ns)
{
    int64_t deadline = test_clock_ns() + timeout_ns;
    while (!pred(arg)) {
        if (test_clock_ns() > deadline)
            return pred(arg);
        goc_sleep(GOC_MILLISECOND);
    }
    return 1;
}

#endif
