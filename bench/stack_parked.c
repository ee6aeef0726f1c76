/* SPDX-License-Identifier: MIT */
/* 1,000,000 goroutines parked on a channel: how long they take to start
 * and park, and the resident memory each costs (its stack page, its G
 * record, its waiter); then how long a collection takes and what each
 * costs after it (goc packs parked stacks).  Output: "create_s <s>
 * rss_per_g <bytes> stack_inuse <bytes> gomaxprocs <n> gc_s <s>
 * rss_per_g_after_gc <bytes>"; bench/stack-run runs it beside its Go twin. */
#include <time.h>
#include <unistd.h>

#include "bench.h"

struct park_state {
    goc_chan      *never;
    goc_waitgroup  started;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long rss_bytes(void)
{
    long pages_total = 0, pages_resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) {
        fprintf(stderr, "cannot read /proc/self/statm\n");
        exit(1);
    }
    fclose(f);
    return pages_resident * sysconf(_SC_PAGESIZE);
}

static void park(void *arg)
{
    struct park_state *st = arg;
    goc_waitgroup_done(&st->started);
    goc_chan_recv(st->never, NULL);
}

static int bench_main(int argc, char **argv)
{
    int64_t n = bench_count(argc, argv, 1000000);
    struct park_state *st = calloc(1, sizeof *st);
    st->never = goc_chan_make(0, 0);
    long rss0 = rss_bytes();
    int64_t t0 = now_ns();
    goc_waitgroup_add(&st->started, n);
    for (int64_t i = 0; i < n; i++)
        goc_go(park, st);
    goc_waitgroup_wait(&st->started);
    int64_t elapsed = now_ns() - t0;
    long rss1 = rss_bytes();
    goc_memstats ms;
    goc_read_memstats(&ms);
    int64_t t1 = now_ns();
    goc_gc();
    int64_t gc_elapsed = now_ns() - t1;
    long rss2 = rss_bytes();
    printf("create_s %.3f rss_per_g %.0f stack_inuse %llu gomaxprocs %d gc_s %.3f rss_per_g_after_gc %.0f\n",
           (double)elapsed / 1e9, (double)(rss1 - rss0) / (double)n,
           (unsigned long long)ms.stack_inuse, goc_maxprocs(0), (double)gc_elapsed / 1e9,
           (double)(rss2 - rss0) / (double)n);
    fflush(stdout);
    _exit(0);   /* the parked goroutines would otherwise be a deadlock */
}

GOC_MAIN(bench_main)
