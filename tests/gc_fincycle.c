/* SPDX-License-Identifier: MIT */
/* Finalizers with Go's rules (runtime.SetFinalizer's documentation):
 *
 *   gc_fincycle            (exit 0) three properties in turn:
 *     cycle      two finalizable objects pointing to each other are never
 *                finalized nor freed, while a lone finalizable object
 *                dropped at the same time is finalized;
 *     reach      an object reachable only from a finalizable one is kept,
 *                intact, until that finalizer has run, and freed after;
 *     resurrect  a finalizer stores its object in a global: the object
 *                stays valid through later cycles, and once dropped again
 *                it is freed without its finalizer running a second time.
 *   gc_fincycle notblock   goc_set_finalizer on a global: panics with
 *                          "runtime.SetFinalizer: pointer not in allocated block"
 *   gc_fincycle interior   on p + 8: "...pointer not at beginning of allocated block"
 *   gc_fincycle twice      set twice: "...finalizer already set"
 *
 * Objects checked after they are dropped are tracked by XORed addresses
 * (no scan recognizes them) in volatile globals (else the compiler, which
 * sees that nothing else writes them, may keep the plain address in a
 * saved register across collections), and each test uses a size class of
 * its own, so that a freed slot is not handed out again meanwhile. */
#include <stdatomic.h>
#include <string.h>

#include "testing.h"

static const uintptr_t key = 0x3c3c3c3c3c3c3c3cull;

typedef struct obj {
    struct obj *other;
    uint64_t    tag;
} obj;

static void *reveal(uintptr_t hidden) { return (void *)(hidden ^ key); }

/* Checks on hidden objects run in frames of their own (noinline), dead by
 * the time the caller collects: a plain address kept in the caller's live
 * frame (a spill slot, say) would keep the object. */
static __attribute__((noinline)) size_t hidden_size(volatile uintptr_t *hidden) {
    return goc_alloc_size(reveal(*hidden));
}

static void fill(void *p, size_t size, unsigned char v) {
    memset((char *)p + sizeof(obj), v, size - sizeof(obj));
}

static bool intact(const void *p, size_t size, unsigned char v) {
    if (goc_alloc_size(p) < size)
        return false;
    for (size_t i = sizeof(obj); i < size; i++)
        if (((const unsigned char *)p)[i] != v)
            return false;
    return true;
}

/* Zeroes the stack below the caller: the frames that checked an object
 * are dead, but the frames of the next park would lie over them, and
 * slots those leave unwritten would show the collector stale copies. */
static __attribute__((noinline)) void scrub(void) {
    volatile uintptr_t words[1024];
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        words[i] = 0;
}

/* A few collections, letting the finalizer goroutine run after each. */
static void collect(int rounds) {
    for (int i = 0; i < rounds; i++) {
        scrub();
        goc_gc();
        goc_sleep(2 * GOC_MILLISECOND);
    }
}

/* ---- cycle ---------------------------------------------------------------- */
enum { CYCLE_SIZE = 3000 };
static _Atomic int cycle_finalized, lone_finalized;
static volatile uintptr_t cycle_a, cycle_b, lone;

static void fin_cycle(void *p) {
    (void)p;
    atomic_fetch_add(&cycle_finalized, 1);
}

static void fin_lone(void *p) {
    (void)p;
    atomic_fetch_add(&lone_finalized, 1);
}

static __attribute__((noinline)) void make_cycle(void) {
    obj *a = goc_alloc(CYCLE_SIZE), *b = goc_alloc(CYCLE_SIZE), *l = goc_alloc(CYCLE_SIZE);
    a->other = b;
    b->other = a;
    fill(a, CYCLE_SIZE, 0xa1);
    fill(b, CYCLE_SIZE, 0xb2);
    goc_set_finalizer(a, fin_cycle);
    goc_set_finalizer(b, fin_cycle);
    goc_set_finalizer(l, fin_lone);
    cycle_a = (uintptr_t)a ^ key;
    cycle_b = (uintptr_t)b ^ key;
    lone = (uintptr_t)l ^ key;
}

static __attribute__((noinline)) bool cycle_intact(void) {
    obj *a = reveal(cycle_a), *b = reveal(cycle_b);
    return intact(a, CYCLE_SIZE, 0xa1) && intact(b, CYCLE_SIZE, 0xb2) && a->other == b &&
           b->other == a;
}

static void test_cycle(void) {
    make_cycle();
    for (int i = 0; i < 200 && !atomic_load(&lone_finalized); i++)
        collect(1);
    CHECK(atomic_load(&lone_finalized) == 1, "a lone finalizable object was not finalized");
    collect(5);
    CHECK(atomic_load(&cycle_finalized) == 0, "%d objects of a finalizable cycle were finalized",
          atomic_load(&cycle_finalized));
    CHECK(cycle_intact(), "a finalizable cycle was freed");
}

/* ---- reach ----------------------------------------------------------------- */
enum { HOLDER_SIZE = 64, HELD_SIZE = 5000 };
static _Atomic int held_ok = -1;
static volatile uintptr_t held;

static void fin_holder(void *p) {
    obj *h = p;
    atomic_store(&held_ok, h->other == reveal(held) && intact(h->other, HELD_SIZE, 0xc3));
}

static __attribute__((noinline)) void make_holder(void) {
    obj *h = goc_alloc(HOLDER_SIZE);
    obj *x = goc_alloc(HELD_SIZE);
    fill(x, HELD_SIZE, 0xc3);
    h->other = x;
    held = (uintptr_t)x ^ key;
    goc_set_finalizer(h, fin_holder);
}

static void test_reach(void) {
    make_holder();
    for (int i = 0; i < 200 && atomic_load(&held_ok) < 0; i++)
        collect(1);
    CHECK(atomic_load(&held_ok) == 1, "the object a finalizable one references was %s",
          atomic_load(&held_ok) < 0 ? "never handed to its finalizer" : "freed before it ran");
    for (int i = 0; i < 50 && hidden_size(&held); i++)
        collect(1);
    CHECK(hidden_size(&held) == 0, "the object was not freed after the finalizer ran");
}

/* ---- resurrect ------------------------------------------------------------------ */
enum { RES_SIZE = 7000 };
static _Atomic int res_finalized;
static _Atomic(obj *) saved;
static volatile uintptr_t res;

static void fin_resurrect(void *p) {
    atomic_fetch_add(&res_finalized, 1);
    atomic_store(&saved, (obj *)p);
}

static __attribute__((noinline)) void make_resurrecting(void) {
    obj *o = goc_alloc(RES_SIZE);
    fill(o, RES_SIZE, 0xd4);
    res = (uintptr_t)o ^ key;
    goc_set_finalizer(o, fin_resurrect);
}

static __attribute__((noinline)) bool resurrected_intact(void) {
    return atomic_load(&saved) == reveal(res) && intact(reveal(res), RES_SIZE, 0xd4);
}

static void test_resurrect(void) {
    make_resurrecting();
    for (int i = 0; i < 200 && !atomic_load(&saved); i++)
        collect(1);
    REQUIRE(atomic_load(&saved), "the finalizer did not run");
    collect(5);
    CHECK(resurrected_intact(), "a resurrected object was freed");
    atomic_store(&saved, NULL);
    for (int i = 0; i < 50 && hidden_size(&res); i++)
        collect(1);
    CHECK(hidden_size(&res) == 0, "a resurrected object dropped again was not freed");
    CHECK(atomic_load(&res_finalized) == 1, "the finalizer ran %d times", atomic_load(&res_finalized));
}

/* ---- misuse ---------------------------------------------------------------------- */
static void nop(void *p) { (void)p; }
static obj global_obj;

static int test_main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "notblock") == 0) {
        goc_set_finalizer(&global_obj, nop);
        return 1;
    }
    if (strcmp(mode, "interior") == 0) {
        char *p = goc_alloc(64);
        goc_set_finalizer(p + 8, nop);
        return 1;
    }
    if (strcmp(mode, "twice") == 0) {
        void *p = goc_alloc(64);
        goc_set_finalizer(p, nop);
        goc_set_finalizer(p, nop);
        return 1;
    }
    test_cycle();
    test_reach();
    test_resurrect();
    return test_status();
}

GOC_MAIN(test_main)
