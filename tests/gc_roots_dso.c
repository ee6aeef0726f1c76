/* SPDX-License-Identifier: MIT */
/* The shared object tests/gc_roots loads with dlopen after start: the
 * collector must scan this global, which the program fills. */
void *gc_dso_root;
