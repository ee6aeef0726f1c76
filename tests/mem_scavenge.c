/* SPDX-License-Identifier: MIT */
/* The scavenger returns freed memory to the OS: after a 1 GiB working set is
 * freed, RSS falls below 100 MiB within seconds without any call, and
 * the scavenger then goes idle (no CPU while nothing is freed).
 * goc_free_os_memory releases every free page at once. */
#include <dirent.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mem_check.h"

#define WORKING_SET ((size_t)1 << 30)
#define OBJECT_SIZE ((size_t)16 << 10)
#define NOBJ (WORKING_SET / OBJECT_SIZE)
#define RSS_LIMIT ((size_t)100 << 20)
/* Paced at 1% of GOMAXPROCS CPUs, releasing 1 GiB takes about 5 s on a
 * 2-CPU machine; the limit leaves room for a loaded one. */
#define DEADLINE_NS (15 * (int64_t)1000000000)

static void *objs[NOBJ];

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* CPU time (clock ticks) of the thread named goc-scavenge, -1 if none. */
static long scavenger_ticks(void) {
    DIR *d = opendir("/proc/self/task");
    CHECK(d);
    long ticks = -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[300], buf[512];
        snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        char *name = strchr(buf, '(');
        char *close = strrchr(buf, ')');
        if (!name || !close || strncmp(name + 1, "goc-scavenge", 12) != 0)
            continue;
        long utime = 0, stime = 0;
        /* Fields after the name: state ppid pgrp session tty tpgid flags
         * minflt cminflt majflt cmajflt utime stime. */
        CHECK(sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &utime,
                     &stime) == 2);
        ticks = utime + stime;
    }
    closedir(d);
    return ticks;
}

static void touch(char *p, size_t n) {
    for (size_t off = 0; off < n; off += 4096)
        p[off] = 1;
}

static int run(int argc, char **argv) {
    (void)argc;
    (void)argv;
    for (size_t i = 0; i < NOBJ; i++) {
        objs[i] = goc_alloc_atomic(OBJECT_SIZE);
        touch(objs[i], OBJECT_SIZE);
    }
    size_t peak = rss_bytes();
    CHECK(peak >= WORKING_SET);
    goc_memstats full = check_memstats();
    CHECK(full.heap_inuse >= WORKING_SET);

    int64_t t0 = now_ns();
    for (size_t i = 0; i < NOBJ; i++)
        mem_free(objs[i]);
    check_memstats();
    size_t rss;
    while ((rss = rss_bytes()) >= RSS_LIMIT && now_ns() - t0 < DEADLINE_NS)
        usleep(50000);
    int64_t took = now_ns() - t0;
    goc_memstats released = check_memstats();
    printf("rss %zu MiB -> %zu MiB in %.2f s; heap_released %llu MiB\n", peak >> 20, rss >> 20,
           (double)took / 1e9, (unsigned long long)(released.heap_released >> 20));
    CHECK(rss < RSS_LIMIT);
    CHECK(released.heap_released >= WORKING_SET - RSS_LIMIT);

    /* Once it has reached its goal (RSS can cross the limit before that),
     * nothing is left to do: the scavenger must not spin. */
    uint64_t before;
    goc_memstats now;
    do {
        goc_read_memstats(&now);
        before = now.heap_released;
        usleep(200000);
        goc_read_memstats(&now);
    } while (now.heap_released != before && now_ns() - t0 < 2 * DEADLINE_NS);
    long ticks0 = scavenger_ticks();
    CHECK(ticks0 >= 0);
    usleep(1000000);
    CHECK(scavenger_ticks() - ticks0 <= 1);

    /* goc_free_os_memory: every free page released at once. */
    for (size_t i = 0; i < 4096; i++) {
        objs[i] = goc_alloc(OBJECT_SIZE);
        memset(objs[i], 1, OBJECT_SIZE);
    }
    for (size_t i = 0; i < 4096; i++)
        mem_free(objs[i]);
    goc_free_os_memory();
    goc_memstats after = check_memstats();
    /* At most the spans still held by this P's cache stay in use. */
    CHECK(after.heap_idle - after.heap_released <= (2u << 20)); /* a chunk in flight */
    CHECK(after.heap_inuse <= 4 * mem_classes[mem_size_to_class(OBJECT_SIZE)].npages * MEM_PAGE_SIZE);
    return 0;
}

GOC_MAIN(run)
