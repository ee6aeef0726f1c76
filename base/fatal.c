/* SPDX-License-Identifier: MIT */
/* Panics and fatal errors (see fatal.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/atomics.h"
#include "base/fatal.h"
#include "goc.h"

/* The thread printing the one fatal report, 0 before any failure. */
static _Atomic pid_t reporter_tid;
/* Nesting of failures on this thread: 1 while reporting, 2 if the report
 * itself failed. */
static __thread int dying_depth;
/* Written once at start-up, before any thread can fail. */
static struct fatal_hooks hooks;

void fatal_set_hooks(const struct fatal_hooks *h) { hooks = *h; }

void diag_write_stderr(const char *p, size_t n) {
    int saved = errno;
    while (n > 0) {
        ssize_t w = write(2, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        p += w;
        n -= (size_t)w;
    }
    errno = saved;
}

static void write_all(const char *p, size_t n) {
    if (!diag_capture_write(p, n))
        diag_write_stderr(p, n);
}

void diag_vprintf(const char *fmt, va_list ap) {
    char buf[2048];
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    if (n < 0)
        return;
    write_all(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

void diag_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    diag_vprintf(fmt, ap);
    va_end(ap);
}

void diag_start_dying(void) {
    diag_ignore_races_begin();
    if (dying_depth++ > 0) {
        if (dying_depth == 2)
            write_all("panic during panic\n", 19);
        _exit(2);
    }
    pid_t me = gettid();
    pid_t none = 0;
    if (!acas(&reporter_tid, &none, me, memory_order_seq_cst, memory_order_seq_cst)) {
        /* Another thread is reporting and will end the process; a second
         * report would only garble the first. */
        for (;;)
            pause();
    }
    if (hooks.dying)
        hooks.dying();
}

bool diag_dying(void) { return dying_depth > 0; }

bool diag_dying_elsewhere(void) {
    pid_t t = aload(&reporter_tid, memory_order_seq_cst);
    return t != 0 && t != gettid();
}

void diag_finish_dying(void) {
    if (hooks.crash && hooks.crash()) {
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        sigaction(SIGABRT, &dfl, NULL);
        sigset_t abrt;
        sigemptyset(&abrt);
        sigaddset(&abrt, SIGABRT);
        pthread_sigmask(SIG_UNBLOCK, &abrt, NULL);
        abort();
    }
    /* The exit system call itself: a sanitizer's _exit would run its end-of-
     * process checks on a process we are abandoning mid-flight. */
    syscall(SYS_exit_group, 2);
    __builtin_unreachable();
}

void diag_report_goroutines(uintptr_t top_fn, const ucontext_t *uc, bool fatal_error) {
    if (hooks.report)
        hooks.report(top_fn, uc, fatal_error);
}

static void report_panic(uintptr_t top_fn, const char *fmt, va_list ap) __attribute__((noreturn));
static void report_panic(uintptr_t top_fn, const char *fmt, va_list ap) {
    diag_start_dying();
    diag_printf("panic: ");
    diag_vprintf(fmt, ap);
    diag_printf("\n");
    diag_report_goroutines(top_fn, NULL, false);
    diag_finish_dying();
}

void goc_panic(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    report_panic((uintptr_t)goc_panic, fmt, ap);
}

void throw_panic(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    report_panic((uintptr_t)throw_panic, fmt, ap);
}

void fatal(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    diag_start_dying();
    diag_printf("fatal error: ");
    diag_vprintf(fmt, ap);
    va_end(ap);
    diag_printf("\n");
    diag_report_goroutines((uintptr_t)fatal, NULL, true);
    diag_finish_dying();
}
