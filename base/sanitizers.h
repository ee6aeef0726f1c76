/* SPDX-License-Identifier: MIT */
/* Which sanitizer the runtime is built for, under gcc and clang. */
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

#endif
