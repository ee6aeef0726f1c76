/* SPDX-License-Identifier: MIT */
/* The collector's pause workload (issue 15): a live heap of LIVE MiB
 * (default 1024) in 64-byte nodes, half in one global list and half spread
 * over 10,000 goroutines that each build their share as a list held only
 * by a local variable and then park on a channel; then CHURN x LIVE
 * (default 8x) of short-lived 64-byte nodes, of which only a small ring
 * stays reachable.  At the end every goroutine wakes and checks its list
 * node by node, and main checks the global one: a collector that freed a
 * live node (reused by the churn, so overwritten) fails loudly.
 *
 * usage: gc_pause [LIVE_MiB [CHURN]]
 * Output: "live_mib L churn_x C build_s B churn_s S num_gc N
 * max_pause_us M p99_pause_us P max_stall_us T gomaxprocs G".  Pauses are
 * every cycle's from goc_read_memstats (per cycle both stop-the-world
 * pauses, as Go's PauseNs), read often enough that the ring of 256 never
 * wraps unseen; the stall is the longest 256 churn allocations took.
 * bench/gc-pause-run runs it beside its Go twin, bench/go/gcpause. */
#include <string.h>
#include <time.h>

#include "bench.h"

typedef struct node {
    struct node *next;
    uint64_t     val;
    uint64_t     pad[6];  /* to 64 bytes, the workload's node size */
} node;
_Static_assert(sizeof(node) == 64, "nodes are 64 bytes");

enum {
    GOROUTINES = 10000,
    RING = 4096,          /* churned nodes kept reachable, a power of two */
    HARVESTS = 16,        /* pause-ring reads during the churn */
    BATCH = 256,          /* churn allocations per clock reading */
};

/* Values that no node of another list, nor a churned node, carries: a
 * node of the wrong list or a reused one fails the check. */
#define MAIN_TAG  UINT64_C(0x4d41494e00000000)
#define CHURN_TAG UINT64_C(0x4348524e00000000)

static uint64_t g_tag(int64_t g) {
    return (uint64_t)(g + 1) << 32;
}

static node *build(int64_t n, uint64_t tag) {
    node *head = NULL;
    for (int64_t i = 0; i < n; i++) {
        node *x = goc_alloc(sizeof *x);
        x->next = head;
        x->val = tag | (uint64_t)i;
        head = x;
    }
    return head;
}

/* A list build made: n nodes, tag | (n-1) down to tag | 0. */
static void check(const node *head, int64_t n, uint64_t tag, const char *who, int64_t id) {
    int64_t i = n;
    for (const node *x = head; x; x = x->next) {
        i--;
        if (i < 0 || x->val != (tag | (uint64_t)i))
            goc_panic("gc_pause: %s %lld: node %lld holds %#llx, want %#llx (freed while live?)",
                      who, (long long)id, (long long)i, (unsigned long long)x->val,
                      (unsigned long long)(tag | (uint64_t)(i < 0 ? 0 : i)));
    }
    if (i != 0)
        goc_panic("gc_pause: %s %lld: list ends %lld nodes early", who, (long long)id, (long long)i);
}

typedef struct worker_args {
    int64_t        id, nodes;
    goc_chan      *release;
    goc_waitgroup *parked, *checked;
} worker_args;

static void worker(void *arg) {
    worker_args *a = arg;
    /* The list is reachable only from this goroutine's stack (or saved
     * registers) while it is parked. */
    node *head = build(a->nodes, g_tag(a->id));
    goc_waitgroup_done(a->parked);
    goc_chan_recv(a->release, NULL);
    check(head, a->nodes, g_tag(a->id), "goroutine", a->id);
    goc_waitgroup_done(a->checked);
}

/* Every cycle's pause, in order, copied out of memstats' ring. */
static struct {
    uint64_t *ns;
    uint32_t  n, cap;
} pauses;

static void harvest(void) {
    static goc_memstats ms;
    goc_read_memstats(&ms);
    if (ms.num_gc - pauses.n > 256) {
        fprintf(stderr, "gc_pause: %u cycles since the last read: the pause ring wrapped\n",
                ms.num_gc - pauses.n);
        exit(1);
    }
    for (uint32_t c = pauses.n; c < ms.num_gc; c++) {
        if (pauses.n == pauses.cap) {
            pauses.cap = pauses.cap ? 2 * pauses.cap : 256;
            pauses.ns = realloc(pauses.ns, pauses.cap * sizeof *pauses.ns);
            if (!pauses.ns) {
                perror("gc_pause");
                exit(1);
            }
        }
        pauses.ns[pauses.n++] = ms.pause_ns[c % 256];
    }
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t arg(int argc, char **argv, int i, int64_t fallback) {
    if (argc <= i)
        return fallback;
    char *end;
    long long v = strtoll(argv[i], &end, 10);
    if (argc > 3 || end == argv[i] || *end || v <= 0) {
        fprintf(stderr, "usage: %s [LIVE_MiB [CHURN]]\n", argv[0]);
        exit(2);
    }
    return v;
}

/* The global list and the churn's ring: roots in bss. */
static node *main_list;
static node *ring[RING];

static int bench_main(int argc, char **argv) {
    int64_t live_mib = arg(argc, argv, 1, 1024), churn_x = arg(argc, argv, 2, 8);
    int64_t total = live_mib * 1024 * 1024 / (int64_t)sizeof(node);
    int64_t per_g = total / 2 / GOROUTINES, main_nodes = total - per_g * GOROUTINES;
    int64_t churn = churn_x * total;

    int64_t t0 = now_ns();
    static worker_args args[GOROUTINES];
    static goc_waitgroup parked, checked;
    goc_chan *release = goc_chan_make(0, 0);
    goc_waitgroup_add(&parked, GOROUTINES);
    goc_waitgroup_add(&checked, GOROUTINES);
    for (int64_t g = 0; g < GOROUTINES; g++) {
        args[g] = (worker_args){g, per_g, release, &parked, &checked};
        goc_go(worker, &args[g]);
    }
    goc_waitgroup_wait(&parked);
    main_list = build(main_nodes, MAIN_TAG);
    int64_t t1 = now_ns();
    harvest();

    /* The longest the churn took for BATCH allocations: pause_ns counts
     * only the stops, this whatever the mutator met (a stop, a wait for
     * the mark, a slow path).  The harvests' own stops are left out. */
    int64_t max_batch = 0;
    for (int64_t h = 1, i = 0; h <= HARVESTS; h++) {
        int64_t end = churn * h / HARVESTS, last = now_ns();
        while (i < end) {
            for (int64_t stop = i + BATCH < end ? i + BATCH : end; i < stop; i++) {
                node *x = goc_alloc(sizeof *x);
                x->val = CHURN_TAG | (uint64_t)i;
                ring[i & (RING - 1)] = x;
            }
            int64_t t = now_ns();
            if (t - last > max_batch)
                max_batch = t - last;
            last = t;
        }
        harvest();
    }
    int64_t t2 = now_ns();

    goc_chan_close(release);
    goc_waitgroup_wait(&checked);
    check(main_list, main_nodes, MAIN_TAG, "main list", 0);

    qsort(pauses.ns, pauses.n, sizeof *pauses.ns, cmp_u64);
    /* Nearest rank, as the Go twin computes it. */
    uint64_t max = pauses.n ? pauses.ns[pauses.n - 1] : 0;
    uint64_t p99 = pauses.n ? pauses.ns[(pauses.n * 99 + 99) / 100 - 1] : 0;
    printf("live_mib %lld churn_x %lld build_s %.3f churn_s %.3f num_gc %u max_pause_us %.1f "
           "p99_pause_us %.1f max_stall_us %.1f gomaxprocs %d\n",
           (long long)live_mib, (long long)churn_x, (double)(t1 - t0) / 1e9,
           (double)(t2 - t1) / 1e9, pauses.n, (double)max / 1e3, (double)p99 / 1e3,
           (double)max_batch / 1e3, goc_maxprocs(0));
    return 0;
}

GOC_MAIN(bench_main)
