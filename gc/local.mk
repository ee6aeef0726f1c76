# SPDX-License-Identifier: MIT
# gc: the collector (goc_alloc's public face, marking, sweeping, pacing,
# finalizers, statistics).
libgoc_a_SOURCES += \
	gc/gc.h \
	gc/alloc.c \
	gc/cycle.c \
	gc/mark.c \
	gc/assist.c \
	gc/dirty.c \
	gc/rootscan.c \
	gc/stackcopy.c \
	gc/roots.c \
	gc/shrink.c \
	gc/sweep.c \
	gc/pacer.c \
	gc/finalizer.c \
	gc/leak.c \
	gc/waiter.c \
	gc/stats.c \
	gc/trace.c \
	gc/tracephases.c \
	gc/heapprof.h \
	gc/heapprof.c \
	gc/heapprof_write.c
