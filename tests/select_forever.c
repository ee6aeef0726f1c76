/* SPDX-License-Identifier: MIT */
/* A select with no cases, or with only nil-channel cases, blocks forever.
 *
 *   select_forever            goroutines blocked that way never return, and
 *                             the program still ends normally; exits 0
 *   select_forever none       goroutine 1 runs goc_select(NULL, 0) alone:
 *                             deadlock, shown as [select (no cases)]
 *   select_forever nil_cases  goroutine 1 selects over two nil channels
 *                             alone: deadlock, shown as [select] */
#include <stdatomic.h>
#include <string.h>

#include "testing.h"

static _Atomic int returned;

static void select_nothing(void *arg)
{
    (void)arg;
    goc_select(NULL, 0);
    atomic_store(&returned, 1);
}

static void select_nil_channels(void *arg)
{
    (void)arg;
    int v = 0;
    goc_case cases[2] = {
        { .chan = NULL, .op = GOC_RECV, .elem = &v },
        { .chan = NULL, .op = GOC_SEND, .elem = &v },
    };
    goc_select(cases, 2);
    atomic_store(&returned, 1);
}

static int test_main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "none") == 0)
        select_nothing(NULL);
    if (argc > 1 && strcmp(argv[1], "nil_cases") == 0)
        select_nil_channels(NULL);

    goc_go(select_nothing, NULL);
    goc_go(select_nil_channels, NULL);
    goc_sleep(150 * GOC_MILLISECOND);
    CHECK(!atomic_load(&returned), "a select that should block forever returned");
    CHECK(goc_num_goroutine() == 3, "%d goroutines, want main and the two blocked ones",
          goc_num_goroutine());
    return test_status();
}

GOC_MAIN(test_main)
