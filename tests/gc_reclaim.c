/* SPDX-License-Identifier: MIT */
/* Reclamation: GiB upon GiB allocated with a live set of about 1 MiB, and
 * the process's peak RSS (VmHWM) stays under 64 MiB: unreachable memory is
 * reused, not accumulated.  Objects are of mixed sizes, mostly small, some
 * of a few KiB, a few large (64 KiB to 1 MiB); each is written at both
 * ends so that its pages are really touched.
 *
 *   gc_reclaim [GiB]   default 4, 0.5 with GOC_TEST_QUICK=1; the issue's
 *                      figure is gc_reclaim 100 */
#include <string.h>

#include "base/sanitizers.h"
#include "testing.h"

enum {
    LIVE_SLOTS = 4096,             /* x ~256 bytes: the ~1 MiB live set */
    RSS_LIMIT_KIB = 64 << 10,
};

static uint64_t rnd(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A field of /proc/self/status, in KiB. */
static long status_kib(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    REQUIRE(f, "cannot open /proc/self/status");
    char line[256];
    long kib = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            kib = atol(line + n + 1);
    fclose(f);
    REQUIRE(kib >= 0, "no %s in /proc/self/status", field);
    return kib;
}

static size_t object_size(uint64_t *r) {
    uint64_t k = rnd(r) % 1000;
    if (k < 900)
        return 16 + rnd(r) % 496;                 /* small */
    if (k < 995)
        return 512 + rnd(r) % (32 << 10);         /* up to the largest size class */
    return (64 << 10) + rnd(r) % (960 << 10);    /* large */
}

static int test_main(int argc, char **argv) {
    const char *quick = getenv("GOC_TEST_QUICK");
    double gib = argc > 1 ? atof(argv[1]) : quick && *quick && strcmp(quick, "0") ? 0.5 : 4;
    uint64_t total = (uint64_t)(gib * (double)(1ull << 30));
    long rss0 = status_kib("VmHWM");
    void **live = goc_alloc(LIVE_SLOTS * sizeof *live);
    uint64_t r = 88172645463325252ull, done = 0, n = 0;
    int64_t t0 = test_clock_ns();
    goc_memstats before;
    goc_read_memstats(&before);
    while (done < total) {
        size_t size = object_size(&r);
        char *p = goc_alloc(size);
        REQUIRE(p, "goc_alloc(%zu) failed", size);
        REQUIRE(p[0] == 0 && p[size - 1] == 0, "goc_alloc(%zu) returned dirty memory", size);
        p[0] = 1;
        p[size - 1] = 1;
        /* Small objects replace a member of the live set; the rest is
         * garbage at once. */
        if (size < 512)
            live[rnd(&r) % LIVE_SLOTS] = p;
        done += size;
        n++;
    }
    int64_t ns = test_clock_ns() - t0;
    goc_memstats after;
    goc_read_memstats(&after);
    long hwm = status_kib("VmHWM");
    uint64_t live_bytes = 0;
    for (int i = 0; i < LIVE_SLOTS; i++)
        if (live[i])
            live_bytes += goc_alloc_size(live[i]);
    fprintf(stderr,
            "gc_reclaim: %.1f GiB in %llu objects, %.2f s (%.2f GiB/s), live set %.2f MiB, "
            "%u cycles, peak RSS %ld KiB (%ld KiB before); heap sys %llu, in use %llu, idle %llu, "
            "released %llu MiB; stacks %llu MiB\n",
            (double)done / (1ull << 30), (unsigned long long)n, (double)ns / 1e9,
            (double)done / (1ull << 30) / ((double)ns / 1e9), (double)live_bytes / (1 << 20),
            after.num_gc - before.num_gc, hwm, rss0, (unsigned long long)(after.heap_sys >> 20),
            (unsigned long long)(after.heap_inuse >> 20), (unsigned long long)(after.heap_idle >> 20),
            (unsigned long long)(after.heap_released >> 20), (unsigned long long)(after.stack_sys >> 20));
    /* Not under TSan: its shadow memory is several times the memory the
     * program touches, so RSS says nothing about the heap there. */
#ifndef GOC_TSAN
    CHECK(hwm < RSS_LIMIT_KIB, "peak RSS %ld KiB, over %d KiB", hwm, RSS_LIMIT_KIB);
#endif
    CHECK(after.num_gc > before.num_gc, "no collection ran");
    return test_status();
}

GOC_MAIN(test_main)
