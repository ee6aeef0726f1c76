# SPDX-License-Identifier: MIT
# base: what every layer may use (docs/architecture.md, "Layers").
libgoc_a_SOURCES += \
	base/atomics.h base/sanitizers.h base/clock.h base/lock.h base/rand.h \
	base/tls.h base/fatal.h base/debug.h base/threads.h base/critical.h base/sort.h base/hugemap.h \
	base/membarrier.h \
	base/atomics.c base/clock.c base/critical.c base/lock.c base/rand.c base/tls.c base/fatal.c \
	base/capture.c base/threads.c base/sort.c base/hugemap.c base/membarrier.c

# base/ used alone (links no other layer's object).
check_PROGRAMS += tests/base_ground
tests_base_ground_SOURCES = tests/base_ground.c
