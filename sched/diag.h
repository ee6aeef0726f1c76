/* SPDX-License-Identifier: MIT */
/* Failure reporting above base/fatal.h: tracebacks, the symbolizer, the
 * runtime's signal handlers and GODEBUG=schedtrace.  Everything here writes
 * straight to fd 2 with write(2) and avoids malloc, so it works from signal
 * handlers and while other threads hold locks. */
#ifndef GOC_SCHED_DIAG_H
#define GOC_SCHED_DIAG_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/fatal.h"
#include "sched/sched.h"

/* ---- tracebacks (traceback.c) ------------------------------------------------
 * Go's format: a header "goroutine 7 "name" [chan receive, 3 minutes]:", then
 * per frame "fn(...)" and "\t<module> +0x<offset in fn>", then
 * "created by fn in goroutine 1".  GOTRACEBACK decides which frames and
 * goroutines are shown. */
void traceback_current(void);   /* the calling goroutine (or thread) */
void traceback_all(void);       /* the calling one first, then every other */

/* The pieces report.c and signals.c assemble. */
/* status NULL: g's own.  g NULL: a thread that is not a goroutine. */
void traceback_header(goc_g *g, const char *status);
/* Frames of the current stack, starting at the frame running top_fn (the
 * failing runtime entry point, shown as Go shows panic()). */
void traceback_here(goc_g *g, uintptr_t top_fn);
/* Frames of the context a signal interrupted. */
void traceback_signal(goc_g *g, const ucontext_t *uc);
/* One goroutine other than the caller, world stopped: its header (status
 * as for traceback_header) and its stack. */
void traceback_goroutine(goc_g *g, const char *status);
/* Every goroutine but skip (NULL for none), each after a blank line. */
void traceback_others(goc_g *skip);
/* The return addresses of the current stack from ret (a return address
 * into the frame to start at: a caller of the runtime) outwards, at most
 * max of them; returns how many.  For profiles: no printing. */
int  traceback_callers(uintptr_t ret, uintptr_t *pcs, int max);

/* ---- dumps (dump.c) ------------------------------------------------------------
 * With the world stopped: the blocks goc_dump_goroutines prints, for the
 * goroutines in gs only, each headed with its wait reason and note after
 * it ("chan receive" and " (leaked)") and followed by a blank line,
 * captured into c for the caller to write once the world runs again. */
void sched_dump_capture(diag_capture *c, goc_g *const *gs, size_t n, const char *note);

/* ---- symbols (symbolize.c) ---------------------------------------------------- */
typedef struct goc_symbol {
    const char *name;     /* function name, NULL if unknown */
    uintptr_t   start;    /* address of the function's first instruction */
    const char *module;   /* executable or shared object path */
    bool        global;   /* visible outside its object file (not static) */
} goc_symbol;

/* Function containing pc.  Reads the executable's ELF symbol table (static
 * functions included) on first use, into memory taken with mmap; shared
 * objects are resolved with dladdr.  False if nothing is known about pc. */
bool symbolize(uintptr_t pc, goc_symbol *out);
/* True if pc lies in a function of the executable or of a loaded object. */
bool symbolize_is_text(uintptr_t pc);

/* ---- fatal reports (report.c) ---------------------------------------------------
 * Installs the scheduler's part of a fatal report into base/fatal.c. */
void diag_report_install(void);

/* ---- signals (signals.c) ------------------------------------------------------ */
void signals_init(void);
void signals_init_thread(void);
/* Stops every other M in a signal handler until the process exits, so a dump
 * sees parked goroutines stay parked.  Waits briefly for them. */
void signals_freeze_others(void);

/* ---- GODEBUG=schedtrace (schedtrace.c) ----------------------------------------- */
void schedtrace_print(bool detail);
/* As schedtrace_print, but never blocks on sched.lock (crash reports). */
void schedtrace_print_nowait(bool detail);

#endif
