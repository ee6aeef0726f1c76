# SPDX-License-Identifier: MIT
libgoc_a_SOURCES += \
	sched/sched.h sched/internal.h sched/lock.h sched/chan.h \
	sched/critical.h sched/stw.h sched/suspend.c \
	sched/lock.c sched/tls.c sched/rand.c \
	sched/proc.c sched/schedule.c sched/runq.c sched/mthread.c \
	sched/stw.c sched/deadlock.c sched/blocking.c sched/foreign.c \
	sched/sysmon.c sched/sudog.c sched/timer.c sched/time.c \
	sched/chan.c sched/select.c
include $(srcdir)/sched/sync.mk
include $(srcdir)/sched/diag.mk
