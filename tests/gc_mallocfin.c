/* SPDX-License-Identifier: MIT */
/* Go's test/mallocfin.go ("Test basic operation of finalizers"), ported:
 * N pairs a -> b, both with finalizers, and a c whose finalizer is set and
 * cleared.  a's finalizer must run before b's (b is reachable from a,
 * which is finalizable, so b is kept until a's finalizer has run), neither
 * twice, c's never; after up to N rounds of collect, yield, sleep 1 ms,
 * at least 80% of the b's must be finalized (Go's own threshold). */
#include <stdatomic.h>

#include "testing.h"

enum { N = 250 };

typedef struct B {
    long n;
} B;

typedef struct A {
    B   *b;
    long n;
} A;

static _Atomic int final[N];
static _Atomic int nfinal;

static void finalA(void *p) {
    A *a = p;
    int was = atomic_load(&final[a->n]);
    REQUIRE(was == 0, "finalA %ld: state %d", a->n, was);
    atomic_store(&final[a->n], 1);
}

static void finalB(void *p) {
    B *b = p;
    int was = atomic_load(&final[b->n]);
    REQUIRE(was == 1, "finalB %ld: state %d", b->n, was);
    atomic_store(&final[b->n], 2);
    atomic_fetch_add(&nfinal, 1);
}

static void nofinalB(void *p) {
    (void)p;
    REQUIRE(0, "nofinalB run");
}

/* noinline: the pointers die with this frame, as in Go's loop body. */
static __attribute__((noinline)) void make_pair(long i) {
    B *b = goc_alloc(sizeof *b);
    b->n = i;
    A *a = goc_alloc(sizeof *a);
    a->b = b;
    a->n = i;
    B *c = goc_alloc(sizeof *c);
    goc_set_finalizer(c, nofinalB);
    goc_set_finalizer(b, finalB);
    goc_set_finalizer(a, finalA);
    goc_set_finalizer(c, NULL);
}

static int test_main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    goc_maxprocs(4);
    for (long i = 0; i < N; i++)
        make_pair(i);
    for (int i = 0; i < N; i++) {
        goc_gc();
        goc_yield();
        goc_sleep(GOC_MILLISECOND);
        if (atomic_load(&nfinal) >= N * 8 / 10)
            break;
    }
    int n = atomic_load(&nfinal);
    fprintf(stderr, "gc_mallocfin: %d of %d finalized\n", n, N);
    CHECK(n >= N * 8 / 10, "not enough finalizing: %d / %d", n, N);
    return test_status();
}

GOC_MAIN(test_main)
