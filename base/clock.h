/* SPDX-License-Identifier: MIT */
/* The runtime's clock. */
#ifndef GOC_BASE_CLOCK_H
#define GOC_BASE_CLOCK_H

#include <stdint.h>

/* Nanoseconds on the monotonic clock: timers, deadlines, wait times. */
int64_t nanotime(void);

#endif
