/* SPDX-License-Identifier: MIT */
/* Fatal errors and panics, and the printing they use.  goc_panic (the public
 * one, include/goc.h) and throw_panic (misuse of the runtime) print
 * "panic: ..."; fatal (the runtime's own broken invariant) prints "fatal
 * error: ...".  Then the layer above adds its report (goroutine tracebacks,
 * through fatal_set_hooks) and the process ends: exit status 2, or abort()
 * under GOTRACEBACK=crash, as Go.
 *
 * Everything here writes straight to fd 2 with write(2), formatted in stack
 * buffers, and avoids malloc: the failing thread may hold stdio's or
 * malloc's lock, or be on a signal stack. */
#ifndef GOC_BASE_FATAL_H
#define GOC_BASE_FATAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <ucontext.h>

#include "base/sanitizers.h"

void fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void throw_panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

void diag_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void diag_vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* ---- capturing (capture.c) ------------------------------------------------------
 * A dump for the program (goc_dump_goroutines) is printed by the code that
 * prints fatal reports, with the world stopped; the calling thread's diag
 * output then goes into memory instead of fd 2.  The memory is mmap'd, not
 * malloc'd, and nothing is written to the program's stream meanwhile: the
 * threads held may own malloc's or stdio's locks, or read the other end of
 * the stream. */
typedef struct diag_capture {
    char  *buf;
    size_t len, cap;
    bool   truncated;   /* memory ran out: the end is missing */
} diag_capture;
/* This thread's diag output goes to c (zeroed) until diag_capture_end. */
void diag_capture_begin(diag_capture *c);
void diag_capture_end(void);
void diag_capture_free(diag_capture *c);
/* All of p to stderr, through EINTR, errno left as it was (the runtime's
 * reports and warnings: a program's errno is its own). */
void diag_write_stderr(const char *p, size_t n);
/* write_all's hook: true when this thread captures and p was taken. */
bool diag_capture_write(const char *p, size_t n);

/* What a report needs from the layers above; the scheduler installs them
 * at start-up (before that, a report has only its first lines). */
struct fatal_hooks {
    /* This thread starts a report (other threads' dumps may say so). */
    void (*dying)(void);
    /* The goroutine part of a report, after its first lines: the failing
     * goroutine (or thread), then the others where GOTRACEBACK or the kind
     * of failure asks for them.  The failing stack is the current one from
     * the frame running top_fn, or the one a signal interrupted (uc
     * non-NULL). */
    void (*report)(uintptr_t top_fn, const ucontext_t *uc, bool fatal_error);
    /* End with abort() and a core dump rather than exit status 2. */
    bool (*crash)(void);
};
void fatal_set_hooks(const struct fatal_hooks *h);

/* ---- dying --------------------------------------------------------------------
 * diag_start_dying claims the right to print a fatal report: the first thread
 * gets it and every other thread that fails later waits for the process to
 * end.  A failure while this thread is already reporting prints "panic during
 * panic" and exits.  diag_finish_dying ends the process: exit status 2, or
 * abort() under GOTRACEBACK=crash. */
/* Reports read other threads' state without locks on purpose (those threads
 * are frozen, dying, or only sampled, as Go's schedtrace does); under TSan the
 * reporting thread is ignored meanwhile.  TSan's bookkeeping of ignored
 * regions also does not survive the unwinder's interceptors otherwise. */
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
/* The hooks' report, when installed. */
void diag_report_goroutines(uintptr_t top_fn, const ucontext_t *uc, bool fatal_error);

#endif
