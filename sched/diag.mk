# SPDX-License-Identifier: MIT
# Failure reporting: panics, tracebacks, the symbolizer, signal handlers,
# start-up environment and GODEBUG=schedtrace.
libgoc_a_SOURCES += \
	sched/diag.h sched/env.h \
	sched/env.c sched/panic.c sched/traceback.c sched/symbolize.c \
	sched/signals.c sched/schedtrace.c
if ARCH_X86_64
libgoc_a_SOURCES += stack/unwind_x86_64.S
endif
if ARCH_AARCH64
libgoc_a_SOURCES += stack/unwind_aarch64.S
endif

check_PROGRAMS += tests/diag_env tests/diag_symbolize tests/diag_unwind
