/* SPDX-License-Identifier: MIT */
/* goc_dump_goroutines: what SIGQUIT prints, for a program that goes on.
 * The tracebacks are the fatal reports' own code (traceback.c), run with
 * the world stopped so that no parked goroutine wakes while its stack is
 * walked, and captured into memory: the program's stream is written only
 * once the world runs again (base/fatal.h, "capturing", says why). */
#include <stdio.h>

#include "sched/diag.h"

void goc_dump_goroutines(FILE *out) {
    diag_capture c;
    stw_stop("goroutine dump");
    diag_capture_begin(&c);
    traceback_all();
    diag_capture_end();
    stw_start();
    fwrite(c.buf, 1, c.len, out);
    if (c.truncated)
        fputs("...dump truncated: out of memory\n", out);
    fflush(out);
    diag_capture_free(&c);
}

void sched_dump_capture(diag_capture *c, goc_g *const *gs, size_t n, const char *note) {
    diag_capture_begin(c);
    for (size_t i = 0; i < n; i++) {
        char status[128];
        const char *reason = gs[i]->waitreason ? gs[i]->waitreason : "waiting";
        snprintf(status, sizeof status, "%s%s", reason, note);
        traceback_goroutine(gs[i], status);
        diag_printf("\n");
    }
    diag_capture_end();
}
