/* SPDX-License-Identifier: MIT */
/* A stack move relocates every word that looks like an address in the old
 * stack, pointer or not (stack/move.h).  A short string written into a
 * buffer over a stale stack address leaves such a word: the string's bytes
 * must survive the move, which holds when every move keeps the low 32 bits
 * of the addresses it changes.
 *
 *   stack_partial_words          moves by growth, in the middle of a call
 *   stack_partial_words shrink   a parked goroutine's stack shrunk by goc_gc
 *
 * (Packing, which moves the frames of a goroutine parked on at most 2 KiB
 * of stack into a small block, does not keep the low bits yet.) */
#include <string.h>

#include "testing.h"

enum {
    MAX_FRESH = 4,            /* bytes of a word that are data: the guarantee */
    BUF_WORDS = 8,
    GROW_KB_MIN = 16,
    GROW_KB_MAX = 4096,
    SHRINK_KB = 1024,
    UNPACKABLE = 4096,        /* stack a parked goroutine keeps in use */
};

/* Addresses kept where the move cannot see them: a stack address stored
 * plainly would be relocated with everything else. */
#define HIDE ((uintptr_t)0x5A5A5A5A5A5A5A5Aull)

struct probe {
    char      buf[BUF_WORDS * 8] __attribute__((aligned(8)));
    uintptr_t hidden_addr;
};

/* Fills buf with stale addresses of itself, as frames that returned leave
 * behind, then writes fresh bytes of data over the start. */
static void probe_set(struct probe *p, int fresh) {
    uintptr_t self = (uintptr_t)p->buf;
    for (int i = 0; i < BUF_WORDS; i++)
        memcpy(p->buf + 8 * i, &self, sizeof self);
    for (int i = 0; i < fresh; i++)
        p->buf[i] = (char)('A' + i);
    p->hidden_addr = self ^ HIDE;
    __asm__ volatile("" : : "r"(p) : "memory");
}

/* Whether the stack moved; checks what a move must keep. */
static bool probe_check(struct probe *p, int fresh, const char *how) {
    __asm__ volatile("" : : "r"(p) : "memory");
    uintptr_t before = p->hidden_addr ^ HIDE, now = (uintptr_t)p->buf;
    for (int i = 0; i < fresh; i++)
        CHECK(p->buf[i] == (char)('A' + i), "%s: byte %d of a %d-byte string changed to 0x%02x",
              how, i, fresh, (unsigned char)p->buf[i]);
    CHECK(((now - before) & 0xFFFFFFFFu) == 0,
          "%s: the stack moved by 0x%lx, which changes the low 32 bits", how,
          (unsigned long)(now - before));
    return now != before;
}

__attribute__((noinline))
static int recurse(int kb) {
    char pad[1024];
    pad[0] = (char)kb;
    __asm__ volatile("" : : "r"(pad) : "memory");
    return kb > 1 ? recurse(kb - 1) + pad[0] : pad[0];
}

static goc_waitgroup done;

/* One goroutine per string length, starting small: each deeper recursion
 * than the last needs a larger stack. */
static void grow_trials(void *arg) {
    int fresh = (int)(intptr_t)arg;
    for (int kb = GROW_KB_MIN; kb <= GROW_KB_MAX; kb *= 2) {
        struct probe p;
        probe_set(&p, fresh);
        recurse(kb);
        CHECK(probe_check(&p, fresh, "growth") || kb == GROW_KB_MIN,
              "a %d KiB recursion did not move the stack", kb);
    }
    goc_waitgroup_done(&done);
}

static goc_chan *parked, *wake;

static void shrink_trial(void *arg) {
    int fresh = (int)(intptr_t)arg;
    recurse(SHRINK_KB);   /* grown, then mostly unused */
    char in_use[UNPACKABLE];   /* so that it is shrunk, not packed */
    memset(in_use, 1, sizeof in_use);
    __asm__ volatile("" : : "r"(in_use) : "memory");
    struct probe p;
    probe_set(&p, fresh);
    int v = 1;
    goc_chan_send(parked, &v);
    CHECK(goc_chan_recv(wake, &v), "wake channel closed");
    CHECK(probe_check(&p, fresh, "shrink"), "goc_gc did not shrink the parked stack");
    goc_waitgroup_done(&done);
}

static int test_main(int argc, char **argv) {
    bool shrink = argc > 1 && strcmp(argv[1], "shrink") == 0;
    parked = goc_chan_make(sizeof(int), 0);
    wake = goc_chan_make(sizeof(int), 0);
    for (int fresh = 1; fresh <= MAX_FRESH; fresh++) {
        goc_waitgroup_add(&done, 1);
        if (!shrink) {
            goc_go(grow_trials, (void *)(intptr_t)fresh);
            goc_waitgroup_wait(&done);
            continue;
        }
        goc_go(shrink_trial, (void *)(intptr_t)fresh);
        int v;
        goc_chan_recv(parked, &v);
        /* It is parked on wake, or about to be: a stack shrinks in a cycle
         * that began while its goroutine was parked (the mark runs
         * concurrently), so the second cycle shrinks it if the first
         * did not. */
        goc_gc();
        goc_gc();
        goc_chan_send(wake, &v);
        goc_waitgroup_wait(&done);
    }
    return test_status();
}

GOC_MAIN(test_main)
