# SPDX-License-Identifier: MIT
libgoc_a_SOURCES += \
	sched/sched.h sched/internal.h sched/chan.h \
	sched/stw.h sched/suspend.c \
	sched/proc.c sched/stackscan.c sched/schedule.c sched/runq.c sched/gqueue.c sched/mthread.c \
	sched/stw.c sched/deadlock.c sched/blocking.c sched/foreign.c \
	sched/sysmon.c sched/sudog.c sched/timer.c sched/time.c sched/waitreason.c \
	sched/chan.c sched/select.c sched/gstack.c \
	sched/trace.h sched/tracefmt.h sched/trace.c sched/tracewrite.c sched/trace2json.c
include $(srcdir)/sched/sync.mk
include $(srcdir)/sched/diag.mk
