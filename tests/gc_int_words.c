/* SPDX-License-Identifier: MIT */
/* A 32-bit integer stored over half of a dead heap pointer keeps nothing
 * alive.  Such a word is the pointer's high half above the integer: for
 * small integers and -1 it points just above or just below a 4 GiB
 * boundary, where no arena lies (mem/mem.h).  CI once failed gc_memstats on
 * an ASan build whose first arena began at a boundary: one object of the
 * garbage stayed, kept by a word 0x7f6e00000001 on main's stack.
 *
 *   - mem_arena_clear_of_boundaries, for bases around boundaries and every
 *     size it is used for, gives an aligned base at or above the one asked
 *     for, at most size + 2 margins above, whose range clears the margins;
 *   - every object the program allocates lies outside the margins;
 *   - with words (high half | n) and (high half | -1 - n), n < 64 Ki, for
 *     every high half of the heap held in globals, goc_gc frees all of the
 *     garbage. */
#include <string.h>

#include "mem/mem.h"
#include "testing.h"

enum { GARBAGE_OBJECTS = 2048, SMALL_INTS = 65536 };

static const uintptr_t margin = MEM_BOUNDARY_MARGIN, boundary = MEM_BOUNDARY_SIZE;

static bool in_margin(uintptr_t a) {
    uintptr_t low = a & (boundary - 1);
    return low < margin || low >= boundary - margin;
}

static void check_base_choice(void) {
    const size_t max_bytes = boundary - 4 * margin;
    const size_t sizes[] = {MEM_ARENA_SIZE, 2 * MEM_ARENA_SIZE, 17 * MEM_ARENA_SIZE,
                            boundary / 2, max_bytes - MEM_ARENA_SIZE, max_bytes};
    for (uintptr_t k = 2; k <= 4; k++) {
        for (intptr_t j = -70; j <= 70; j++) {
            uintptr_t from = k * boundary + (uintptr_t)j * MEM_ARENA_SIZE;
            for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
                size_t bytes = sizes[i];
                uintptr_t base = mem_arena_clear_of_boundaries(from, bytes);
                CHECK(base % MEM_ARENA_SIZE == 0, "base %#lx unaligned", (unsigned long)base);
                CHECK(base >= from && base - from <= bytes + 2 * margin,
                      "from %#lx, %zu bytes: base %#lx", (unsigned long)from, bytes,
                      (unsigned long)base);
                /* Aligned to the margin's size: only the first and last
                 * chunks can meet a margin without the range crossing a
                 * boundary, which the size excludes. */
                uintptr_t last = base + bytes - MEM_ARENA_SIZE;
                CHECK(!in_margin(base) && !in_margin(last) &&
                          (base & ~(boundary - 1)) == (last & ~(boundary - 1)),
                      "from %#lx, %zu bytes: [%#lx, %#lx) meets a margin", (unsigned long)from,
                      bytes, (unsigned long)base, (unsigned long)(base + bytes));
            }
        }
    }
}

/* Hidden (complemented) addresses of the garbage: the test holds none. */
static uintptr_t garbage_hidden[GARBAGE_OBJECTS];
enum { MAX_HIGH_HALVES = 4 };
/* The integer words in globals, which are roots. */
static uintptr_t int_words_global[MAX_HIGH_HALVES][2 * SMALL_INTS];

/* Allocates the garbage of mixed sizes in a frame of its own. */
__attribute__((noinline)) static void make_garbage(void) {
    for (int i = 0; i < GARBAGE_OBJECTS; i++) {
        size_t size = (size_t)16 << (i % 8);
        char *p = goc_alloc(size);
        REQUIRE(p, "goc_alloc failed");
        p[0] = (char)i;
        CHECK(!in_margin((uintptr_t)p), "object %p lies in a boundary margin", (void *)p);
        garbage_hidden[i] = ~(uintptr_t)p;
    }
}

/* Overwrites the stack below the caller, where the garbage's pointers were. */
__attribute__((noinline)) static void clear_stack(void) {
    volatile char pad[16384];
    memset((char *)pad, 0, sizeof pad);
    __asm__ volatile("" : : "r"(pad) : "memory");
}

/* The distinct high halves of the garbage's addresses, up to max. */
static size_t high_halves(uint32_t *out, size_t max) {
    size_t n = 0;
    for (int i = 0; i < GARBAGE_OBJECTS; i++) {
        uint32_t hi = (uint32_t)(~garbage_hidden[i] >> 32);
        size_t j = 0;
        while (j < n && out[j] != hi)
            j++;
        if (j == n && n < max)
            out[n++] = hi;
    }
    return n;
}

/* Collects while the globals hold the integer words of every high half;
 * returns how many objects were freed.  (Globals are scanned as stacks
 * are, word by word.  Under ASan, an array on the stack would come with
 * redzones, which keep old words the test cannot overwrite.) */
__attribute__((noinline)) static uint64_t collect_with_int_words(const uint32_t *his, size_t nhi) {
    static goc_memstats before, after;
    for (size_t h = 0; h < nhi; h++) {
        uintptr_t high = (uintptr_t)his[h] << 32;
        for (uint32_t n = 0; n < SMALL_INTS; n++) {
            int_words_global[h][2 * n] = high | n;
            int_words_global[h][2 * n + 1] = high | (uint32_t)(UINT32_MAX - n);
        }
    }
    goc_read_memstats(&before);
    goc_gc();
    goc_read_memstats(&after);
    return after.frees - before.frees;
}

static int run(int argc, char **argv) {
    (void)argc;
    (void)argv;
    check_base_choice();

    make_garbage();
    clear_stack();
    static uint32_t his[MAX_HIGH_HALVES];
    size_t nhi = high_halves(his, MAX_HIGH_HALVES);
    REQUIRE(nhi >= 1, "no high halves");
    uint64_t freed = collect_with_int_words(his, nhi);
    CHECK(freed >= GARBAGE_OBJECTS, "%llu objects freed of %d garbage (high half %#x)",
          (unsigned long long)freed, GARBAGE_OBJECTS, his[0]);
    return test_status();
}

GOC_MAIN(run)
