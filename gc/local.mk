# SPDX-License-Identifier: MIT
libgoc_a_SOURCES += gc/gc.h gc/collect.c gc/roots.c gc/settings.c gc/shrink.c
