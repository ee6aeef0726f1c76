/* SPDX-License-Identifier: MIT */
/* GODEBUG=gctrace=1: one line per cycle on stderr, in Go 1.19's grammar
 * (runtime/mgc.go, gcMarkTermination), figure by figure:
 *   gc N @S.SSSs P%: A+B+C ms clock, D+E/F/G+H ms cpu, X->Y->Z MB,
 *   G MB goal, S MB stacks, L MB globals, K P[ (forced)]
 * A, B, C: sweep termination, mark, mark termination (wall clock);
 * D, H: CPU of the two pauses (all Ps stand still: wall x Ps); E, F, G:
 * assist, background and idle marking CPU (assists are goroutines paying
 * in scan work for what they allocate during the mark, gc/assist.c; the
 * rest is the workers', F); X, Y: heap at the start and the end of the
 * mark, Z: marked live; P%: GC CPU since the program started. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gc/gc.h"
#include "sched/env.h"

/* v / 10^dec with dec decimals (Go's itoaDiv). */
static void fmt_div(char *buf, size_t size, uint64_t v, int dec) {
    uint64_t div = 1;
    for (int i = 0; i < dec; i++)
        div *= 10;
    if (dec == 0)
        snprintf(buf, size, "%llu", (unsigned long long)v);
    else
        snprintf(buf, size, "%llu.%0*llu", (unsigned long long)(v / div), dec,
                 (unsigned long long)(v % div));
}

/* Nanoseconds as milliseconds: whole ones from 10 ms up, otherwise two
 * significant digits with at most three decimals (Go's fmtNSAsMS). */
static void fmt_ms(char *buf, size_t size, int64_t ns) {
    uint64_t v = ns > 0 ? (uint64_t)ns : 0;
    if (v >= 10000000) {
        fmt_div(buf, size, v / 1000000, 0);
        return;
    }
    uint64_t x = v / 1000;
    if (x == 0) {
        snprintf(buf, size, "0");
        return;
    }
    int dec = 3;
    while (x >= 100) {
        x /= 10;
        dec--;
    }
    fmt_div(buf, size, x, dec);
}

void gc_trace_print(const gc_cycle_stats *c, double cpu_fraction, const gc_pause_summary *s) {
    char at[32], a[16], b[16], cc[16], d[16], e[16], f[16], g[16], h[16];
    fmt_div(at, sizeof at, (uint64_t)(c->t_start - gc_process_start) / 1000000, 3);
    fmt_ms(a, sizeof a, c->t_mark - c->t_start);
    fmt_ms(b, sizeof b, c->t_markterm - c->t_mark);
    fmt_ms(cc, sizeof cc, c->t_end - c->t_markterm);
    fmt_ms(d, sizeof d, c->cpu_stw);
    fmt_ms(e, sizeof e, c->cpu_assist);
    fmt_ms(f, sizeof f, c->cpu_mark);
    fmt_ms(g, sizeof g, 0);
    fmt_ms(h, sizeof h, c->cpu_markterm);
    char line[1024];
    int n = snprintf(line, sizeof line,
                     "gc %u @%ss %d%%: %s+%s+%s ms clock, %s+%s/%s/%s+%s ms cpu, "
                     "%llu->%llu->%llu MB, %llu MB goal, %llu MB stacks, %llu MB globals, %d P%s\n",
                     c->n, at, (int)(cpu_fraction * 100), a, b, cc, d, e, f, g, h,
                     (unsigned long long)(c->heap0 >> 20), (unsigned long long)(c->heap1 >> 20),
                     (unsigned long long)(c->heap2 >> 20), (unsigned long long)(c->goal >> 20),
                     (unsigned long long)(c->stacks >> 20), (unsigned long long)(c->globals >> 20),
                     c->nprocs, c->forced ? " (forced)" : "");
    /* gctrace=2 adds how the mark ran (not in Go's grammar: a line of
     * its own, which Go's parsers skip). */
    /* Named once the heap was large enough to try them. */
    const char *huge = c->concurrent ? gc_dirty_huge_pages() : NULL;
    bool huge_on = huge && strcmp(huge, "on") == 0;
    if (n > 0 && (size_t)n < sizeof line && goc_env.gctrace >= 2)
        n += snprintf(line + n, sizeof line - (size_t)n,
                      "gc %u: mark %s (%s)%s%s%s, %u rounds rescanned %llu written pages and %llu "
                      "stacks, termination rescanned %llu pages and %llu KiB of stacks; assists "
                      "scanned %llu KiB and waited %lld us for credit; time to "
                      "stop %lld+%lld us; so far pauses "
                      "p50 < %llu, p99 < %llu, max %llu us, time to stop p99 < %llu, max %llu us\n",
                      c->n, c->concurrent ? gc_dirty_mode_name() : "stw",
                      c->concurrent ? "concurrent" : gc_stw_mark ? "GODEBUG=gcstoptheworld" : gc_dirty_why,
                      !huge ? "" : huge_on ? ", heap on huge pages" : ", heap on small pages (",
                      huge && !huge_on ? huge : "", huge && !huge_on ? ")" : "", c->rounds, (unsigned long long)c->dirty_pages,
                      (unsigned long long)c->stacks_reread, (unsigned long long)c->last_dirty_pages,
                      (unsigned long long)(c->last_stack_bytes >> 10),
                      (unsigned long long)(c->assist_bytes >> 10), (long long)(c->assist_wait_ns / 1000),
                      (long long)(c->stop_ns[0] / 1000),
                      (long long)(c->stop_ns[1] / 1000), (unsigned long long)(s->p50 / 1000),
                      (unsigned long long)(s->p99 / 1000), (unsigned long long)(s->max / 1000),
                      (unsigned long long)(s->stop_p99 / 1000),
                      (unsigned long long)(s->stop_max / 1000));
    /* One write, so lines from a program's own output do not split it. */
    int saved = errno;
    if (n > 0)
        (void)!write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    errno = saved;
}
