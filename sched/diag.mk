# SPDX-License-Identifier: MIT
# Failure reporting above base/fatal.c: tracebacks, the symbolizer, signal handlers,
# start-up environment and GODEBUG=schedtrace.
libgoc_a_SOURCES += \
	sched/diag.h sched/env.h \
	sched/env.c sched/report.c sched/traceback.c sched/symbolize.c \
	sched/signals.c sched/schedtrace.c sched/dump.c sched/gdb_script.S
# The gdb extension goes into the library (sched/gdb_script.S includes it).
libgoc_a_CCASFLAGS = $(AM_CCASFLAGS) -Wa,-I$(srcdir)
sched/libgoc_a-gdb_script.$(OBJEXT): $(srcdir)/tools/goc-gdb.py

check_PROGRAMS += tests/diag_env tests/diag_symbolize tests/diag_unwind tests/diag_dump
tests_diag_dump_SOURCES = tests/diag_dump.c tests/testing.h
