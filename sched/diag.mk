# SPDX-License-Identifier: MIT
# Failure reporting above base/fatal.c: tracebacks, the symbolizer, signal handlers,
# start-up environment and GODEBUG=schedtrace.
libgoc_a_SOURCES += \
	sched/diag.h sched/env.h \
	sched/env.c sched/report.c sched/traceback.c sched/symbolize.c \
	sched/signals.c sched/schedtrace.c sched/dump.c

check_PROGRAMS += tests/diag_env tests/diag_symbolize tests/diag_unwind tests/diag_dump
tests_diag_dump_SOURCES = tests/diag_dump.c tests/testing.h
