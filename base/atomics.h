/* SPDX-License-Identifier: MIT */
/* The runtime's one atomics vocabulary, for _Atomic fields and plain ones
 * alike: a plain field that another thread reads without a lock (sysmon,
 * thieves, stop-the-world, tracebacks) goes through these too, so the C
 * memory model (and TSan) sees no data race.
 *
 *   aload(p, mo)                     *p
 *   astore(p, v, mo)                 *p = v
 *   afetch_add(p, v, mo)             old *p, *p += v  (afetch_sub, afetch_or, afetch_and)
 *   aadd_fetch(p, v, mo)             *p += v, new *p  (asub_fetch)
 *   axchg(p, v, mo)                  old *p, *p = v
 *   acas(p, expected, v, ok, fail)   *p == *expected ? *p = v : *expected = *p
 *   acas_weak(...)                   acas that may fail spuriously (loops)
 *
 * p points to the field.  mo is one of C11's orderings, each chosen at the
 * site for a reason:
 *   memory_order_relaxed  counters, statistics, hints and flags whose reader
 *                         re-checks under a lock or tolerates a stale value;
 *   memory_order_acquire  reading a word that publishes other data (a run
 *                         queue's tail, a lock word, a G's status), so that
 *                         data is seen as the writer left it;
 *   memory_order_release  the matching write: everything written before it
 *                         is visible to whoever acquires the word;
 *   memory_order_acq_rel  a read-modify-write that both takes and hands over
 *                         data (stealing from a run queue's head);
 *   memory_order_seq_cst  where two threads each store then load the other's
 *                         word (Dekker-style hand-offs), and where the order
 *                         was never weakened after a proof.
 *
 * The builtins behind them take plain objects only under clang, so an
 * _Atomic field is accessed through a pointer to its plain type (same size
 * and representation for every type used here). */
#ifndef GOC_BASE_ATOMICS_H
#define GOC_BASE_ATOMICS_H

#include <stdatomic.h>
#include <stdbool.h>

#include "base/sanitizers.h"

/* The plain type of *p ((void)0, *p drops the _Atomic qualifier). */
#define ATOMIC_PLAIN(p) ((__typeof__((void)0, *(p)) *)(p))

#define aload(p, mo)          __atomic_load_n(ATOMIC_PLAIN(p), (mo))
#define astore(p, v, mo)      __atomic_store_n(ATOMIC_PLAIN(p), (v), (mo))
#define afetch_add(p, v, mo)  __atomic_fetch_add(ATOMIC_PLAIN(p), (v), (mo))
#define afetch_sub(p, v, mo)  __atomic_fetch_sub(ATOMIC_PLAIN(p), (v), (mo))
#define afetch_or(p, v, mo)   __atomic_fetch_or(ATOMIC_PLAIN(p), (v), (mo))
#define afetch_and(p, v, mo)  __atomic_fetch_and(ATOMIC_PLAIN(p), (v), (mo))
#define aadd_fetch(p, v, mo)  __atomic_add_fetch(ATOMIC_PLAIN(p), (v), (mo))
#define asub_fetch(p, v, mo)  __atomic_sub_fetch(ATOMIC_PLAIN(p), (v), (mo))
#define axchg(p, v, mo)       __atomic_exchange_n(ATOMIC_PLAIN(p), (v), (mo))
#define acas(p, expected, v, ok, fail) \
    __atomic_compare_exchange_n(ATOMIC_PLAIN(p), (expected), (v), false, (ok), (fail))
#define acas_weak(p, expected, v, ok, fail) \
    __atomic_compare_exchange_n(ATOMIC_PLAIN(p), (expected), (v), true, (ok), (fail))

/* A full StoreLoad fence: no load after it passes a store before it.  TSan
 * does not model fences (gcc refuses them under -fsanitize=thread), so its
 * builds use a sequentially consistent read-modify-write of a private word,
 * which x86_64 (the only TSan target here) executes as a full barrier. */
#ifdef GOC_TSAN
extern _Atomic int goc_storeload_word;
#define STORE_LOAD_FENCE() \
    ((void)atomic_fetch_add_explicit(&goc_storeload_word, 0, memory_order_seq_cst))
#else
#define STORE_LOAD_FENCE() atomic_thread_fence(memory_order_seq_cst)
#endif

/* Starts a cache line of its own (x86_64 and aarch64 lines are 64 bytes). */
#define CACHE_ALIGNED __attribute__((aligned(64)))

/* Asks for the line holding p in a state this core may write, without
 * waiting: a store to a line another core last read stalls the next locked
 * instruction until the line comes back.  Never faults, so p may lie past
 * the end of its object.  Where x86 lacks PREFETCHW the opcode is a no-op. */
static inline void prefetch_for_write(const void *p) {
#if defined(__x86_64__)
    __asm__ volatile("prefetchw (%0)" ::"r"(p));
#else
    __builtin_prefetch(p, 1, 3);
#endif
}

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#endif
