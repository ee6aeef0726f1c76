/* SPDX-License-Identifier: MIT */
/* The collector under fire: 4 x GOMAXPROCS goroutines mutate a shared
 * random graph of goc_alloc'd nodes while one goroutine runs goc_gc back
 * to back and GOGC=25 adds heap-triggered cycles.  Every node carries a
 * checksum derived from its id, and a goc_alloc_atomic payload filled with
 * a pattern derived from it; a node freed while reachable shows up as a
 * bad checksum, a goc_alloc_size of 0, or (with GODEBUG=gcpoison=1) as
 * "memory corruption" when its slot is handed out again.
 *
 * Nodes are made reachable in every way a root can hold them:
 *   - globals (the graph's roots) and pointer stores into old nodes;
 *   - only registers and locals of a running goroutine (build, churn,
 *     check);
 *   - only the stack of a parked goroutine (build, sleep, check);
 *   - only a buffered channel's buffer (send the one pointer, drop it,
 *     receive it later, maybe in another goroutine);
 *   - only an interior pointer (p + INTERIOR_OFF kept in a global);
 *   - only a malloc'd table registered with goc_add_roots;
 *   - only a large node's pointer field far from its start (> 32 KiB, and
 *     past the first 128 KiB piece the mark scans large objects in);
 *   - a goc_after channel held only by its timer (its address kept XORed);
 *   - payloads are goc_alloc_atomic (never scanned, kept by their node).
 * A thread that is not a goroutine holding the only pointer comes with the
 * stop-the-world's suspension of such threads: see FOREIGN_THREAD_HOOK.
 *
 *   gc_torture [seconds]   default 3, 1 with GOC_TEST_QUICK=1 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "testing.h"

enum {
    NKIDS = 4,
    NROOTS = 64,          /* the graph's global roots */
    NTABLE = 256,         /* the goc_add_roots table */
    NINTERIOR = 32,       /* globals holding only interior pointers */
    STASH_CAP = 64,       /* the channel holding only pointers in its buffer */
    INTERIOR_OFF = 21,    /* unaligned, inside the node's header */
    MAX_REACHABLE = 1 << 16,   /* past this, mutators prune the graph */
    BIG_SIZE = 48 << 10, BIG_FAR = 40 << 10,
    HUGE_SIZE = 300 << 10, HUGE_FAR = 260 << 10,
};

/* Pointers to nodes are published with release stores and read with
 * acquire loads: a node is filled in before another goroutine can see it. */
typedef struct node node;
struct node {
    _Atomic(node *) kid[NKIDS];
    uint64_t        id;
    uint64_t        sum;        /* mix(id) */
    unsigned char  *payload;    /* goc_alloc_atomic, plen bytes of pattern */
    uint32_t        plen;
    uint32_t        far_off;    /* large nodes: offset of one more kid, else 0 */
    uint32_t        size;       /* bytes asked of goc_alloc */
};

static _Atomic(node *) roots[NROOTS];
static _Atomic uintptr_t interior[NINTERIOR];
static _Atomic(node *) *table;          /* malloc'd, a goc_add_roots range */
static goc_chan *stash;                 /* of node *, capacity STASH_CAP */
static _Atomic uint64_t next_id = 1;
static int64_t end_ns;                  /* test_clock_ns() at which everyone stops */
static _Atomic bool prune;              /* the graph grew past MAX_REACHABLE */
static _Atomic uint64_t checked_nodes, stats_parked, stats_stashed, stats_timers;

static uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t rnd(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static unsigned char pattern(uint64_t sum, uint32_t i) {
    return (unsigned char)((sum >> (i % 8 * 8)) ^ i);
}

static _Atomic(node *) *far_kid(node *n) {
    return (_Atomic(node *) *)((char *)n + n->far_off);
}

/* Dies at the first sign of a freed or overwritten node. */
static void check_node(const node *n) {
    REQUIRE(goc_alloc_size(n) >= n->size && n->size >= sizeof *n,
            "node %p: goc_alloc_size %zu, size field %u (id %llu)", (const void *)n,
            goc_alloc_size(n), n->size, (unsigned long long)n->id);
    REQUIRE(n->id && n->sum == mix(n->id), "node %p: id %llu, checksum %#llx", (const void *)n,
            (unsigned long long)n->id, (unsigned long long)n->sum);
    REQUIRE(goc_alloc_size(n->payload) >= n->plen, "node %llu: payload %p freed",
            (unsigned long long)n->id, (void *)n->payload);
    for (uint32_t i = 0; i < n->plen; i++)
        REQUIRE(n->payload[i] == pattern(n->sum, i), "node %llu: payload byte %u is %#x",
                (unsigned long long)n->id, i, n->payload[i]);
    atomic_fetch_add_explicit(&checked_nodes, 1, memory_order_relaxed);
}

static node *new_node(uint64_t *r) {
    uint64_t k = rnd(r) % 1000;
    uint32_t size = sizeof(node), far = 0;
    if (k < 3) {
        size = HUGE_SIZE;
        far = HUGE_FAR;
    } else if (k < 15) {
        size = BIG_SIZE;
        far = BIG_FAR;
    } else if (k < 200) {
        size = sizeof(node) + (uint32_t)(rnd(r) % 2000);
    }
    uint32_t plen = 8 + (uint32_t)(rnd(r) % 256);
    /* The payload first: while it is allocated it is held by a local only. */
    unsigned char *payload = goc_alloc_atomic(plen);
    node *n = goc_alloc(size);
    n->id = atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed);
    n->sum = mix(n->id);
    n->size = size;
    n->far_off = far;
    n->plen = plen;
    for (uint32_t i = 0; i < plen; i++)
        payload[i] = pattern(n->sum, i);
    n->payload = payload;
    return n;
}

static node *build(uint64_t *r, int depth) {
    node *n = new_node(r);
    if (depth > 0) {
        for (int k = 0; k < NKIDS; k++)
            if (rnd(r) % 3)
                atomic_store_explicit(&n->kid[k], build(r, depth - 1), memory_order_release);
        if (n->far_off)
            atomic_store_explicit(far_kid(n), build(r, depth - 1), memory_order_release);
    }
    return n;
}

/* Checks n and what hangs below it, down to depth (cycles are cut there). */
static void check_tree(node *n, int depth) {
    if (!n)
        return;
    check_node(n);
    if (depth == 0)
        return;
    for (int k = 0; k < NKIDS; k++)
        check_tree(atomic_load_explicit(&n->kid[k], memory_order_acquire), depth - 1);
    if (n->far_off)
        check_tree(atomic_load_explicit(far_kid(n), memory_order_acquire), depth - 1);
}

/* A node somewhere in the graph, reached by a short random walk (or NULL). */
static node *pick(uint64_t *r) {
    node *n = atomic_load_explicit(&roots[rnd(r) % NROOTS], memory_order_acquire);
    for (uint64_t steps = rnd(r) % 5; n && steps; steps--) {
        node *next = atomic_load_explicit(&n->kid[rnd(r) % NKIDS], memory_order_acquire);
        if (!next)
            break;
        n = next;
    }
    return n;
}

/* Garbage and a chance for the collector to run, while the caller holds
 * something in its registers or locals only. */
static void churn(uint64_t *r) {
    for (int i = 0; i < 16; i++) {
        void *g = goc_alloc(16 + rnd(r) % 2048);
        goc_keep_alive(g);
    }
    goc_yield();
}

static void attach(uint64_t *r, node *t) {
    node *a = pick(r);
    if (a)
        atomic_store_explicit(&a->kid[rnd(r) % NKIDS], t, memory_order_release);
    else
        atomic_store_explicit(&roots[rnd(r) % NROOTS], t, memory_order_release);
}

static void op_store(uint64_t *r) {
    node *a = pick(r), *b = rnd(r) % 4 ? pick(r) : new_node(r);
    if (a)
        atomic_store_explicit(&a->kid[rnd(r) % NKIDS], b, memory_order_release);
}

static void op_replace(uint64_t *r) {
    node *a = pick(r);
    node *t = build(r, 2 + (int)(rnd(r) % 2));
    if (a)
        atomic_store_explicit(&a->kid[rnd(r) % NKIDS], t, memory_order_release);
    else
        atomic_store_explicit(&roots[rnd(r) % NROOTS], t, memory_order_release);
}

static void op_drop(uint64_t *r) {
    if (atomic_load_explicit(&prune, memory_order_acquire) || rnd(r) % 8 == 0) {
        atomic_store_explicit(&roots[rnd(r) % NROOTS], rnd(r) % 2 ? build(r, 3) : NULL,
                              memory_order_release);
        return;
    }
    node *a = pick(r);
    if (a)
        atomic_store_explicit(&a->kid[rnd(r) % NKIDS], NULL, memory_order_release);
}

static void op_locals(uint64_t *r) {
    node *t = build(r, 3);
    churn(r);
    check_tree(t, 3);
    if (rnd(r) % 4 == 0)
        attach(r, t);
}

static void op_parked(uint64_t *r) {
    node *t = build(r, 3);
    /* Parked on a timer: this stack is all that holds t. */
    goc_sleep((int64_t)(rnd(r) % 500) * GOC_MICROSECOND);
    check_tree(t, 3);
    atomic_fetch_add_explicit(&stats_parked, 1, memory_order_relaxed);
}

static void op_stash(uint64_t *r) {
    node *t;
    if (rnd(r) % 2) {
        t = build(r, 2);
        if (goc_chan_try_send(stash, &t)) {
            atomic_fetch_add_explicit(&stats_stashed, 1, memory_order_relaxed);
            return;   /* the channel's buffer holds the only pointer now */
        }
    }
    if (goc_chan_try_recv(stash, &t) == GOC_RECV_OK) {
        check_tree(t, 2);
        if (rnd(r) % 4 == 0)
            attach(r, t);
    }
}

static void op_interior(uint64_t *r) {
    node *t = build(r, 2);
    uintptr_t old = atomic_exchange_explicit(&interior[rnd(r) % NINTERIOR],
                                             (uintptr_t)t + INTERIOR_OFF, memory_order_acq_rel);
    if (old)
        check_tree((node *)(old - INTERIOR_OFF), 2);
}

static void op_table(uint64_t *r) {
    node *old = atomic_exchange_explicit(&table[rnd(r) % NTABLE], build(r, 2), memory_order_acq_rel);
    if (old)
        check_tree(old, 2);
}

/* A goc_after channel whose only reference is its timer's: its address is
 * kept XORed, where no scan recognizes it, until it is checked.  The timer
 * is far from firing, so the timer must be what keeps the channel. */
static void op_timer(uint64_t *r) {
    static const uintptr_t key = 0x5a5a5a5a5a5a5a5aull;
    volatile uintptr_t hidden = (uintptr_t)goc_after(10 * GOC_SECOND) ^ key;
    churn(r);
    goc_sleep(100 * GOC_MICROSECOND);
    goc_chan *c = (goc_chan *)(hidden ^ key);
    REQUIRE(goc_chan_cap(c) == 1 && goc_chan_elem_size(c) == sizeof(int64_t) &&
                goc_chan_len(c) == 0,
            "goc_after channel %p held by its timer was freed (cap %zu, elem %zu)", (void *)c,
            goc_chan_cap(c), goc_chan_elem_size(c));
    atomic_fetch_add_explicit(&stats_timers, 1, memory_order_relaxed);
}

static void op_large(uint64_t *r) {
    node *a = pick(r);
    node *n;
    do
        n = new_node(r);
    while (!n->far_off);
    atomic_store_explicit(far_kid(n), build(r, 2), memory_order_release);
    if (a)
        atomic_store_explicit(&a->kid[rnd(r) % NKIDS], n, memory_order_release);
    else
        check_tree(n, 3);
}

static goc_waitgroup wg;

static void mutator(void *arg) {
    uint64_t r = mix((uintptr_t)arg) | 1;
    while (test_clock_ns() < end_ns) {
        uint64_t op = rnd(&r) % 100;
        if (op < 25)
            op_store(&r);
        else if (op < 35)
            op_replace(&r);
        else if (op < 47)
            op_drop(&r);
        else if (op < 57)
            op_locals(&r);
        else if (op < 62)
            op_parked(&r);
        else if (op < 72)
            op_stash(&r);
        else if (op < 80)
            op_interior(&r);
        else if (op < 88)
            op_table(&r);
        else if (op < 90)
            op_timer(&r);
        else if (op < 93)
            op_large(&r);
        else
            check_tree(pick(&r), 4);
    }
    goc_waitgroup_done(&wg);
}

static void collector(void *arg) {
    (void)arg;
    while (test_clock_ns() < end_ns) {
        goc_gc();
        /* Back to back, yet at GOMAXPROCS=1 the mutators get turns. */
        goc_yield();
    }
    goc_waitgroup_done(&wg);
}

/* FOREIGN_THREAD_HOOK: a pthread that is not a goroutine, holding the only
 * pointer to a subtree in its locals while collections run, goes here once
 * the stop-the-world suspends such threads and scans their stacks. */

/* ---- checking the whole graph ---------------------------------------------- */

/* Everything reachable from the globals, the table and the interior
 * pointers, each node once.  The work stack is a goc_alloc object (held by
 * this frame), so what it holds stays alive while mutators cut edges. */
typedef struct walk {
    node     **stack;
    size_t     n, cap;
    uintptr_t *seen;     /* goc_alloc_atomic: open addressing, 0 = empty */
    size_t     seen_cap, count;
} walk;

static bool first_visit(walk *w, node *n) {
    size_t i = (size_t)mix((uintptr_t)n) & (w->seen_cap - 1);
    while (w->seen[i]) {
        if (w->seen[i] == (uintptr_t)n)
            return false;
        i = (i + 1) & (w->seen_cap - 1);
    }
    w->seen[i] = (uintptr_t)n;
    w->count++;
    return true;
}

static void push(walk *w, node *n) {
    if (!n || w->count >= w->seen_cap / 2 || !first_visit(w, n))
        return;
    if (w->n == w->cap) {
        w->cap *= 2;
        w->stack = goc_realloc(w->stack, w->cap * sizeof *w->stack);
    }
    w->stack[w->n++] = n;
}

static size_t check_all(void) {
    walk w = {.cap = 1024, .seen_cap = (size_t)MAX_REACHABLE * 4};
    w.stack = goc_alloc(w.cap * sizeof *w.stack);
    w.seen = goc_alloc_atomic(w.seen_cap * sizeof *w.seen);
    for (int i = 0; i < NROOTS; i++)
        push(&w, atomic_load_explicit(&roots[i], memory_order_acquire));
    for (int i = 0; i < NTABLE; i++)
        push(&w, atomic_load_explicit(&table[i], memory_order_acquire));
    for (int i = 0; i < NINTERIOR; i++) {
        uintptr_t v = atomic_load_explicit(&interior[i], memory_order_acquire);
        if (v)
            push(&w, (node *)(v - INTERIOR_OFF));
    }
    for (size_t popped = 1; w.n; popped++) {
        node *n = w.stack[--w.n];
        check_node(n);
        for (int k = 0; k < NKIDS; k++)
            push(&w, atomic_load_explicit(&n->kid[k], memory_order_acquire));
        if (n->far_off)
            push(&w, atomic_load_explicit(far_kid(n), memory_order_acquire));
        /* At GOMAXPROCS=1 the mutators must run meanwhile. */
        if (popped % 1024 == 0)
            goc_yield();
    }
    return w.count;
}

static int test_main(int argc, char **argv) {
    const char *quick = getenv("GOC_TEST_QUICK");
    bool quick_run = quick && *quick && strcmp(quick, "0");
    double seconds = argc > 1 ? atof(argv[1]) : quick_run ? 1 : 3;
    int procs = goc_maxprocs(0);
    /* Heap-triggered cycles between the forced ones. */
    goc_set_gc_percent(25);
    table = calloc(NTABLE, sizeof *table);
    REQUIRE(table, "calloc");
    goc_add_roots(table, NTABLE * sizeof *table);
    stash = goc_chan_make(sizeof(node *), STASH_CAP);
    uint64_t r = 12345;
    for (int i = 0; i < NROOTS; i++)
        atomic_store(&roots[i], build(&r, 3));

    goc_memstats before;
    goc_read_memstats(&before);
    end_ns = test_clock_ns() + (int64_t)(seconds * 1e9);
    int nmut = 4 * procs;
    goc_waitgroup_add(&wg, nmut + 1);
    for (int i = 0; i < nmut; i++)
        goc_go(mutator, (void *)(uintptr_t)(i + 1));
    goc_go(collector, NULL);

    int walks = 0;
    size_t most = 0;
    while (test_clock_ns() < end_ns) {
        size_t reached = check_all();
        atomic_store(&prune, reached > MAX_REACHABLE / 2);
        if (reached > most)
            most = reached;
        walks++;
        goc_sleep(20 * GOC_MILLISECOND);
    }
    goc_waitgroup_wait(&wg);
    /* Whatever the channel still holds is reachable from it alone. */
    node *t;
    while (goc_chan_try_recv(stash, &t) == GOC_RECV_OK)
        check_tree(t, 2);
    check_all();
    goc_gc();
    check_all();

    goc_memstats after;
    goc_read_memstats(&after);
    uint32_t cycles = after.num_gc - before.num_gc, forced = after.num_forced_gc - before.num_forced_gc;
    fprintf(stderr,
            "gc_torture: GOMAXPROCS=%d, %d mutators, %.1f s: %u cycles (%u forced), %d full walks "
            "(up to %zu nodes), %llu nodes checked, %llu parked, %llu stashed, %llu timer checks, "
            "%llu MiB allocated, heap %llu MiB\n",
            procs, nmut, seconds, cycles, forced, walks, most,
            (unsigned long long)atomic_load(&checked_nodes), (unsigned long long)atomic_load(&stats_parked),
            (unsigned long long)atomic_load(&stats_stashed), (unsigned long long)atomic_load(&stats_timers),
            (unsigned long long)((after.total_alloc - before.total_alloc) >> 20),
            (unsigned long long)(after.heap_alloc >> 20));
    CHECK(forced >= 1, "no forced cycle ran");
    /* Sanitizer builds (GOC_TEST_QUICK) allocate too slowly to reach the
     * trigger for sure within their shorter run. */
    CHECK(quick_run || cycles > forced, "%u cycles, all forced: no heap-triggered one", cycles);
    goc_remove_roots(table);
    free(table);
    return test_status();
}

GOC_MAIN(test_main)
