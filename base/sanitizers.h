/* SPDX-License-Identifier: MIT */
/* Which sanitizer the runtime is built for, under gcc and clang, and what
 * Valgrind's memcheck is told. */
#ifndef GOC_BASE_SANITIZERS_H
#define GOC_BASE_SANITIZERS_H

#if defined(__SANITIZE_ADDRESS__)
#define GOC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GOC_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define GOC_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GOC_TSAN 1
#endif
#endif

/* The collector's conservative scans read every word of a range, also
 * those nothing initialised (padding, dead locals in live frames):
 * memcheck is told the range is defined, or every scan would be reported
 * and the undefined words carried into the mark's own decisions.  The
 * price: memcheck stops seeing those words as uninitialised afterwards.
 * A few no-op instructions outside Valgrind. */
#ifdef GOC_VALGRIND
#include <valgrind/memcheck.h>
#define MEMCHECK_SCANNED(lo, hi) \
    ((void)VALGRIND_MAKE_MEM_DEFINED_IF_ADDRESSABLE((lo), (hi) - (lo)))
#else
#define MEMCHECK_SCANNED(lo, hi) ((void)(lo), (void)(hi))
#endif

#endif
