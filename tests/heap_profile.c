/* SPDX-License-Identifier: MIT */
/* Heap profiles: keep_objects allocates 32 MiB and keeps it, drop_objects
 * allocates 32 MiB and drops it; after a collection the profile, read by
 * `go tool pprof -top`, names both among the allocated bytes and only
 * keep_objects among the bytes in use, at about the size it keeps.
 * drop_objects runs on a goroutine of its own that has ended before the
 * collection: run on main's stack, the last object's address stayed in a
 * slot of that stack which goc_gc's frame covered without writing, the
 * conservative scan kept the object, and it was sampled 1 time in about 128
 * (CI failed on it once at GOMAXPROCS=2). */
#include <errno.h>
#include <string.h>

#include "testing.h"

#define GO "/usr/lib/go-1.19/bin/go"
enum { OBJECT = 4096, COUNT = 8192 };   /* 32 MiB each */

static void *kept[COUNT];   /* a root: the collector scans the program's data */

static __attribute__((noinline)) void keep_objects(void)
{
    for (int i = 0; i < COUNT; i++)
        kept[i] = goc_alloc(OBJECT);
    KEEP_FRAME();
}

static __attribute__((noinline)) void drop_objects(void *wg)
{
    for (int i = 0; i < COUNT; i++) {
        char *volatile p = goc_alloc(OBJECT);
        p[0] = 1;
    }
    KEEP_FRAME();
    goc_waitgroup_done(wg);
}

/* pprof's -top output for one sample index, into out. */
static void pprof_top(const char *profile, const char *index, char *out, size_t n)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "HOME=${HOME:-/tmp} %s tool pprof -top -sample_index=%s %s 2>&1", GO,
             index, profile);
    FILE *p = popen(cmd, "r");
    REQUIRE(p, "popen: %s", strerror(errno));
    size_t len = fread(out, 1, n - 1, p);
    out[len] = '\0';
    CHECK(pclose(p) == 0, "go tool pprof failed:\n%s", out);
}

/* The flat value pprof shows for fn in -top output, in MB ("16MB",
 * "15.50MB"), or -1 when fn is not listed. */
static double flat_mb(const char *top, const char *fn)
{
    for (const char *line = top; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *at = strstr(line, fn);
        if (!at || at >= line + len)
            continue;
        double v = strtod(line, NULL);
        const char *unit = line + strspn(line, " 0123456789.");
        return strncmp(unit, "GB", 2) == 0 ? v * 1024 : strncmp(unit, "kB", 2) == 0 ? v / 1024
               : strncmp(unit, "MB", 2) == 0 ? v : v / (1 << 20);
    }
    return -1;
}

static int test_main(int argc, char **argv)
{
    (void)argc, (void)argv;
    CHECK(goc_set_mem_profile_rate(-1) == 512 * 1024, "the default rate is not 512 KiB");
    keep_objects();
    goc_waitgroup dropped = {0};
    goc_waitgroup_add(&dropped, 1);
    go(drop_objects, &dropped);
    goc_waitgroup_wait(&dropped);
    goc_gc();
    char path[] = "/tmp/goc-heapprof.XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0, "mkstemp: %s", strerror(errno));
    FILE *f = fdopen(fd, "w");
    REQUIRE(f, "fdopen: %s", strerror(errno));
    CHECK(goc_write_heap_profile(f) == 0, "goc_write_heap_profile failed");
    fclose(f);
    REQUIRE(access(GO, X_OK) == 0, "%s not found (Debian package golang-1.19-go)", GO);
    static char top[1 << 16];
    pprof_top(path, "alloc_space", top, sizeof top);
    double keep = flat_mb(top, "keep_objects"), drop = flat_mb(top, "drop_objects");
    CHECK(keep >= 16 && keep <= 64, "alloc_space of keep_objects %.1f MB, want about 32:\n%s", keep, top);
    CHECK(drop >= 16 && drop <= 64, "alloc_space of drop_objects %.1f MB, want about 32:\n%s", drop, top);
    pprof_top(path, "inuse_space", top, sizeof top);
    keep = flat_mb(top, "keep_objects");
    CHECK(keep >= 16 && keep <= 64, "inuse_space of keep_objects %.1f MB, want about 32:\n%s", keep, top);
    CHECK(flat_mb(top, "drop_objects") <= 0, "drop_objects' garbage counted in use:\n%s", top);
    goc_keep_alive(kept);
    if (test_status() == 0)
        unlink(path);
    else
        fprintf(stderr, "profile kept in %s\n", path);
    return test_status();
}

GOC_MAIN(test_main)
