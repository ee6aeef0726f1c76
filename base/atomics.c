/* SPDX-License-Identifier: MIT */
#include "base/atomics.h"

#ifdef GOC_TSAN
/* STORE_LOAD_FENCE's private word. */
_Atomic int goc_storeload_word;
#endif
