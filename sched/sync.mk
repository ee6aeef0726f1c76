# SPDX-License-Identifier: MIT
# Synchronization: semaphores and notify lists, and the goc_mutex,
# goc_rwmutex, goc_cond, goc_waitgroup and goc_once built on them.
libgoc_a_SOURCES += \
	sched/sema.h \
	sched/sema.c \
	sched/mutex.c \
	sched/rwmutex.c \
	sched/cond.c \
	sched/waitgroup.c \
	sched/once.c

check_PROGRAMS += \
	tests/sync_starvation \
	tests/sync_mutex_fairness \
	tests/sync_cond_stress \
	tests/sync_rwmutex \
	tests/sync_foreign \
	tests/sync_misuse \
	tests/sync_once
