/* SPDX-License-Identifier: MIT */
/* Failure reporting: panics, fatal errors, tracebacks, the symbolizer, the
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

#include "sched/sched.h"

/* ---- tracebacks (traceback.c) ------------------------------------------------
 * Go's format: a header "goroutine 7 "name" [chan receive, 3 minutes]:", then
 * per frame "fn(...)" and "\t<module> +0x<offset in fn>", then
 * "created by fn in goroutine 1".  GOTRACEBACK decides which frames and
 * goroutines are shown. */
void traceback_current(void);   /* the calling goroutine (or thread) */
void traceback_all(void);       /* the calling one first, then every other */

/* The pieces panic.c and signals.c assemble. */
/* status NULL: g's own.  g NULL: a thread that is not a goroutine. */
void traceback_header(goc_g *g, const char *status);
/* Frames of the current stack, starting at the frame running top_fn (the
 * failing runtime entry point, shown as Go shows panic()). */
void traceback_here(goc_g *g, uintptr_t top_fn);
/* Frames of the context a signal interrupted. */
void traceback_signal(goc_g *g, const ucontext_t *uc);
/* Every goroutine but skip (NULL for none), each after a blank line. */
void traceback_others(goc_g *skip);

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

/* ---- output (panic.c) -------------------------------------------------------- */
void diag_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void diag_vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* ---- dying (panic.c) ----------------------------------------------------------
 * diag_start_dying claims the right to print a fatal report: the first thread
 * gets it and every other thread that fails later waits for the process to
 * end.  A failure while this thread is already reporting prints "panic during
 * panic" and exits.  diag_finish_dying ends the process: exit status 2, or
 * abort() under GOTRACEBACK=crash. */
/* Reports read other threads' state without locks on purpose (those threads
 * are frozen, dying, or only sampled, as Go's schedtrace does); under TSan the
 * reporting thread is ignored meanwhile.  TSan's bookkeeping of ignored
 * regions also does not survive the unwinder's interceptors otherwise. */
#include "stack/sanitizers.h"
#ifdef GOC_TSAN
void __tsan_ignore_thread_begin(void);
void __tsan_ignore_thread_end(void);
#define diag_ignore_races_begin() __tsan_ignore_thread_begin()
#define diag_ignore_races_end()   __tsan_ignore_thread_end()
/* (A dying thread never ends its ignored region: it leaves by exit_group.) */
void __tsan_release(void *addr);
void __tsan_acquire(void *addr);
/* An object handed to another thread through the kernel (an io_uring
 * entry's user data comes back in a completion that any thread may reap):
 * TSan cannot see that hand-off, so it is told. */
#define diag_kernel_handoff_send(addr)    __tsan_release(addr)
#define diag_kernel_handoff_receive(addr) __tsan_acquire(addr)
#else
#define diag_ignore_races_begin() ((void)0)
#define diag_ignore_races_end()   ((void)0)
#define diag_kernel_handoff_send(addr)    ((void)(addr))
#define diag_kernel_handoff_receive(addr) ((void)(addr))
#endif

void diag_start_dying(void);
void diag_finish_dying(void) __attribute__((noreturn));
/* True when the calling thread is printing a fatal report. */
bool diag_dying(void);
/* True when another thread is. */
bool diag_dying_elsewhere(void);
/* The goroutine part of a report, after its first lines: the failing
 * goroutine (or thread), then the others where GOTRACEBACK or the kind of
 * failure asks for them.  The failing stack is the current one from the
 * frame running top_fn, or the one a signal interrupted (uc non-NULL). */
void diag_report_goroutines(uintptr_t top_fn, const ucontext_t *uc, bool fatal_error);

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
