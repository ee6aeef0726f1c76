/* SPDX-License-Identifier: MIT */
/* Mark assists: a goroutine that allocates fast during concurrent marks
 * pays for its allocation in scan work (gc/assist.c), and what it scans on
 * the collector's behalf is marked as well as the workers' would be.
 *
 * A live set of LIVE_MIB in 64-byte nodes, spread over many short lists
 * (grey objects an assist can take) and one long one (a chain only one
 * thread can follow), then CHURN times that in short-lived nodes from two
 * goroutines, of which a ring stays reachable.  Every live node is checked
 * at the end, and every ring node as it is replaced: a node freed while
 * reachable is reused by the churn and fails its check.  tests/cases runs
 * it with gctrace=2 and asks that some concurrent cycle's assists scanned
 * something. */
#include "testing.h"

enum {
    LIVE_MIB = 24,
    CHURN = 12,
    LISTS = 4096,
    RING = 4096,
    CHURNERS = 2,
};

typedef struct node {
    struct node *next;
    uint64_t     val;
    uint64_t     pad[6];
} node;
_Static_assert(sizeof(node) == 64, "nodes are 64 bytes");

#define LIVE_NODES ((int64_t)LIVE_MIB << 20 >> 6)

static node *lists[LISTS];   /* half of the live set, in short lists */
static node *chain;          /* the other half, in one list */
static node *rings[CHURNERS][RING];

static node *build(int64_t n, uint64_t tag) {
    node *head = NULL;
    for (int64_t i = 0; i < n; i++) {
        node *x = goc_alloc(sizeof *x);
        REQUIRE(x, "goc_alloc failed");
        x->next = head;
        x->val = tag | (uint64_t)i;
        head = x;
    }
    return head;
}

static void check(const node *head, int64_t n, uint64_t tag, const char *what) {
    int64_t i = n;
    for (const node *x = head; x; x = x->next) {
        i--;
        REQUIRE(i >= 0 && x->val == (tag | (uint64_t)i),
                "%s: node %lld holds %#llx (freed while reachable?)", what, (long long)i,
                (unsigned long long)x->val);
    }
    REQUIRE(i == 0, "%s: %lld nodes missing", what, (long long)i);
}

#define LIST_TAG(i) ((uint64_t)((i) + 1) << 40)
#define CHAIN_TAG   ((uint64_t)0xC4A1 << 40)
#define RING_TAG(c) ((uint64_t)(0xF000 + (c)) << 40)

typedef struct churner {
    int            id;
    goc_waitgroup *done;
} churner;

static void churn(void *arg) {
    churner *c = arg;
    int64_t n = LIVE_NODES * CHURN / CHURNERS;
    for (int64_t i = 0; i < n; i++) {
        node *x = goc_alloc(sizeof *x);
        REQUIRE(x, "goc_alloc failed");
        x->val = RING_TAG(c->id) | (uint64_t)i;
        node **slot = &rings[c->id][i % RING];
        if (*slot)
            REQUIRE((*slot)->val == (RING_TAG(c->id) | (uint64_t)(i - RING)),
                    "churner %d: ring node %lld holds %#llx (freed while reachable?)", c->id,
                    (long long)(i - RING), (unsigned long long)(*slot)->val);
        *slot = x;
    }
    goc_waitgroup_done(c->done);
}

static int run(int argc, char **argv) {
    (void)argc;
    (void)argv;
    int64_t per_list = LIVE_NODES / 2 / LISTS;
    for (int i = 0; i < LISTS; i++)
        lists[i] = build(per_list, LIST_TAG(i));
    chain = build(LIVE_NODES / 2, CHAIN_TAG);

    goc_waitgroup done = {0};
    churner c[CHURNERS];
    for (int i = 0; i < CHURNERS; i++) {
        c[i] = (churner){.id = i, .done = &done};
        goc_waitgroup_add(&done, 1);
        goc_go(churn, &c[i]);
    }
    goc_waitgroup_wait(&done);

    for (int i = 0; i < LISTS; i++)
        check(lists[i], per_list, LIST_TAG(i), "short list");
    check(chain, LIVE_NODES / 2, CHAIN_TAG, "chain");
    goc_memstats m;
    goc_read_memstats(&m);
    CHECK(m.num_gc >= 3, "%u cycles while churning %dx the live set", m.num_gc, CHURN);
    return test_status();
}

GOC_MAIN(run)
