libgoc_a_SOURCES += gc/gc.h gc/roots.c gc/settings.c
