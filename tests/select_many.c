/* SPDX-License-Identifier: MIT */
/* Selects over many cases: with 1024 cases the one that becomes ready is
 * the one that runs, blocked or not, and the cost of a select grows about
 * linearly with its cases.  The cost check compares 64 and 1024 cases: a
 * linear select costs at most 16x more (less, counting the fixed part of
 * each round trip), a quadratic one ~256x; the bound 64 leaves a 4x margin
 * for noise and asserts nothing about absolute speed. */
#include "testing.h"

enum { MAX_CASES = 1024, SMALL = 64, ROUNDS = 300 };

typedef struct {
    goc_chan **chans;
    int        n, rounds;
} feeder_args;

/* Sends round r on channel (r * 7919) % n, carrying its index. */
static void feed(void *arg)
{
    /* A copy: the next round rewrites *arg once this feeder's sends are done. */
    feeder_args f = *(feeder_args *)arg;
    for (int r = 0; r < f.rounds; r++) {
        int idx = (int)((r * 7919L) % f.n);
        goc_chan_send(f.chans[idx], &idx);
    }
}

static goc_chan *chans[MAX_CASES];
static goc_case cases[MAX_CASES];
static int slots[MAX_CASES];

static int compare_ns(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Runs `rounds` selects over n cases fed by another goroutine; returns the
 * median round in ns and counts mismatches in *wrong. */
static int64_t select_rounds(int n, int rounds, int *wrong)
{
    static feeder_args f;
    static int64_t took[ROUNDS];
    f = (feeder_args){ chans, n, rounds };
    goc_go(feed, &f);
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < n; i++)
            cases[i] = (goc_case){ .chan = chans[i], .op = GOC_RECV, .elem = &slots[i] };
        int64_t t0 = test_clock_ns();
        int chosen = goc_select(cases, (size_t)n);
        took[r] = test_clock_ns() - t0;
        int want = (int)((r * 7919L) % n);
        if (chosen != want || slots[chosen] != want)
            (*wrong)++;
    }
    qsort(took, (size_t)rounds, sizeof took[0], compare_ns);
    return took[rounds / 2];
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    for (int i = 0; i < MAX_CASES; i++)
        chans[i] = goc_chan_make(sizeof(int), 0);

    int wrong = 0;
    select_rounds(MAX_CASES, ROUNDS, &wrong);
    CHECK(wrong == 0, "%d of %d selects over %d cases ran the wrong case", wrong, ROUNDS,
          MAX_CASES);

    /* Ready before the select starts: the last case only. */
    goc_chan *buffered = goc_chan_make(sizeof(int), 1);
    int v = 9;
    goc_chan_send(buffered, &v);
    for (int i = 0; i < MAX_CASES - 1; i++)
        cases[i] = (goc_case){ .chan = chans[i], .op = GOC_RECV, .elem = &slots[i] };
    cases[MAX_CASES - 1] = (goc_case){ .chan = buffered, .op = GOC_RECV, .elem = &slots[0] };
    CHECK(goc_select_try(cases, MAX_CASES) == MAX_CASES - 1 && slots[0] == 9,
          "select_try over %d cases missed the last one", MAX_CASES);

    int64_t small = 0, large = 0;
    for (int attempt = 0; attempt < 3; attempt++) {
        small = select_rounds(SMALL, ROUNDS, &wrong);
        large = select_rounds(MAX_CASES, ROUNDS, &wrong);
        if (large < 64 * small)
            break;
    }
    printf("median select: %lld ns over %d cases, %lld ns over %d cases\n", (long long)small,
           SMALL, (long long)large, MAX_CASES);
    CHECK(large < 64 * small, "select over %d cases took %lld ns, over %d cases %lld ns",
          MAX_CASES, (long long)large, SMALL, (long long)small);
    CHECK(wrong == 0, "%d selects ran the wrong case", wrong);
    return test_status();
}

GOC_MAIN(test_main)
