/* SPDX-License-Identifier: MIT */
/* The collector's self-checks catch a premature free: each mode provokes
 * one on purpose and must die with the detector's report (tests/cases
 * expects exit status 2 and the message).  Returning means the detector
 * missed it: exit 1.
 *
 *   gc_checkmark_catches checkmark  (GODEBUG=gccheckmark=1) objects whose
 *       only references are kept XORed during the first mark and restored
 *       (through gc_test_before_checkmark) before the verifying mark: the
 *       first mark leaves them white, the verifying one reaches them, so the
 *       program must stop with "gccheckmark: ... reachable ... unmarked".
 *   gc_checkmark_catches poison     (GODEBUG=gcpoison=1, GOMAXPROCS=1) a
 *       write through a dangling pointer to an object the collector freed:
 *       the allocation that hands its slot out again must stop the program
 *       with "memory corruption". */
#include <string.h>

#include "gc/gc.h"
#include "mem/mem.h"
#include "testing.h"

enum { N = 64, SIZE = 48 };
static const uintptr_t key = 0xa5a5a5a5a5a5a5a5ull;

/* Addresses as no scan recognizes them, XORed with key. */
static uintptr_t hidden[N];
/* The other half of the same spans stays allocated, so that the spans are
 * not returned whole to the page heap (which clears reused memory). */
/* volatile: stored, never read, and a compiler drops such stores. */
static void *volatile kept[N];

/* noinline: the objects' plain addresses die with this frame. */
static __attribute__((noinline)) void allocate_hidden(void) {
    for (int i = 0; i < N; i++) {
        kept[i] = goc_alloc(SIZE);
        char *p = goc_alloc(SIZE);
        memset(p, 0x11, SIZE);
        hidden[i] = (uintptr_t)p ^ key;
    }
}

/* Clobbers the stack below the caller, where copies of the addresses may
 * linger in dead frames (only live frames are scanned, but be sure). */
static __attribute__((noinline)) void scrub(void) {
    volatile char pad[4096];
    memset((char *)pad, 0, sizeof pad);
    /* Or the compiler drops the stores to an array about to die (and the
     * call with them). */
    __asm__ volatile("" : : "r"(pad) : "memory");
}

static void reveal(void) {
    for (int i = 0; i < N; i++)
        hidden[i] ^= key;
}

static int checkmark(void) {
    allocate_hidden();
    scrub();
    gc_test_before_checkmark = reveal;
    goc_gc();
    fprintf(stderr, "gccheckmark did not report objects the first mark missed\n");
    return 1;
}

static int poison(void) {
    /* No cycle but the one asked for: the freed slot must be reused before
     * another sweep could re-poison it. */
    goc_set_gc_percent(-1);
    allocate_hidden();
    scrub();
    goc_gc();
    uint64_t *dangling = NULL;
    for (int i = 0; i < N && !dangling; i++)
        if (goc_alloc_size((void *)(hidden[i] ^ key)) == 0)
            dangling = (uint64_t *)(hidden[i] ^ key);
    REQUIRE(dangling, "the collector freed none of %d unreachable objects", N);
    REQUIRE(dangling[0] == MEM_POISON && dangling[SIZE / 8 - 1] == MEM_POISON,
            "freed object %p not poisoned: %#llx", (void *)dangling, (unsigned long long)dangling[0]);
    dangling[2] = 42;   /* the bug: a write after the free */
    for (int i = 0; i < 1000000; i++) {
        void *p = goc_alloc(SIZE);
        goc_keep_alive(p);
    }
    fprintf(stderr, "gcpoison did not report the write to freed %p\n", (void *)dangling);
    return 1;
}

static int test_main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "checkmark") == 0)
        return checkmark();
    if (argc > 1 && strcmp(argv[1], "poison") == 0)
        return poison();
    fprintf(stderr, "usage: gc_checkmark_catches checkmark|poison\n");
    return 1;
}

GOC_MAIN(test_main)
