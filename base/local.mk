# SPDX-License-Identifier: MIT
# base: what every layer may use (docs/architecture.md, "Layers").
libgoc_a_SOURCES += \
	base/atomics.h base/sanitizers.h base/clock.h base/lock.h base/rand.h \
	base/tls.h base/fatal.h base/debug.h base/threads.h \
	base/atomics.c base/clock.c base/lock.c base/rand.c base/tls.c base/fatal.c base/threads.c
