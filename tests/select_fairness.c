/* SPDX-License-Identifier: MIT */
/* Among several ready cases goc_select chooses uniformly at random, whatever
 * their kind (a buffered value, room to send, a closed channel) or their
 * position, and never chooses a case that is not ready.  With 30000 selects
 * over 3 ready cases each count has mean 10000 and standard deviation ~82;
 * the bound of +-25% is 30 deviations wide, so a fair runtime never fails
 * it, while a biased one (first-ready wins, round robin by position with a
 * stuck start, ...) does. */
#include "testing.h"

enum { ROUNDS = 30000 };

static void check_counts(const char *what, const int *count, int n, int expect)
{
    for (int i = 0; i < n; i++)
        CHECK(count[i] > expect * 3 / 4 && count[i] < expect * 5 / 4,
              "%s: case %d chosen %d times, want about %d", what, i, count[i], expect);
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    goc_chan *has_value = goc_chan_make(sizeof(int), 1);
    goc_chan *has_room = goc_chan_make(sizeof(int), 1);
    goc_chan *closed = goc_chan_make(sizeof(int), 0);
    goc_chan *never = goc_chan_make(sizeof(int), 0);
    goc_chan_close(closed);
    int v = 1, sink;
    int count[5] = {0};

    goc_chan_send(has_value, &v);
    for (int i = 0; i < ROUNDS; i++) {
        goc_case cases[5] = {
            { .chan = never, .op = GOC_RECV, .elem = &sink },
            { .chan = has_value, .op = GOC_RECV, .elem = &sink },
            { .chan = NULL, .op = GOC_RECV, .elem = &sink },
            { .chan = has_room, .op = GOC_SEND, .elem = &v },
            { .chan = closed, .op = GOC_RECV, .elem = &sink },
        };
        int chosen = goc_select(cases, 5);
        REQUIRE(chosen >= 0 && chosen < 5, "select returned %d", chosen);
        count[chosen]++;
        if (chosen == 1)
            goc_chan_send(has_value, &v);
        if (chosen == 3)
            goc_chan_recv(has_room, &sink);
    }
    CHECK(count[0] == 0 && count[2] == 0, "never-ready cases chosen %d and %d times", count[0],
          count[2]);
    int ready[3] = { count[1], count[3], count[4] };
    check_counts("mixed kinds", ready, 3, ROUNDS / 3);

    /* The same with select_try, and with identical receive cases. */
    int tcount[3] = {0};
    goc_chan *a = goc_chan_make(sizeof(int), 1), *b = goc_chan_make(sizeof(int), 1),
             *c = goc_chan_make(sizeof(int), 1);
    goc_chan_send(a, &v), goc_chan_send(b, &v), goc_chan_send(c, &v);
    for (int i = 0; i < ROUNDS; i++) {
        goc_case cases[3] = {
            { .chan = a, .op = GOC_RECV, .elem = &sink },
            { .chan = b, .op = GOC_RECV, .elem = &sink },
            { .chan = c, .op = GOC_RECV, .elem = &sink },
        };
        int chosen = goc_select_try(cases, 3);
        REQUIRE(chosen >= 0 && chosen < 3, "select_try returned %d with 3 ready cases", chosen);
        tcount[chosen]++;
        goc_chan_send(cases[chosen].chan, &v);
    }
    check_counts("select_try", tcount, 3, ROUNDS / 3);
    return test_status();
}

GOC_MAIN(test_main)
