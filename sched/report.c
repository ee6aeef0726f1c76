/* SPDX-License-Identifier: MIT */
/* The scheduler's part of a fatal report (base/fatal.c prints the first
 * lines): schedtrace, the failing goroutine's traceback and the others'. */
#include "sched/diag.h"
#include "sched/env.h"

static void report_goroutines(uintptr_t top_fn, const ucontext_t *uc, bool fatal_error) {
    if (goc_env.schedtrace_ms > 0 || goc_env.scheddetail)
        schedtrace_print_nowait(true);
    signals_freeze_others();
    int level = goc_env.traceback_level;
    if (level == TRACEBACK_NONE)
        return;
    goc_m *m = sched_m();
    goc_g *g = m ? m->curg : NULL;
    /* An M's own stack (the scheduler) is runtime detail Go shows for
     * fatal errors only at GOTRACEBACK=system, unless it is where a signal
     * hit. */
    bool show_own = g || !m || uc || !fatal_error || level >= TRACEBACK_SYSTEM;
    if (show_own) {
        diag_printf("\n");
        if (g)
            traceback_header(g, "running");
        else if (m)
            diag_printf("runtime stack:\n");
        else
            traceback_header(NULL, "running");
        if (uc)
            traceback_signal(g, uc);
        else
            traceback_here(g, top_fn);
    }
    /* Go shows every goroutine for fatal errors, and for a failure outside
     * any goroutine, where the current one tells nothing. */
    if (goc_env.traceback_all || fatal_error || !g)
        traceback_others(g);
}

static void mark_dying(void) {
    goc_m *m = sched_m();
    if (m)
        m->fatal_in_progress = "dying";
}

static bool crash_dump(void) { return goc_env.traceback_crash; }

/* A constructor, so that a failure before the scheduler starts gets the
 * whole report too; runtime_init calls it as well, which links this file
 * into every program using the scheduler from libgoc-internal.a (a
 * constructor alone would not pull the archive member in). */
__attribute__((constructor)) void diag_report_install(void) {
    fatal_set_hooks(&(struct fatal_hooks){
        .dying = mark_dying,
        .report = report_goroutines,
        .crash = crash_dump,
    });
}
