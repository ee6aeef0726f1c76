/* SPDX-License-Identifier: MIT */
/* Pointers that only the kernel writes into the heap while the collector
 * marks.  Pairs of goroutines pass node addresses through pipes; the
 * reader receives each into a goc_alloc'd mailbox, through goc_read
 * (the runtime's I/O: io_uring or epoll) or a plain read(2) in a blocking
 * section.  Once the mailbox holds the address, the writer drops its own
 * reference, so the mailbox, written by the kernel, is the node's only
 * holder; the reader then checks the node and drops it.  Collections run
 * back to back meanwhile.  A mark that missed a write made by the kernel
 * (the mailbox scanned before the write, the write not recorded) frees
 * a reachable node: its checksum or its goc_alloc_size shows it, and with
 * GODEBUG=gccheckmark=1 the verifying mark stops the program.
 *
 * With GODEBUG=gcdirty=mprotect a plain read(2) into the heap fails with
 * EFAULT while a mark runs (documented), so every reader uses goc_read,
 * which has the kernel write into a buffer of the runtime's and copies in.
 *
 *   gc_kernel_write [seconds]   default 2 (1 with GOC_TEST_QUICK=1) */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testing.h"

enum { NPAIRS = 8, SLOTS = 32, NODE_WORDS = 12 };

typedef struct node {
    uint64_t id, sum;
    uint64_t fill[NODE_WORDS - 2];
} node;

/* A mailbox: the reader's heap object the kernel writes addresses into.
 * Only the reader goroutine's stack points at it. */
typedef struct mailbox {
    node *slot[SLOTS];
} mailbox;

typedef struct pair {
    int          fds[2];
    bool         plain_read;   /* read(2) in a blocking section, else goc_read */
    goc_chan    *ack;          /* reader -> writer: the address has landed */
    _Atomic(node *) in_flight; /* the writer's only reference meanwhile */
} pair;

static pair pairs[NPAIRS];
static _Atomic uint64_t received;
static goc_waitgroup done;
static test_gc_loop gc_loop = {.done = &done};

static bool finished(void) { return test_gc_loop_finished(&gc_loop); }

static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

static node *new_node(uint64_t id) {
    node *n = goc_alloc(sizeof *n);
    REQUIRE(n, "goc_alloc failed");
    n->id = id;
    n->sum = mix(id);
    for (int i = 0; i < NODE_WORDS - 2; i++)
        n->fill[i] = mix(id + (uint64_t)i + 1);
    return n;
}

static void check_node(const node *n, uint64_t want_id) {
    REQUIRE(goc_alloc_size(n) >= sizeof *n, "node %llu at %p was freed (goc_alloc_size %zu)",
            (unsigned long long)want_id, (const void *)n, goc_alloc_size(n));
    REQUIRE(n->id == want_id && n->sum == mix(want_id),
            "node %p: id %llu (want %llu), checksum %#llx", (const void *)n,
            (unsigned long long)n->id, (unsigned long long)want_id, (unsigned long long)n->sum);
    for (int i = 0; i < NODE_WORDS - 2; i++)
        REQUIRE(n->fill[i] == mix(want_id + (uint64_t)i + 1), "node %llu: word %d overwritten",
                (unsigned long long)want_id, i);
}

static void writer(void *arg) {
    pair *p = arg;
    for (uint64_t id = 1;; id++) {
        node *n = !finished() ? new_node(id) : NULL;
        atomic_store(&p->in_flight, n);
        uintptr_t word = (uintptr_t)n;
        REQUIRE(goc_write(p->fds[1], &word, sizeof word) == (ssize_t)sizeof word,
                "write to the pipe: %s", strerror(errno));
        /* Nothing but the pipe and in_flight hold the node now. */
        n = NULL;
        word = 0;
        __asm__ volatile("" : : "r"(n), "r"(word) : "memory");
        bool more;
        REQUIRE(goc_chan_recv(p->ack, &more), "ack channel closed");
        /* The reader's mailbox holds it: let go. */
        atomic_store(&p->in_flight, NULL);
        if (!more)
            break;
    }
    goc_waitgroup_done(&done);
}

/* Reads one address into mb->slot[k], as the kernel writes it. */
static void receive(pair *p, mailbox *mb, int k) {
    ssize_t got;
    if (p->plain_read) {
        goc_blocking_begin();
        got = read(p->fds[0], &mb->slot[k], sizeof mb->slot[k]);
        goc_blocking_end();
    } else {
        got = goc_read(p->fds[0], &mb->slot[k], sizeof mb->slot[k]);
    }
    REQUIRE(got == (ssize_t)sizeof mb->slot[k], "read from the pipe: %zd (%s)", got,
            strerror(errno));
}

static void reader(void *arg) {
    pair *p = arg;
    mailbox *mb = goc_alloc(sizeof *mb);
    REQUIRE(mb, "goc_alloc failed");
    uint64_t want = 1;
    for (int k = 0;; k = (k + 1) % SLOTS, want++) {
        receive(p, mb, k);
        bool more = mb->slot[k] != NULL;
        goc_chan_send(p->ack, &more);
        if (!more)
            break;
        /* The writer may drop its reference any time now: the mailbox is
         * all that keeps the node.  Give the collector a chance. */
        if (want % 4 == 0)
            goc_yield();
        check_node(mb->slot[k], want);
        mb->slot[k] = NULL;
        atomic_fetch_add(&received, 1);
    }
    goc_waitgroup_done(&done);
}

static int test_main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : getenv("GOC_TEST_QUICK") ? 1 : 2;
    gc_loop.end_ns = test_clock_ns() + (int64_t)(seconds * 1e9);
    goc_waitgroup_add(&done, 2 * NPAIRS + 1);
    for (int i = 0; i < NPAIRS; i++) {
        pair *p = &pairs[i];
        REQUIRE(pipe(p->fds) == 0, "pipe: %s", strerror(errno));
        p->plain_read = i % 2 && !strstr(getenv("GODEBUG") ? getenv("GODEBUG") : "",
                                         "gcdirty=mprotect");
        p->ack = goc_chan_make(sizeof(bool), 0);
        goc_go(reader, p);
        goc_go(writer, p);
    }
    goc_go(test_gc_loop_run, &gc_loop);
    goc_waitgroup_wait(&done);
    for (int i = 0; i < NPAIRS; i++) {
        close(pairs[i].fds[0]);
        close(pairs[i].fds[1]);
    }
    fprintf(stderr, "gc_kernel_write: %llu nodes passed through the kernel, %llu collections\n",
            (unsigned long long)atomic_load(&received), (unsigned long long)atomic_load(&gc_loop.cycles));
    return test_status();
}

GOC_MAIN(test_main)
