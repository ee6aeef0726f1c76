/* SPDX-License-Identifier: MIT */
/* Guard regions and the VMA budget.  40,000 parked goroutines each hold a
 * guarded stack.  With MADV_GUARD_INSTALL the guards cost no mappings; with
 * GOC_STACK_GUARD=mprotect each costs two, so the arena stops guarding new
 * stacks at its share of vm.max_map_count (a quarter of it in guards),
 * warning once, and the process stays well inside the limit.  First a
 * goroutine grows its stack past several moves, which must work in either
 * mode (stacks past the budget have no guard: they grow only at safe
 * points).  Under TSan, which maps memory for every goroutine and allows
 * 8,128 of them, the budget is not reached and only the warning's absence
 * is checked. */
#include <stdatomic.h>
#include <string.h>

#include "base/sanitizers.h"
#include "testing.h"

/* TSan counts every goroutine as a thread, and stops at 8,128. */
#ifdef GOC_TSAN
enum { PARKED = 6000 };
#else
enum { PARKED = 40000 };
#endif
enum { GROW_FRAMES = 20000 };
/* Mappings a goroutine costs besides its stack's: none, but TSan's fiber
 * state takes four. */
#ifdef GOC_TSAN
enum { MAPPINGS_PER_G = 4 };
#else
enum { MAPPINGS_PER_G = 0 };
#endif

static long count_mappings(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    REQUIRE(f, "cannot open /proc/self/maps");
    long lines = 0;
    int c;
    while ((c = fgetc(f)) != EOF)
        lines += c == '\n';
    fclose(f);
    return lines;
}

static long max_map_count(void)
{
    FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
    long n = 65530;
    if (f) {
        if (fscanf(f, "%ld", &n) != 1)
            n = 65530;
        fclose(f);
    }
    return n;
}

/* stderr goes to a file while the goroutines start, to count warnings. */
static FILE *capture;
static int saved_stderr;

static void capture_stderr(void)
{
    fflush(stderr);
    capture = tmpfile();
    REQUIRE(capture, "tmpfile");
    saved_stderr = dup(2);
    REQUIRE(saved_stderr >= 0 && dup2(fileno(capture), 2) == 2, "cannot redirect stderr");
}

static int count_budget_warnings(void)
{
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    rewind(capture);
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, capture)) {
        fputs(line, stderr);
        n += strncmp(line, "goc: warning: stack guards use mprotect", 39) == 0;
    }
    fclose(capture);
    return n;
}

static _Atomic int parked;

static void park(void *arg)
{
    atomic_fetch_add(&parked, 1);
    goc_chan_recv(arg, NULL);
}

__attribute__((noinline))
static uint64_t recurse(uint64_t depth, uint64_t *parent)
{
    uint64_t mine = depth;
    if (depth > 0)
        recurse(depth - 1, &mine);
    *parent += mine;
    return mine;
}

static uint64_t grown_total;

static void grow_and_report(void *arg)
{
    uint64_t total = 0;
    recurse(GROW_FRAMES, &total);
    grown_total = total;
    goc_chan_send(arg, NULL);
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    const char *mode = getenv("GOC_STACK_GUARD");
    bool mprotect_mode = mode && strcmp(mode, "mprotect") == 0;
    goc_chan *done = goc_chan_make(0, 0);
    goc_go(grow_and_report, done);
    goc_chan_recv(done, NULL);
    /* recurse adds each depth once: 0 + 1 + ... + GROW_FRAMES. */
    uint64_t want = (uint64_t)GROW_FRAMES * (GROW_FRAMES + 1) / 2;
    CHECK(grown_total == want, "grown goroutine summed %llu, want %llu",
          (unsigned long long)grown_total, (unsigned long long)want);

    long before = count_mappings();
    capture_stderr();
    goc_chan *never = goc_chan_make(0, 0);
    for (int i = 0; i < PARKED; i++)
        goc_go(park, never);
    /* Stacks are bound when a goroutine first runs: wait until all have run
     * (slow under sanitizers), then a little for the warning to be written. */
    for (int i = 0; i < 30000 && atomic_load(&parked) < PARKED; i++)
        goc_sleep(GOC_MILLISECOND);
    goc_sleep(50 * GOC_MILLISECOND);
    int warnings = count_budget_warnings();
    CHECK(goc_num_goroutine() == PARKED + 1, "%d goroutines alive", goc_num_goroutine());
    long after = count_mappings();
    bool over_budget = mprotect_mode && PARKED > max_map_count() / 4;
    CHECK(warnings == (over_budget ? 1 : 0), "%d budget warnings, want %d", warnings,
          over_budget ? 1 : 0);
    if (mprotect_mode)
        CHECK(after < max_map_count() * 3 / 4, "%ld mappings with mprotect guards (limit %ld)",
              after, max_map_count());
    else
        CHECK(after - before < MAPPINGS_PER_G * PARKED + 1000, "%ld mappings for %d guarded stacks",
              after - before, PARKED);

    return test_status();
}

GOC_MAIN(test_main)
