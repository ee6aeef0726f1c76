/* SPDX-License-Identifier: MIT */
/* What every bench program shares: its one optional argument (the iteration
 * count) and its one output line, "<unit> <value> gomaxprocs <n>", which
 * bench/run parses.  The Go twins print the same line. */
#ifndef GOC_BENCH_H
#define GOC_BENCH_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <goc.h>

static inline int64_t bench_count(int argc, char **argv, int64_t fallback)
{
    if (argc < 2)
        return fallback;
    char *end;
    errno = 0;
    long long n = strtoll(argv[1], &end, 10);
    if (argc > 2 || errno != 0 || end == argv[1] || *end != '\0' || n <= 0) {
        fprintf(stderr, "usage: %s [count > 0]\n", argv[0]);
        exit(2);
    }
    return n;
}

static inline void bench_report(const char *unit, double value)
{
    printf("%s %.1f gomaxprocs %d\n", unit, value, goc_maxprocs(0));
}

static inline void bench_report_ns_per_op(int64_t elapsed_ns, int64_t ops)
{
    bench_report("ns_per_op", (double)elapsed_ns / (double)ops);
}

#endif /* GOC_BENCH_H */
