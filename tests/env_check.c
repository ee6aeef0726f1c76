/* SPDX-License-Identifier: MIT */
/* The environment read at start-up (docs/api.md section 7).  tests/cases runs
 * this program with a variable set, well-formed or not, and one argument
 * naming the setting the runtime must have ended up with; for a malformed
 * value that is the default, and the case also checks that stderr reported
 * the value once as `goc: ignoring NAME="value": ...`.
 *
 *   maxprocs=N | maxprocs=ncpu    goc_maxprocs(0)
 *   gogc=N                        goc_set_gc_percent's previous value (-1: off)
 *   memlimit=N | memlimit=max     goc_set_memory_limit(-1)
 *   runs                          nothing to read back: the program just works */
#include <string.h>

#include "testing.h"

static void ping(void *arg)
{
    goc_chan_send(arg, NULL);
}

static int test_main(int argc, char **argv)
{
    REQUIRE(argc == 2, "usage: env_check SETTING=VALUE");
    const char *arg = argv[1];
    const char *eq = strchr(arg, '=');

    if (strncmp(arg, "maxprocs=", 9) == 0) {
        int want = strcmp(eq + 1, "ncpu") == 0 ? goc_num_cpu() : atoi(eq + 1);
        CHECK(goc_maxprocs(0) == want, "GOMAXPROCS=%s: goc_maxprocs(0)=%d, want %d",
              getenv("GOMAXPROCS") ? getenv("GOMAXPROCS") : "(unset)", goc_maxprocs(0), want);
    } else if (strncmp(arg, "gogc=", 5) == 0) {
        int was = goc_set_gc_percent(100);
        CHECK(was == atoi(eq + 1), "GOGC=%s: gc percent %d, want %s",
              getenv("GOGC") ? getenv("GOGC") : "(unset)", was, eq + 1);
    } else if (strncmp(arg, "memlimit=", 9) == 0) {
        int64_t want = strcmp(eq + 1, "max") == 0 ? INT64_MAX : strtoll(eq + 1, NULL, 10);
        int64_t limit = goc_set_memory_limit(-1);
        CHECK(limit == want, "GOMEMLIMIT=%s: limit %lld, want %lld",
              getenv("GOMEMLIMIT") ? getenv("GOMEMLIMIT") : "(unset)", (long long)limit,
              (long long)want);
    } else {
        REQUIRE(strcmp(arg, "runs") == 0, "unknown setting %s", arg);
    }

    /* Whatever was set, the runtime works. */
    goc_chan *c = goc_chan_make(0, 0);
    goc_go(ping, c);
    goc_chan_recv(c, NULL);
    void *p = goc_alloc(64);
    CHECK(p != NULL, "goc_alloc failed");
    return test_status();
}

GOC_MAIN(test_main)
