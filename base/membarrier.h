/* SPDX-License-Identifier: MIT */
/* A fence on every thread of the process at once (membarrier(2), private
 * expedited), for asymmetric synchronisation: a hot path that orders its
 * store before its load with a compiler barrier only, against a rare path
 * that stores, calls process_barrier, then loads.  Either the rare path
 * sees the hot path's store, or the hot path sees the rare path's.  Off
 * under TSan, which cannot see the fence, and where the kernel has no
 * private expedited membarrier: callers then keep a path with real fences. */
#ifndef GOC_BASE_MEMBARRIER_H
#define GOC_BASE_MEMBARRIER_H

#include <stdbool.h>

/* Registers the process (once; again in a forked child).  Whether
 * process_barrier can be used: before any thread relies on it. */
bool process_barrier_init(void);
bool process_barrier_ready(void);
/* Fatal if the kernel refuses it after registration. */
void process_barrier(void);

#endif
