/* SPDX-License-Identifier: MIT */
/* The collector's inputs that exist before the collector does: the root
 * registry and the pacer settings. */
#ifndef GOC_GC_H
#define GOC_GC_H

#include <stddef.h>
#include <stdint.h>

/* Calls fn for every range registered with goc_add_roots. */
void gc_for_each_root(void (*fn)(void *start, size_t len, void *arg), void *arg);

/* With the world stopped: shrink the stacks nothing outside them points
 * into, and adapt the start size (gc/shrink.c). */
void gc_shrink_stacks(void);

int     gc_percent(void);        /* GOGC; < 0: off */
int64_t gc_memory_limit(void);   /* GOMEMLIMIT in bytes */

#endif
