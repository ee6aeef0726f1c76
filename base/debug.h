/* SPDX-License-Identifier: MIT */
/* Invariant checks of debug builds (configure --enable-debug defines
 * GOC_DEBUG).  Elsewhere they compile to nothing, but the condition is still
 * type-checked (sizeof does not evaluate it), so it cannot rot. */
#ifndef GOC_BASE_DEBUG_H
#define GOC_BASE_DEBUG_H

#include "base/fatal.h"

#ifdef GOC_DEBUG
#define debug_assert(cond) \
    ((cond) ? (void)0 : fatal("invariant broken at %s:%d: %s", __FILE__, __LINE__, #cond))
#else
#define debug_assert(cond) ((void)sizeof(!(cond)))
#endif

#endif
